// The Prisma driver adapter for the configured database. Prisma 7 clients run on driver adapters,
// so the server, the CLI and the migration engine all connect through this one factory.
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { ensureDatabaseFolder, sqliteFilePath } from './database-url.js';
import { providerOf } from './database-provider.js';

/** How long a writer waits for another process's lock before SQLite reports SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;
/** How long a request waits for a PostgreSQL connection before it fails (and is answered 503). */
const CONNECT_TIMEOUT_MS = 5_000;

export interface AdapterOptions {
  /** Most PostgreSQL connections this process opens; ignored for SQLite. */
  poolSize?: number;
  /** Errors of idle pooled connections (the database went away); without a listener they crash the process. */
  onConnectionLost?: (error: Error) => void;
}

/** Where the driver connection Prisma opens is handed over, for statements that bypass its query layer. */
export interface ConnectionListener {
  onSqliteConnection?: (database: BetterSqlite3.Database) => void;
}

/** The better-sqlite3 handle adapter-better-sqlite3 keeps as its `client`. */
function sqliteHandleOf(adapter: object): BetterSqlite3.Database {
  const handle = (adapter as { client?: unknown }).client;
  if (!handle || typeof (handle as { prepare?: unknown }).prepare !== 'function') {
    throw new Error('adapter-better-sqlite3 no longer exposes its connection; the hot-path statements need it');
  }
  return handle as BetterSqlite3.Database;
}

/**
 * adapter-better-sqlite3 opens Prisma's transactions with a plain (deferred) BEGIN. In WAL mode such
 * a transaction that reads and then writes fails at once, without waiting, when another process
 * wrote in between (SQLITE_BUSY_SNAPSHOT): a CLI command's read-then-update against a server's usage
 * flush, say. Begun IMMEDIATE, it takes the write lock first, waiting up to the busy timeout.
 */
function beginImmediately(database: BetterSqlite3.Database): void {
  const prepare = database.prepare.bind(database) as (source: string, ...rest: unknown[]) => BetterSqlite3.Statement;
  database.prepare = ((source: string, ...rest: unknown[]) => prepare(source === 'BEGIN' ? 'BEGIN IMMEDIATE' : source, ...rest)) as typeof database.prepare;
}

function sqliteAdapter(databaseUrl: string, listener: ConnectionListener = {}): SqlMigrationAwareDriverAdapterFactory {
  ensureDatabaseFolder(databaseUrl);
  const factory = new PrismaBetterSqlite3(
    { url: sqliteFilePath(databaseUrl), timeout: BUSY_TIMEOUT_MS },
    { timestampFormat: 'unixepoch-ms' },
  );
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      const handle = sqliteHandleOf(adapter);
      beginImmediately(handle);
      listener.onSqliteConnection?.(handle);
      return adapter;
    },
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
}

/**
 * adapter-pg's own connectToShadowDb, given a connection string, connects to the MAIN database, where
 * a shadow reset would wipe real data. Nothing in Gatehouse needs a shadow database from this
 * adapter (the migration tools build their own throwaway database), so asking for one is an error.
 */
function withoutShadowDatabase(factory: PrismaPg): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => factory.connect(),
    connectToShadowDb: () => Promise.reject(new Error('Gatehouse never lets the schema engine open a PostgreSQL shadow database on DATABASE_URL')),
  };
}

/** The connection pool for a PostgreSQL URL; Prisma's adapter and the hot-path statements share it. */
export function postgresPool(databaseUrl: string, options: AdapterOptions = {}): pg.Pool {
  return new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Detects a database that vanished without closing the socket (host down, network cut).
    keepAlive: true,
  });
}

/** Prisma's adapter on `pool`; disconnecting the Prisma client ends the pool. */
export function postgresAdapter(databaseUrl: string, options: AdapterOptions = {}, pool = postgresPool(databaseUrl, options)): SqlMigrationAwareDriverAdapterFactory {
  return withoutShadowDatabase(new PrismaPg(pool, {
    disposeExternalPool: true,
    onPoolError: options.onConnectionLost ?? (() => {}),
    onConnectionError: options.onConnectionLost ?? (() => {}),
  }));
}

export function createDriverAdapter(databaseUrl: string, options: AdapterOptions = {}, listener: ConnectionListener = {}): SqlMigrationAwareDriverAdapterFactory {
  return providerOf(databaseUrl) === 'sqlite' ? sqliteAdapter(databaseUrl, listener) : postgresAdapter(databaseUrl, options);
}
