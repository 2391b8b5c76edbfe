// Opens the Prisma client for the configured database: the SQLite or the PostgreSQL generated client
// (a client is bound to one provider), both generated from prisma/models.prisma. On SQLite, WAL lets
// readers run beside the writer and the busy timeout queues writers from other processes.
import { PrismaClient as SqliteClient } from '../generated/sqlite/client.js';
import { PrismaClient as PostgresClient } from '../generated/postgresql/client.js';
import { createDriverAdapter, type AdapterOptions } from './driver-adapter.js';
import { providerOf } from './database-provider.js';

/**
 * Both clients expose the same model API (the drift test checks their models are identical); code
 * is written against the SQLite client's types and uses only portable queries.
 */
export type Database = SqliteClient;

export async function openDatabase(databaseUrl: string, options: AdapterOptions = {}): Promise<Database> {
  if (providerOf(databaseUrl) === 'postgresql') {
    // Connects lazily: a server may start its pool before the database is reachable again.
    return new PostgresClient({ adapter: createDriverAdapter(databaseUrl, options) }) as unknown as Database;
  }
  const prisma = new SqliteClient({ adapter: createDriverAdapter(databaseUrl) });
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  return prisma;
}
