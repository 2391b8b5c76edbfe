// Windowed counters in the RateLimit table, for login throttling and the per-client and per-IP
// limits: every instance sharing the database shares them. Expired rows go with the sweeper.
//
// They sit in front of every token request, so they use the hot-path statements: one atomic upsert
// per count, with no read-then-write race between instances or requests.
import type { HotStore, RateLimitRecord } from '../persistence/hot-path/hot-store.js';

/** A counter's state as callers read it. */
export interface CounterState {
  /** Points counted in the current window. */
  consumedPoints: number;
  /** Milliseconds until the window ends; -1 for a counter without one. */
  msBeforeNext: number;
}

/** The row key a limiter stores its counter for `key` under. */
function limiterRowKey(keyPrefix: string, key: string): string {
  return `${keyPrefix}:${key}`;
}

function stateOf(record: RateLimitRecord): CounterState {
  return { consumedPoints: record.points, msBeforeNext: record.expire === null ? -1 : Math.max(record.expire - Date.now(), 0) };
}

export class DatabaseCounter {
  constructor(private readonly store: HotStore, private readonly keyPrefix: string, private readonly windowSeconds: number) {}

  private add(key: string, points: number, windowSeconds: number, replace: boolean): Promise<CounterState> {
    const now = Date.now();
    return this.store.addRateLimitPoints(limiterRowKey(this.keyPrefix, key), points, now + windowSeconds * 1000, now, replace).then(stateOf);
  }

  /** The counter, or undefined when nothing was counted in a window still open. */
  async get(key: string): Promise<CounterState | undefined> {
    const record = await this.store.findRateLimit(limiterRowKey(this.keyPrefix, key), Date.now());
    return record ? stateOf(record) : undefined;
  }

  /** Counts `points` more; a window that has ended starts afresh. */
  penalty(key: string, points = 1): Promise<CounterState> {
    return this.add(key, points, this.windowSeconds, false);
  }

  /** Takes back `points` counted earlier (a request that turned out not to be the caller's). */
  reward(key: string, points = 1): Promise<CounterState> {
    return this.add(key, -points, this.windowSeconds, false);
  }

  /** Sets the counter to one point for `seconds`, whatever it held: a lockout. */
  block(key: string, seconds: number): Promise<CounterState> {
    return this.add(key, 1, seconds, true);
  }

  /**
   * Counts one point in a window of `seconds` rather than the counter's own, for windows that vary
   * (a lockout's length). One point means the caller opened the window; more, that one was open.
   */
  claim(key: string, seconds: number): Promise<CounterState> {
    return this.add(key, 1, seconds, false);
  }

  /** True when there was a counter to delete. */
  delete(key: string): Promise<boolean> {
    return this.store.deleteRateLimit(limiterRowKey(this.keyPrefix, key));
  }
}

export function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}
