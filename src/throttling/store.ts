// One place that builds rate-limiter-flexible limiters on our database (the RateLimit table), so
// every instance sharing the database shares the counters. Expired rows go with the sweeper.
import { RateLimiterPrisma } from 'rate-limiter-flexible';
import type { Database } from '../persistence/prisma-client.js';

export function databaseLimiter(db: Database, keyPrefix: string, points: number, durationSeconds: number): RateLimiterPrisma {
  return new RateLimiterPrisma({
    storeClient: db,
    tableName: 'rateLimit',
    keyPrefix,
    points,
    duration: durationSeconds,
    clearExpiredByTimeout: false,
  });
}

export function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}
