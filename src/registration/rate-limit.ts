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
    async consume(key) {
      const now = new Date();
      const windowOpen = new Date(now.getTime() - windowSeconds * 1000);
      return db.$transaction(async (tx) => {
        const row = await tx.registrationAttempt.findUnique({ where: { ip: key } });
        if (!row || row.windowStart < windowOpen) {
          await tx.registrationAttempt.upsert({
            where: { ip: key },
            create: { ip: key, windowStart: now, count: 1 },
            update: { windowStart: now, count: 1 },
          });
          // Old windows of other addresses are dead weight; dropping them here keeps the table small.
          await tx.registrationAttempt.deleteMany({ where: { windowStart: { lt: windowOpen } } });
          return limit >= 1;
        }
        const updated = await tx.registrationAttempt.update({ where: { ip: key }, data: { count: { increment: 1 } } });
        return updated.count <= limit;
      });
    },
  };
}
