// Picks the hot-path statements for the connection Prisma opened, and times them into the same
// query-latency histogram as Prisma's queries.
import type BetterSqlite3 from 'better-sqlite3';
import type { Pool } from 'pg';
import type { HotStore } from './hot-store.js';
import { SqliteHotStore } from './sqlite-hot-store.js';
import { PostgresHotStore } from './postgres-hot-store.js';

/** The driver connection underneath the Prisma client: one per process, shared with Prisma. */
export type SqlConnection =
  | { dialect: 'sqlite'; database: BetterSqlite3.Database }
  | { dialect: 'postgresql'; pool: Pool };

/**
 * Gives the timer of one statement on a table (named as Prisma names its model): called once per
 * statement, so the labels are resolved once, not on every call. The timer returns its stop.
 */
export type TimerFor = (model: string, operation: string) => () => () => void;

/** The table each statement touches, so its latency is labelled like Prisma's queries on it. */
const TABLE_OF: Record<keyof HotStore, string> = {
  findClientMetadata: 'Client',
  findClientLimits: 'Client',
  upsertGrant: 'Grant',
  findGrant: 'Grant',
  deleteGrant: 'Grant',
  revokeGrant: 'Grant',
  upsertRefreshToken: 'RefreshToken',
  findRefreshToken: 'RefreshToken',
  consumeRefreshToken: 'RefreshToken',
  deleteRefreshToken: 'RefreshToken',
  deleteRefreshTokensOfGrant: 'RefreshToken',
  upsertPayload: 'OidcPayload',
  findPayload: 'OidcPayload',
  findPayloadBy: 'OidcPayload',
  consumePayload: 'OidcPayload',
  deletePayload: 'OidcPayload',
  deletePayloadsOfGrant: 'OidcPayload',
  listResources: 'ResourceServer',
  findDevicePoll: 'DevicePoll',
  insertDevicePoll: 'DevicePoll',
  updateDevicePoll: 'DevicePoll',
  findUser: 'User',
  addRateLimitPoints: 'RateLimit',
  findRateLimit: 'RateLimit',
  deleteRateLimit: 'RateLimit',
};

function timed(store: HotStore, timerFor: TimerFor): HotStore {
  const wrapped: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [method, table] of Object.entries(TABLE_OF)) {
    const statement = (store[method as keyof HotStore] as (...args: unknown[]) => Promise<unknown>).bind(store);
    const startTimer = timerFor(table, method);
    wrapped[method] = async (...args) => {
      const stop = startTimer();
      try {
        return await statement(...args);
      } finally {
        stop();
      }
    };
  }
  return wrapped as unknown as HotStore;
}

export function createHotStore(connection: SqlConnection, timerFor?: TimerFor): HotStore {
  const store = connection.dialect === 'sqlite' ? new SqliteHotStore(connection.database) : new PostgresHotStore(connection.pool);
  return timerFor ? timed(store, timerFor) : store;
}
