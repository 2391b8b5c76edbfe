// Deletes rows once they are past expiry and retention, so tables and indexes stay small and sealed
// payloads that no longer serve any purpose do not pile up.
import type { Database } from './prisma-client.js';
import { retentionCutoff } from './retention.js';

export type SweepCounts = {
  oidcPayload: number;
  refreshToken: number;
  grant: number;
  devicePoll: number;
  signingKey: number;
  rateLimit: number;
  auditEvent: number;
};

const DAY_MS = 86_400_000;

/**
 * Deletes every row that expired before the retention window (rows without an expiry are kept),
 * rate-limit counters whose window is over, and audit events older than their retention.
 */
export async function sweepExpired(db: Database, now: Date = new Date(), auditRetentionDays = 90): Promise<SweepCounts> {
  const expired = { where: { expiresAt: { lt: retentionCutoff(now) } } };
  // One table after another: on SQLite there is a single writer, so parallel deletes only queue.
  const oidcPayload = (await db.oidcPayload.deleteMany(expired)).count;
  const refreshToken = (await db.refreshToken.deleteMany(expired)).count;
  const grant = (await db.grant.deleteMany(expired)).count;
  const devicePoll = (await db.devicePoll.deleteMany(expired)).count;
  const signingKey = (await db.signingKey.deleteMany(expired)).count;
  const rateLimit = (await db.rateLimit.deleteMany({ where: { expire: { lt: now } } })).count;
  const auditEvent = (await db.auditEvent.deleteMany({ where: { createdAt: { lt: new Date(now.getTime() - auditRetentionDays * DAY_MS) } } })).count;
  return { oidcPayload, refreshToken, grant, devicePoll, signingKey, rateLimit, auditEvent };
}

/**
 * Sweeps every `intervalSeconds` until stopped. The next run is scheduled only after the previous
 * one finished, so runs never overlap; the timer is unref'd so it never keeps the process alive.
 * The returned stop function resolves once any run in progress has finished, so the caller can
 * disconnect the database safely afterwards.
 */
export function startSweeper(
  db: Database,
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
    timer = setTimeout(() => {
      running = sweepExpired(db, new Date(), auditRetentionDays).then(() => undefined, onError).finally(schedule);
    }, intervalSeconds * 1000);
    timer.unref();
  };

  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
