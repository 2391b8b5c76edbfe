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

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface FailureOutcome {
  failures: number;
  /** Seconds the account is now locked for; 0 when it is not locked. */
  lockedForSeconds: number;
}

function accountKey(email: string): string {
  return hashId(normaliseEmail(email));
}

const ACCOUNT_FAILURES = 'login-failures';
const ACCOUNT_LOCKS = 'login-lock';


export class LoginThrottle {
  private readonly accountFailures: DatabaseCounter;
  private readonly accountLocks: DatabaseCounter;
  private readonly ipFailures: DatabaseCounter;

  constructor(store: HotStore, private readonly settings: LoginThrottleSettings) {
    this.accountFailures = new DatabaseCounter(store, ACCOUNT_FAILURES, settings.windowSeconds);
    this.accountLocks = new DatabaseCounter(store, ACCOUNT_LOCKS, settings.lockoutMaxSeconds);
    this.ipFailures = new DatabaseCounter(store, 'login-ip', settings.windowSeconds);
  }

  /** Whether a sign-in for this email from this IP may be checked at all. */
  async check(email: string, ip: string): Promise<ThrottleVerdict> {
    const [lock, ipCount] = await Promise.all([this.accountLocks.get(accountKey(email)), this.ipFailures.get(ip)]);
    const waits: number[] = [];
    if (lock && lock.consumedPoints > 0 && lock.msBeforeNext > 0) waits.push(lock.msBeforeNext);
    if (ipCount && ipCount.consumedPoints >= this.settings.ipMaxFailures) waits.push(ipCount.msBeforeNext);
    return waits.length ? { allowed: false, retryAfterSeconds: retryAfterSeconds(Math.max(...waits)) } : { allowed: true };
  }

  async recordFailure(email: string, ip: string): Promise<FailureOutcome> {
    const key = accountKey(email);
    const [account] = await Promise.all([this.accountFailures.penalty(key), this.ipFailures.penalty(ip)]);
    const failures = account.consumedPoints;
    const lockedForSeconds = this.lockoutFor(failures);
    if (lockedForSeconds > 0) await this.accountLocks.block(key, lockedForSeconds);
    return { failures, lockedForSeconds };
  }

  /** Exponential backoff: the base delay at the threshold, doubling with each further failure. */
  lockoutFor(failures: number): number {
    const { maxFailures, lockoutBaseSeconds, lockoutMaxSeconds } = this.settings;
    if (failures < maxFailures) return 0;
    const backoff = Math.min(lockoutBaseSeconds * 2 ** Math.min(failures - maxFailures, 30), lockoutMaxSeconds);
    return failures >= HARD_FAILURE_LIMIT ? Math.max(backoff, HARD_LOCKOUT_SECONDS) : backoff;
  }

  async recordSuccess(email: string): Promise<void> {
    await this.unlock(email);
  }

  /** Clears an account's failures and lockout; true when there was anything to clear. */
  async unlock(email: string): Promise<boolean> {
    const key = accountKey(email);
    const [failures, lock] = await Promise.all([this.accountFailures.delete(key), this.accountLocks.delete(key)]);
    return failures || lock;
  }
}
