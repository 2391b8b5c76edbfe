// The stored APIs as the protocol configuration reads them on every token request: through the
// hot-path statements rather than Prisma. Read each time, never cached, so an API created, changed
// or deleted with the CLI (or on another instance) applies to the very next request.
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import { scopesOf, toResource, type Resource, type ResourceCatalog } from './resources.js';

export class StoredResourceCatalog implements ResourceCatalog {
  constructor(private readonly store: HotStore) {}

  async list(): Promise<Resource[]> {
    return (await this.store.listResources()).map((row) => toResource({ ...row, createdAt: new Date(row.createdAt) }));
  }

  async allScopes(): Promise<string[]> {
    return scopesOf(await this.list());
  }
}
