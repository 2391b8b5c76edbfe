// What /readyz reports: the database answers, this build's migrations are all applied, the keys are
// loaded, and the instance is not shutting down. The migration check is remembered once it passes
// (migrations are never un-applied), so a readiness probe costs one `SELECT 1`.
import type { Database } from '../persistence/prisma-client.js';
import { migrationStatus } from '../persistence/migration-status.js';

export interface ReadinessReport {
  ready: boolean;
  checks: { database: string; migrations: string; keys: string; shutdown: string };
}

/** A probe must answer even when a query hangs (e.g. waiting for a pool connection). */
const PROBE_TIMEOUT_MS = 3_000;

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), PROBE_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export class Readiness {
  #migrated = false;
  #keysLoaded = false;
  #shuttingDown = false;

  constructor(private readonly db: Database, private readonly databaseUrl: string) {}

  keysLoaded(): void {
    this.#keysLoaded = true;
  }

  shuttingDown(): void {
    this.#shuttingDown = true;
  }

  async report(): Promise<ReadinessReport> {
    let database = 'ok';
    let migrations = this.#migrated ? 'ok' : 'unknown';
    try {
      await withTimeout(this.db.$queryRawUnsafe('SELECT 1'));
      if (!this.#migrated) {
        const { pending } = await withTimeout(migrationStatus(this.db, this.databaseUrl));
        this.#migrated = pending.length === 0;
        migrations = this.#migrated ? 'ok' : `pending: ${pending.join(', ')}`;
      }
    } catch {
      database = 'unreachable';
    }
    const checks = {
      database,
      migrations,
      keys: this.#keysLoaded ? 'ok' : 'not loaded',
      shutdown: this.#shuttingDown ? 'shutting down' : 'ok',
    };
    return { ready: Object.values(checks).every((value) => value === 'ok'), checks };
  }
}
