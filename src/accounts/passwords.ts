// argon2id hashing at the configured cost. argon2 runs on libuv's thread pool, so a sign-in never
// blocks the event loop for other requests.
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import type { Argon2Settings } from '../config/env.js';
import { ConcurrencyLimit } from './concurrency-limit.js';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * How many argon2 computations may run at once: one per `parallelism` cores this process may use.
 * libuv's pool has four threads whatever the core count; on fewer cores, four 19 MiB computations
 * only evict each other from the caches (about 10% more CPU per verify on one core) and leave the
 * event loop a fifth of the core while they run.
 */
export function argon2Slots(parallelism: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / parallelism));
}

export class PasswordHasher {
  #options: { type: typeof argon2.argon2id; memoryCost: number; timeCost: number; parallelism: number };
  #dummyHash: Promise<string> | undefined;
  readonly #limit: ConcurrencyLimit;

  constructor(settings: Argon2Settings, slots = argon2Slots(settings.parallelism)) {
    this.#limit = new ConcurrencyLimit(slots);
    this.#options = {
      type: argon2.argon2id,
      memoryCost: settings.memoryKiB,
      timeCost: settings.timeCost,
      parallelism: settings.parallelism,
    };
  }

  hash(password: string): Promise<string> {
    return this.#limit.run(() => argon2.hash(password, this.#options));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.#limit.run(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }

  /** Spends the same time as a real check, so response time does not reveal unknown emails. */
  async verifyAgainstNothing(password: string): Promise<false> {
    this.#dummyHash ??= this.hash('gatehouse-timing-equaliser');
    await this.verify(await this.#dummyHash, password);
    return false;
  }
}

export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return undefined;
}
