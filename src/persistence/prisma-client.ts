// Opens the Prisma client for the configured database: the SQLite or the PostgreSQL generated client
// (a client is bound to one provider), both generated from prisma/models.prisma. On SQLite, WAL lets
// readers run beside the writer and the busy timeout queues writers from other processes.
import type BetterSqlite3 from 'better-sqlite3';
import { PrismaClient as SqliteClient } from '../generated/sqlite/client.js';
import { PrismaClient as PostgresClient } from '../generated/postgresql/client.js';
import { createDriverAdapter, postgresAdapter, postgresPool, type AdapterOptions } from './driver-adapter.js';
import { providerOf } from './database-provider.js';
import type { SqlConnection } from './hot-path/create-hot-store.js';

/**
 * Both clients expose the same model API (the drift test checks their models are identical); code
 * is written against the SQLite client's types and uses only portable queries.
 */
export type Database = SqliteClient;

export interface OpenedDatabase {
  db: Database;
  /** The driver connection under `db`, for the hot-path statements. */
  connection: SqlConnection;
}

export async function openDatabaseWithConnection(databaseUrl: string, options: AdapterOptions = {}): Promise<OpenedDatabase> {
  if (providerOf(databaseUrl) === 'postgresql') {
    // Connects lazily: a server may start its pool before the database is reachable again.
    const pool = postgresPool(databaseUrl, options);
    const db = new PostgresClient({ adapter: postgresAdapter(databaseUrl, options, pool) }) as unknown as Database;
    return { db, connection: { dialect: 'postgresql', pool } };
  }
  let handle: BetterSqlite3.Database | undefined;
  const db = new SqliteClient({ adapter: createDriverAdapter(databaseUrl, options, { onSqliteConnection: (database) => { handle = database; } }) });
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await db.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  if (!handle) throw new Error('Prisma opened no SQLite connection');
  return { db, connection: { dialect: 'sqlite', database: handle } };
}

export async function openDatabase(databaseUrl: string, options: AdapterOptions = {}): Promise<Database> {
  return (await openDatabaseWithConnection(databaseUrl, options)).db;
}
