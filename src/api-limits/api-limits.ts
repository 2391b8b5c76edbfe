// Rate limits and daily quotas at the gateway check: per API key, or per client and API for calls
// with an access token only. The counters are the RateLimit rows today's client limits use
// (src/throttling/store.ts), one atomic upsert per count, so every instance shares them exactly and
// a limit cannot overshoot across instances: no count is batched. A call over the per-second limit
// does not use up the day's quota (its point is given back), and one refused by the quota gives its
// second back.
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import { DatabaseCounter, retryAfterSeconds } from '../throttling/store.js';
import { utcDay } from '../usage/usage-meter.js';

export interface ChargeRequest {
  apiKeyId?: string | undefined;
  clientId: string;
  resource: string;
  /** undefined: no such limit. */
  perSecond?: number | undefined;
  perDay?: number | undefined;
}

/** For the RateLimit-* and Retry-After headers; the limit fields are absent when no limit applies. */
export interface ChargeResult {
  allowed: boolean;
  /** The limit closest to being reached (or the one that refused). */
  limit?: number;
  remaining?: number;
  /** Seconds until that limit's window ends. */
  resetSeconds?: number;
  /** Set when refused. */
  retryAfterSeconds?: number;
  /** Which limit refused the call. */
  exceeded?: 'rate' | 'quota';
}

function secondsToUtcMidnight(now: Date): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return retryAfterSeconds(midnight - now.getTime());
}

/** Whose counter a call uses: the key's, or the client's at this API. */
function subject(request: ChargeRequest): string {
  return request.apiKeyId !== undefined ? `key:${request.apiKeyId}` : `client:${request.clientId}:${request.resource}`;
}

export class ApiLimits {
  private readonly perSecond: DatabaseCounter;
  private readonly perDay: DatabaseCounter;

  constructor(store: HotStore) {
    this.perSecond = new DatabaseCounter(store, 'api-rate', 1);
    this.perDay = new DatabaseCounter(store, 'api-quota', 2 * 86_400);
  }

  async charge(request: ChargeRequest, now = new Date()): Promise<ChargeResult> {
    const who = subject(request);
    const { perSecond, perDay } = request;
    const day = `${who}:${utcDay(now)}`;
    // Both counts are asked for at once: on SQLite they share one commit, on PostgreSQL one round
    // trip's time, instead of one after the other on every allowed call.
    const [second, today] = await Promise.all([
      perSecond === undefined ? undefined : this.perSecond.penalty(who),
      perDay === undefined ? undefined : this.perDay.penalty(day),
    ]);
    let nearest: { limit: number; remaining: number; resetSeconds: number } | undefined;
    if (perSecond !== undefined && second) {
      const resetSeconds = retryAfterSeconds(second.msBeforeNext);
      if (second.consumedPoints > perSecond) {
        if (today) await this.perDay.reward(day);
        return { allowed: false, limit: perSecond, remaining: 0, resetSeconds, retryAfterSeconds: resetSeconds, exceeded: 'rate' };
      }
      nearest = { limit: perSecond, remaining: perSecond - second.consumedPoints, resetSeconds };
    }
    if (perDay !== undefined && today) {
      const resetSeconds = secondsToUtcMidnight(now);
      if (today.consumedPoints > perDay) {
        if (second) await this.perSecond.reward(who);
        return { allowed: false, limit: perDay, remaining: 0, resetSeconds, retryAfterSeconds: resetSeconds, exceeded: 'quota' };
      }
      const quota = { limit: perDay, remaining: perDay - today.consumedPoints, resetSeconds };
      if (!nearest || quota.remaining < nearest.remaining) nearest = quota;
    }
    return nearest ? { allowed: true, ...nearest } : { allowed: true };
  }
}
