// Opens the database for a CLI command, migrating it first when it needs it (unless the operator
// migrates separately: MIGRATE_ON_START=false). Prisma's schema engine takes SQLite's exclusive lock
// (PRAGMA locking_mode=EXCLUSIVE), which it cannot get while a server has the file open, so the CLI
// only starts the engine when a migration is actually pending: the common case, a command against a
// running server's up-to-date database, never touches it.
import type { Config } from '../config/env.js';
import { applyMigrations } from '../persistence/migrations.js';
import { migrationStatus } from '../persistence/migration-status.js';
import { openDatabaseWithConnection, type OpenedDatabase } from '../persistence/prisma-client.js';
import { failure } from './output.js';

/** Applies pending migrations, turning SQLite's "someone else has the file" into advice. */
export async function migrateForCli(databaseUrl: string, pending: string[]): Promise<string[]> {
  try {
    return await applyMigrations(databaseUrl);
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
}

export async function openMigratedDatabase(config: Config): Promise<OpenedDatabase> {
  const opened = await openDatabaseWithConnection(config.databaseUrl, { poolSize: 2 });
  const { db } = opened;
  let pending: string[];
  try {
    ({ pending } = await migrationStatus(db, config.databaseUrl));
  } catch (error) {
    await db.$disconnect();
    throw error;
  }
  if (pending.length === 0) return opened;
  if (!config.migrateOnStart) {
    await db.$disconnect();
    throw failure(`the database needs migrations (${pending.join(', ')}); run \`gatehouse db migrate\` first (MIGRATE_ON_START=false)`);
  }
  // The engine's exclusive lock would wait on our own connection too.
  await db.$disconnect();
  await migrateForCli(config.databaseUrl, pending);
  return openDatabaseWithConnection(config.databaseUrl, { poolSize: 2 });
}
