// Deletes rows once they are past expiry and retention, so tables and indexes stay small and sealed
// payloads that no longer serve any purpose do not pile up. With many instances on one PostgreSQL
// database, one sweep runs at a time: an instance whose turn it is not skips the round instead of
// queueing, and instances start their timers at random offsets so they do not all wake together.
import type { Database } from './prisma-client.js';
import type { Transaction } from './exclusive.js';
import type { DatabaseProvider } from './database-provider.js';
import { retentionCutoff } from './retention.js';

/** Fixed advisory lock key for sweeping, apart from the migration lock's. */
export const SWEEP_LOCK_KEY = 0x7377_6570; // "swep"

export type SweepCounts = {
  oidcPayload: number;
  refreshToken: number;
  grant: number;
  devicePoll: number;
  signingKey: number;
  rateLimit: number;
  auditEvent: number;
  revokedJwt: number;
  mfaChallenge: number;
};

const DAY_MS = 86_400_000;

/**
 * Deletes every row that expired before the retention window (rows without an expiry are kept),
 * rate-limit counters whose window is over, and audit events older than their retention.
 */
export async function sweepExpired(db: Database | Transaction, now: Date = new Date(), auditRetentionDays = 90): Promise<SweepCounts> {
  const expired = { where: { expiresAt: { lt: retentionCutoff(now) } } };
  // One table after another: on SQLite there is a single writer, so parallel deletes only queue.
  const oidcPayload = (await db.oidcPayload.deleteMany(expired)).count;
  const refreshToken = (await db.refreshToken.deleteMany(expired)).count;
  const grant = (await db.grant.deleteMany(expired)).count;
  const devicePoll = (await db.devicePoll.deleteMany(expired)).count;
  const signingKey = (await db.signingKey.deleteMany(expired)).count;
  const rateLimit = (await db.rateLimit.deleteMany({ where: { expire: { lt: now } } })).count;
  const auditEvent = (await db.auditEvent.deleteMany({ where: { createdAt: { lt: new Date(now.getTime() - auditRetentionDays * DAY_MS) } } })).count;
  // A revoked JWT that has expired is refused for that alone.
  const revokedJwt = (await db.revokedJwt.deleteMany({ where: { expiresAt: { lt: now } } })).count;
  // A WebAuthn challenge past its expiry can no longer be answered (src/mfa/passkeys.ts refuses it);
  // ceremonies started and never finished would otherwise stay forever.
  const mfaChallenge = (await db.mfaChallenge.deleteMany({ where: { expiresAt: { lt: now } } })).count;
  return { oidcPayload, refreshToken, grant, devicePoll, signingKey, rateLimit, auditEvent, revokedJwt, mfaChallenge };
}

/**
 * One sweep by whichever instance gets there first. On PostgreSQL the transaction-scoped advisory
 * lock is tried, never waited for: null means another instance is sweeping right now. The deletes
 * touch only long-expired rows, which token issuance never locks, so they do not slow it down.
 */
export async function sweepOnce(db: Database, provider: DatabaseProvider, now: Date = new Date(), auditRetentionDays = 90): Promise<SweepCounts | null> {
  if (provider === 'sqlite') return sweepExpired(db, now, auditRetentionDays);
  return db.$transaction(async (tx) => {
    const [row] = await tx.$queryRawUnsafe<{ locked: boolean }[]>(`SELECT pg_try_advisory_xact_lock(${SWEEP_LOCK_KEY}) AS locked`);
    return row?.locked ? sweepExpired(tx, now, auditRetentionDays) : null;
  }, { maxWait: 10_000, timeout: 120_000 });
}

/**
 * Sweeps every `intervalSeconds` until stopped. The next run is scheduled only after the previous
 * one finished, so runs never overlap; the timer is unref'd so it never keeps the process alive.
 * The returned stop function resolves once any run in progress has finished, so the caller can
 * disconnect the database safely afterwards.
 */
export function startSweeper(
  db: Database,
  provider: DatabaseProvider,
  intervalSeconds: number,
  auditRetentionDays: number,
  onError: (error: unknown) => void,
): () => Promise<void> {
  if (!(intervalSeconds > 0)) throw new RangeError('intervalSeconds must be positive');
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const schedule = (): void => {
    if (stopped) return;
    // 75% to 125% of the interval: instances started together drift apart instead of colliding.
    const delay = intervalSeconds * 1000 * (0.75 + Math.random() / 2);
    timer = setTimeout(() => {
      running = sweepOnce(db, provider, new Date(), auditRetentionDays).then(() => undefined, onError).finally(schedule);
    }, delay);
    timer.unref();
  };

  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
