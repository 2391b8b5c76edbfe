// A small fixed-window limit on client registrations per IP address, kept in the database so it
// holds across restarts and instances. Behind the RateLimiter interface so a general rate limiter
// can replace it without touching the registration code.
import type { Database } from '../persistence/prisma-client.js';

export interface RateLimiter {
  /** Counts one attempt for `key`; false when the key is over its limit for the current window. */
  consume(key: string): Promise<boolean>;
}

export function registrationRateLimiter(db: Database, limit: number, windowSeconds = 3600): RateLimiter {
  return {
    // Count first with one atomic upsert (INSERT ... ON CONFLICT on PostgreSQL), so concurrent
    // attempts can never all see an empty window; a stale window is then reset by exactly one of them.
    async consume(key) {
      const now = new Date();
      const windowOpen = new Date(now.getTime() - windowSeconds * 1000);
      const row = await db.registrationAttempt.upsert({
        where: { ip: key },
        create: { ip: key, windowStart: now, count: 1 },
        update: { count: { increment: 1 } },
      });
      if (row.windowStart >= windowOpen) return row.count <= limit;
      const reset = await db.registrationAttempt.updateMany({ where: { ip: key, windowStart: row.windowStart }, data: { windowStart: now, count: 1 } });
      if (reset.count === 0) {
        const again = await db.registrationAttempt.update({ where: { ip: key }, data: { count: { increment: 1 } } });
        return again.count <= limit;
      }
      // Old windows of other addresses are dead weight; dropping them here keeps the table small.
      await db.registrationAttempt.deleteMany({ where: { windowStart: { lt: windowOpen } } });
      return limit >= 1;
    },
  };
}
