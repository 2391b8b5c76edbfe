// Single-use nonces for signed requests, shared by every instance: a nonce is an atomic counter in
// the hot store's rate-limit table, keyed by the key id and a hash of the nonce, so the first
// request to add to it wins on every instance at once. A signature is accepted only within the
// skew of its created time, so a nonce needs remembering only until created + skew, at most twice
// the skew from now; the sweeper deletes it after that, as it does expired counters.
import { createHash } from 'node:crypto';
import type { HotStore } from '../persistence/hot-path/hot-store.js';

const KEY_PREFIX = 'signature-nonce:';

export class NonceReplay {
  constructor(private readonly store: Pick<HotStore, 'addRateLimitPoints'>, private readonly maxSkewSeconds: number) {}

  /** True the first time this key presents this nonce within the window. */
  async firstUse(keyId: string, nonce: string, now = Date.now()): Promise<boolean> {
    // Hashed: the column stays short whatever the nonce's length, and nonces never sit in clear.
    const key = `${KEY_PREFIX}${keyId}:${createHash('sha256').update(nonce).digest('base64url')}`;
    const counter = await this.store.addRateLimitPoints(key, 1, now + 2 * this.maxSkewSeconds * 1000, now, false);
    return counter.points === 1;
  }
}
