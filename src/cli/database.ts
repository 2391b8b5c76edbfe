// Opens the database for a CLI command, migrating it first when it needs it. Prisma's schema engine
// takes SQLite's exclusive lock (PRAGMA locking_mode=EXCLUSIVE), which it cannot get while a server
// has the file open, so the CLI only starts the engine when a migration is actually pending: the
// common case, a command against a running server's up-to-date database, never touches it.
import { applyMigrations, loadMigrationList } from '../persistence/migrations.js';
import { openDatabase, type Database } from '../persistence/prisma-client.js';
import { failure } from './output.js';

async function pendingMigrations(db: Database): Promise<string[]> {
  const wanted = (await loadMigrationList()).migrationDirectories.map((dir) => dir.path);
  const table = await db.$queryRawUnsafe<unknown[]>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'",
  );
  if (table.length === 0) return wanted;
  const rows = await db.$queryRawUnsafe<{ migration_name: string }[]>(
    'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  const applied = new Set(rows.map((row) => row.migration_name));
  return wanted.filter((name) => !applied.has(name));
}

export async function openMigratedDatabase(databaseUrl: string): Promise<Database> {
  const db = await openDatabase(databaseUrl);
  let pending: string[];
  try {
    pending = await pendingMigrations(db);
  } catch (error) {
    await db.$disconnect();
    throw error;
  }
  if (pending.length === 0) return db;

  // The engine's exclusive lock would wait on our own connection too.
  await db.$disconnect();
  try {
    await applyMigrations(databaseUrl);
  } catch (error) {
    // The driver's lock timeout reaches us as an error the wasm engine cannot even name.
    if (error instanceof Error && /SocketTimeout|database is locked|SQLITE_BUSY/i.test(error.message)) {
      throw failure(
        `the database needs migrations (${pending.join(', ')}) but another process, probably a running server, `
        + 'has it open; stop the server or restart it (it migrates on start) and try again',
      );
    }
    throw error;
  }
  return openDatabase(databaseUrl);
}
