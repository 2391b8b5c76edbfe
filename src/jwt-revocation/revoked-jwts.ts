// The shared record of JWT access tokens revoked before they expire. A JWT is verified offline, so
// nothing else would stop one: every instance keeps the list in memory and brings it up to date
// when it is older than REVOCATION_FRESHNESS_MS, reading only the rows revoked since its newest
// one. A token revoked on one instance is refused on every other within that bound plus one query.
import type { Database } from '../persistence/prisma-client.js';

/** Well under the 1 s bound, with room for the query that refreshes the list. */
export const REVOCATION_FRESHNESS_MS = 500;
/**
 * Each read goes back this far before the newest revocation it has seen: a revocation committed
 * late, or stamped by an instance whose clock is behind, is still picked up.
 */
const OVERLAP_MS = 10_000;

export class RevokedJwts {
  /** jti → when the token expires (ms): past that it can no longer be used anyway. */
  private readonly expiries = new Map<string, number>();
  private newest: Date | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly db: Database, private readonly freshnessMs = REVOCATION_FRESHNESS_MS) {}

  async record(jti: string, expiresAt: Date): Promise<void> {
    await this.db.revokedJwt.upsert({ where: { jti }, create: { jti, expiresAt, revokedAt: new Date() }, update: {} });
    this.expiries.set(jti, expiresAt.getTime());
  }

  async isRevoked(jti: string): Promise<boolean> {
    if (Date.now() - this.fetchedAt >= this.freshnessMs) {
      this.refreshing ??= this.refresh().finally(() => { this.refreshing = undefined; });
      await this.refreshing;
    }
    const expiry = this.expiries.get(jti);
    return expiry !== undefined && expiry > Date.now();
  }

  private async refresh(): Promise<void> {
    // Timed from before the query: what it reads is no fresher than that.
    const started = Date.now();
    const since = this.newest ? new Date(this.newest.getTime() - OVERLAP_MS) : undefined;
    const rows = await this.db.revokedJwt.findMany({
      where: { expiresAt: { gt: new Date(started) }, ...(since ? { revokedAt: { gte: since } } : {}) },
      select: { jti: true, expiresAt: true, revokedAt: true },
    });
    for (const row of rows) {
      this.expiries.set(row.jti, row.expiresAt.getTime());
      if (!this.newest || row.revokedAt > this.newest) this.newest = row.revokedAt;
    }
    for (const [jti, expiry] of this.expiries) if (expiry <= started) this.expiries.delete(jti);
    this.fetchedAt = started;
  }
}
