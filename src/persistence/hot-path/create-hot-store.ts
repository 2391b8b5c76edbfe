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

/** Starts a timer for one statement on a table (named as Prisma names its model); returns the stop. */
export type StartTimer = (model: string, operation: string) => () => void;

/** The table each statement touches, so its latency is labelled like Prisma's queries on it. */
const TABLE_OF: Record<keyof HotStore, string> = {
  findClientMetadata: 'Client',
  findClientLimits: 'Client',
  upsertGrant: 'Grant',
  findGrant: 'Grant',
  deleteGrant: 'Grant',
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
  findResource: 'ResourceServer',
  findDevicePoll: 'DevicePoll',
  insertDevicePoll: 'DevicePoll',
  updateDevicePoll: 'DevicePoll',
  findUser: 'User',
  addRateLimitPoints: 'RateLimit',
  findRateLimit: 'RateLimit',
  deleteRateLimit: 'RateLimit',
};

function timed(store: HotStore, startTimer: StartTimer): HotStore {
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !Object.hasOwn(TABLE_OF, property)) return value;
      let wrapper = wrappers.get(property);
      if (!wrapper) {
        const method = value as (...args: unknown[]) => Promise<unknown>;
        const table = TABLE_OF[property as keyof HotStore];
        wrapper = async (...args: unknown[]) => {
          const stop = startTimer(table, String(property));
          try {
            return await method.apply(target, args);
          } finally {
            stop();
          }
        };
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

export function createHotStore(connection: SqlConnection, startTimer?: StartTimer): HotStore {
  const store = connection.dialect === 'sqlite' ? new SqliteHotStore(connection.database) : new PostgresHotStore(connection.pool);
  return startTimer ? timed(store, startTimer) : store;
}
