// The Prisma driver adapter for the configured database. Prisma 7 clients run on driver adapters,
// so the server, the CLI and the migration engine all connect through this one factory.
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { ensureDatabaseFolder, sqliteFilePath } from './database-url.js';

/** How long a writer waits for another process's lock before SQLite reports SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;

export function createDriverAdapter(databaseUrl: string): PrismaBetterSqlite3 {
  ensureDatabaseFolder(databaseUrl);
  return new PrismaBetterSqlite3(
    { url: sqliteFilePath(databaseUrl), timeout: BUSY_TIMEOUT_MS },
    { timestampFormat: 'unixepoch-ms' },
  );
}
