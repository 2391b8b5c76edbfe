// Types for the two oidc-provider internals the ceiling uses to give its in-memory adapter a larger
// store (its default keeps only 1,000 entries, so refresh tokens would be evicted under load).
declare module 'oidc-provider/lib/helpers/lru.js' {
  export default class LRU {
    constructor(options: { maxSize: number });
  }
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  import type LRU from 'oidc-provider/lib/helpers/lru.js';
  export function setStorage(store: LRU): void;
}
