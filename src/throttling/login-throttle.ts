// Brute-force and credential-stuffing protection for sign-in. Failures are counted per account (by
// a hash of the email, so unknown emails are throttled exactly like real ones and nothing reveals
// which exist) and per client IP; past the threshold an account is locked for a delay that doubles
// with each further failure, up to a cap. Locked attempts never reach the password hash.
import type { LoginThrottleSettings } from '../config/env.js';
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import { normaliseEmail } from '../accounts/users.js';
import { hashId } from '../persistence/sealing.js';
import { DatabaseCounter, retryAfterSeconds } from './store.js';

/** After this many consecutive failures the lockout lasts at least a minute, whatever the settings. */
const HARD_FAILURE_LIMIT = 10;
const HARD_LOCKOUT_SECONDS = 60;

export interface FailureOutcome {
  failures: number;
  /** Seconds the account is now locked for; 0 when it is not locked. */
  lockedForSeconds: number;
}

/** A sign-in attempt let through: already counted, it must be settled one way or another. */
export interface LoginAttempt {
  failed(): Promise<FailureOutcome>;
  succeeded(): Promise<void>;
  /** Gives back what was counted, for an attempt that ended in an error rather than a verdict. */
  abandoned(): Promise<void>;
}

export type ThrottleVerdict = { allowed: true; attempt: LoginAttempt } | { allowed: false; retryAfterSeconds: number };

/** How a counter names an account: a hash of its normalised email, so known and unknown look alike. */
export function accountKey(email: string): string {
  return hashId(normaliseEmail(email));
}

const ACCOUNT_FAILURES = 'login-failures';
const ACCOUNT_LOCKS = 'login-lock';


export class LoginThrottle {
  private readonly accountAttempts: DatabaseCounter;
  private readonly accountLocks: DatabaseCounter;
  private readonly ipFailures: DatabaseCounter;

  constructor(store: HotStore, private readonly settings: LoginThrottleSettings) {
    this.accountAttempts = new DatabaseCounter(store, ACCOUNT_FAILURES, settings.windowSeconds);
    this.accountLocks = new DatabaseCounter(store, ACCOUNT_LOCKS, settings.lockoutMaxSeconds);
    this.ipFailures = new DatabaseCounter(store, 'login-ip', settings.windowSeconds);
  }

  /**
   * Whether a sign-in for this email from this IP may be checked at all. Attempts are counted
   * before the password is checked, as failures until they succeed: counted only afterwards, a
   * burst of concurrent guesses would all pass here before the first failure was recorded. The
   * attempt whose failure would lock the account takes the lock up front, so attempts beyond it wait
   * for its outcome instead of being checked alongside it.
   */
  async begin(email: string, ip: string): Promise<ThrottleVerdict> {
    const key = accountKey(email);
    const [attempts, lock, ipCount] = await Promise.all([
      this.accountAttempts.penalty(key), this.accountLocks.get(key), this.ipFailures.penalty(ip),
    ]);
    const failures = attempts.consumedPoints;
    const lockout = this.lockoutFor(failures);
    let waitMs = 0;
    if (lock && lock.consumedPoints > 0 && lock.msBeforeNext > 0) waitMs = lock.msBeforeNext;
    if (ipCount.consumedPoints > this.settings.ipMaxFailures) waitMs = Math.max(waitMs, ipCount.msBeforeNext);
    let claimed = false;
    if (waitMs === 0 && lockout > 0) {
      const claim = await this.accountLocks.claim(key, lockout);
      claimed = claim.consumedPoints === 1;
      if (!claimed) waitMs = claim.msBeforeNext;
    }
    if (waitMs > 0) {
      await Promise.all([this.accountAttempts.reward(key), this.ipFailures.reward(ip)]);
      return { allowed: false, retryAfterSeconds: retryAfterSeconds(waitMs) };
    }
    return {
      allowed: true,
      attempt: {
        // Already counted. The lock was taken for the count when the attempt began, which included
        // concurrent attempts refused since; it lasts as long as the count now says.
        failed: async () => {
          if (!claimed) return { failures, lockedForSeconds: 0 };
          const now = (await this.accountAttempts.get(key))?.consumedPoints ?? 0;
          const seconds = this.lockoutFor(now);
          await (seconds > 0 ? this.accountLocks.block(key, seconds) : this.accountLocks.delete(key));
          return { failures: now, lockedForSeconds: seconds };
        },
        succeeded: async () => {
          await Promise.all([this.clear(key), this.ipFailures.reward(ip)]);
        },
        abandoned: async () => {
          await Promise.all([this.accountAttempts.reward(key), this.ipFailures.reward(ip), claimed ? this.accountLocks.delete(key) : undefined]);
        },
      },
    };
  }

  /** Exponential backoff: the base delay at the threshold, doubling with each further failure. */
  lockoutFor(failures: number): number {
    const { maxFailures, lockoutBaseSeconds, lockoutMaxSeconds } = this.settings;
    if (failures < maxFailures) return 0;
    const backoff = Math.min(lockoutBaseSeconds * 2 ** Math.min(failures - maxFailures, 30), lockoutMaxSeconds);
    return failures >= HARD_FAILURE_LIMIT ? Math.max(backoff, HARD_LOCKOUT_SECONDS) : backoff;
  }

  /** Clears an account's failures and lockout; true when there was anything to clear. */
  async unlock(email: string): Promise<boolean> {
    return this.clear(accountKey(email));
  }

  private async clear(key: string): Promise<boolean> {
    const [failures, lock] = await Promise.all([this.accountAttempts.delete(key), this.accountLocks.delete(key)]);
    return failures || lock;
  }
}
