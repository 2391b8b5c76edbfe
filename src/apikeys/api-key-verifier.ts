// Verifies a presented API key for the gateway check. Malformed text (wrong shape or checksum) is
// refused without a lookup, so a flood of made-up keys never reaches the database. A lookup's
// answer is kept in memory for at most API_KEY_CACHE_MS: a key revoked, rotated out or deleted
// (with its client or API) is refused on every instance within that bound plus one query, well
// under a second; expiry and the end of a rotation's grace are checked on every call.
//
// A signed request names its key by id instead (RFC 9421 keyid): `signer` looks the key up by id,
// with the same cache bound, and hands back its stored signing secret for the signature check.
//
// Last use is recorded to within a minute: a key is marked used when its stored last use is older
// than LAST_USED_RESOLUTION_MS, and the marks are written together every LAST_USED_FLUSH_MS.
import { createHash } from 'node:crypto';
import type { Database } from '../persistence/prisma-client.js';
import { FreshLookups } from '../persistence/fresh-lookups.js';
import { clientSecretMatches } from '../oidc/client-secrets.js';
import { API_KEY_ID_PATTERN, apiKeyIdOf } from './api-key-format.js';
import { statusOf } from './api-keys.js';

export const API_KEY_CACHE_MS = 500;
const LAST_USED_RESOLUTION_MS = 30_000;
const LAST_USED_FLUSH_MS = 15_000;

export interface VerifiedApiKey {
  /** The public id: what logs, headers and metrics may name. */
  id: string;
  clientId: string;
  /** The API's identifier: the key is refused at any other. */
  resource: string;
  /** The API scopes the key is narrowed to; undefined: all of them. */
  scopes: string[] | undefined;
  /** The key's own limit, else the API's default; undefined: unlimited. */
  rateLimitPerSecond?: number;
  quotaPerDay?: number;
}

/** A key as a signer: its stored (encrypted) signing secret, null for a key made before signing. */
export type VerifiedSigner = VerifiedApiKey & {
  signingSecret: string | null;
  /** Records the key's last use, once the signature proved it was the key's holder. */
  markUsed(): void;
};

export type ApiKeyRefusalReason = 'unknown' | 'revoked' | 'expired' | 'malformed';

export interface ApiKeyRefusal {
  refused: ApiKeyRefusalReason;
  /** Set when the key exists (revoked or expired), for metering and audit. */
  id?: string;
  clientId?: string;
}

export function isRefusal<T extends VerifiedApiKey>(result: T | ApiKeyRefusal): result is ApiKeyRefusal {
  return 'refused' in result;
}

interface Looked {
  /** undefined: no key with this id, or the hash did not match. */
  row: {
    id: string; clientId: string; resource: string; scope: string | null; rateLimit: number | null; dailyQuota: number | null;
    expiresAt: Date | null; revokedAt: Date | null; lastUsedAt: Date | null; signingSecret: string | null;
  } | undefined;
  apiDefaults: { rateLimit: number | null; dailyQuota: number | null } | undefined;
}

export class ApiKeyVerifier {
  /** By a SHA-256 of the presented key, so memory holds no key either; signers by `id:` and their id. */
  private readonly cache: FreshLookups<Looked>;
  private readonly usedAt = new Map<string, Date>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly options: { pepper?: string | undefined; cacheMs?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.cache = new FreshLookups(options.cacheMs ?? API_KEY_CACHE_MS);
    this.timer = setInterval(() => { void this.flushLastUsed(); }, LAST_USED_FLUSH_MS);
    this.timer.unref();
  }

  async verify(presented: string, now = new Date()): Promise<VerifiedApiKey | ApiKeyRefusal> {
    const id = apiKeyIdOf(presented);
    if (id === undefined) return { refused: 'malformed' };
    const cacheKey = createHash('sha256').update(presented).digest('base64url');
    const looked = await this.cache.get(cacheKey, () => this.fetch(id, presented));
    const verified = this.accept(looked, now);
    if (looked.row && !isRefusal(verified)) this.markUsed(looked.row, now);
    return verified;
  }

  /** The key a signature names by its public id; no key is presented, the signature proves it. */
  async signer(id: string, now = new Date()): Promise<VerifiedSigner | ApiKeyRefusal> {
    if (!API_KEY_ID_PATTERN.test(id)) return { refused: 'malformed' };
    const looked = await this.cache.get(`id:${id}`, () => this.fetch(id, undefined));
    const verified = this.accept(looked, now);
    const { row } = looked;
    if (isRefusal(verified)) return verified;
    if (!row) return { refused: 'unknown' };
    return { ...verified, signingSecret: row.signingSecret, markUsed: () => this.markUsed(row, now) };
  }

  private accept(looked: Looked, now: Date): VerifiedApiKey | ApiKeyRefusal {
    const { row } = looked;
    if (!row) return { refused: 'unknown' };
    const status = statusOf(row, now);
    if (status === 'revoked' || status === 'expired') return { refused: status, id: row.id, clientId: row.clientId };
    // A key whose API is gone was revoked with it; this covers the moment in between.
    if (!looked.apiDefaults) return { refused: 'revoked', id: row.id, clientId: row.clientId };
    const rateLimit = row.rateLimit ?? looked.apiDefaults.rateLimit;
    const dailyQuota = row.dailyQuota ?? looked.apiDefaults.dailyQuota;
    return {
      id: row.id,
      clientId: row.clientId,
      resource: row.resource,
      scopes: row.scope === null ? undefined : row.scope.split(' '),
      ...(rateLimit === null ? {} : { rateLimitPerSecond: rateLimit }),
      ...(dailyQuota === null ? {} : { quotaPerDay: dailyQuota }),
    };
  }

  /** `presented` undefined: by id alone, for a signer. */
  private async fetch(id: string, presented: string | undefined): Promise<Looked> {
    const stored = await this.db.apiKey.findUnique({ where: { id } });
    if (!stored || (presented !== undefined && !clientSecretMatches(stored.keyHash, presented, this.options.pepper))) {
      return { row: undefined, apiDefaults: undefined };
    }
    const api = await this.db.resourceServer.findUnique({ where: { identifier: stored.resource }, select: { rateLimit: true, dailyQuota: true } });
    const { keyHash: _hash, ...row } = stored;
    return { row, apiDefaults: api ?? undefined };
  }

  private markUsed(row: NonNullable<Looked['row']>, now: Date): void {
    const known = this.usedAt.get(row.id) ?? row.lastUsedAt;
    if (known && now.getTime() - known.getTime() < LAST_USED_RESOLUTION_MS) return;
    this.usedAt.set(row.id, now);
  }

  /** Writes the last uses marked so far; never moves one backwards. */
  flushLastUsed(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = [...this.usedAt];
      if (batch.length === 0) return;
      for (const [id, at] of batch) {
        try {
          await this.db.apiKey.updateMany({ where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: at } }] }, data: { lastUsedAt: at } });
          if (this.usedAt.get(id) === at) this.usedAt.delete(id);
        } catch (error) {
          this.options.onError?.(error);
        }
      }
    });
    return this.flushing;
  }

  /** For shutdown: stops the timer and writes the last uses still in memory. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushLastUsed();
  }
}
