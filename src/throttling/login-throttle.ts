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

function accountKey(email: string): string {
  return hashId(normaliseEmail(email));
}

const ACCOUNT_FAILURES = 'login-failures';
const ACCOUNT_LOCKS = 'login-lock';
const ACCOUNT_IN_FLIGHT = 'login-in-flight';
/** How long an attempt holds its account should the process die before settling it. */
const IN_FLIGHT_SECONDS = 30;


export class LoginThrottle {
  private readonly accountFailures: DatabaseCounter;
  private readonly accountLocks: DatabaseCounter;
  private readonly ipFailures: DatabaseCounter;
  private readonly accountsInFlight: DatabaseCounter;

  constructor(store: HotStore, private readonly settings: LoginThrottleSettings) {
    this.accountFailures = new DatabaseCounter(store, ACCOUNT_FAILURES, settings.windowSeconds);
    this.accountLocks = new DatabaseCounter(store, ACCOUNT_LOCKS, settings.lockoutMaxSeconds);
    this.ipFailures = new DatabaseCounter(store, 'login-ip', settings.windowSeconds);
    this.accountsInFlight = new DatabaseCounter(store, ACCOUNT_IN_FLIGHT, IN_FLIGHT_SECONDS);
  }

  /**
   * Whether a sign-in for this email from this IP may be checked at all. Everything is counted
   * before the password is: were it counted only after, a burst of concurrent guesses would all
   * pass this check before the first failure was recorded. So an account takes one attempt at a
   * time (across instances), and each attempt counts against its IP until it succeeds.
   */
  async begin(email: string, ip: string): Promise<ThrottleVerdict> {
    const key = accountKey(email);
    const inFlight = await this.accountsInFlight.penalty(key);
    if (inFlight.consumedPoints > 1) {
      await this.accountsInFlight.reward(key);
      return { allowed: false, retryAfterSeconds: 1 };
    }
    const [lock, ipCount] = await Promise.all([this.accountLocks.get(key), this.ipFailures.penalty(ip)]);
    const waits: number[] = [];
    if (lock && lock.consumedPoints > 0 && lock.msBeforeNext > 0) waits.push(lock.msBeforeNext);
    if (ipCount.consumedPoints > this.settings.ipMaxFailures) waits.push(ipCount.msBeforeNext);
    if (waits.length) {
      await this.release(key, ip);
      return { allowed: false, retryAfterSeconds: retryAfterSeconds(Math.max(...waits)) };
    }
    return {
      allowed: true,
      attempt: {
        failed: () => this.settleFailure(key, ip),
        succeeded: () => this.settleSuccess(key, ip),
        abandoned: () => this.release(key, ip),
      },
    };
  }

  /** Frees the account for its next attempt and gives the IP its point back. */
  private async release(key: string, ip: string): Promise<void> {
    await Promise.all([this.accountsInFlight.reward(key), this.ipFailures.reward(ip)]);
  }

  private async settleFailure(key: string, ip: string): Promise<FailureOutcome> {
    const account = await this.accountFailures.penalty(key);
    const failures = account.consumedPoints;
    const lockedForSeconds = this.lockoutFor(failures);
    // Locked before the account is freed, so the next attempt finds the lock.
    if (lockedForSeconds > 0) await this.accountLocks.block(key, lockedForSeconds);
    await this.accountsInFlight.reward(key);
    return { failures, lockedForSeconds };
  }

  private async settleSuccess(key: string, ip: string): Promise<void> {
    await Promise.all([this.accountFailures.delete(key), this.accountLocks.delete(key)]);
    await this.release(key, ip);
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
    const key = accountKey(email);
    const [failures, lock] = await Promise.all([this.accountFailures.delete(key), this.accountLocks.delete(key)]);
    return failures || lock;
  }
}
