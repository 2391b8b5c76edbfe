// Which committed migrations a database lacks, read from Prisma's `_prisma_migrations` table with
// the ordinary client. Cheap and lock-free, so the CLI, the readiness check and a server started
// with MIGRATE_ON_START=false can ask without starting the schema engine.
import type { Database } from './prisma-client.js';
import { providerOf } from './database-provider.js';
import { migrationListFor } from './migrations.js';

export interface MigrationStatus {
  /** Committed migrations recorded as applied. */
  applied: string[];
  /** Committed migrations not applied yet, in order. */
  pending: string[];
}

async function hasMigrationsTable(db: Database, databaseUrl: string): Promise<boolean> {
  const rows = providerOf(databaseUrl) === 'sqlite'
    ? await db.$queryRawUnsafe<unknown[]>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'")
    : await db.$queryRawUnsafe<unknown[]>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_prisma_migrations'");
  return rows.length > 0;
}

export async function migrationStatus(db: Database, databaseUrl: string): Promise<MigrationStatus> {
  const wanted = (await migrationListFor(databaseUrl)).migrationDirectories.map((dir) => dir.path);
  if (!(await hasMigrationsTable(db, databaseUrl))) return { applied: [], pending: wanted };
  const rows = await db.$queryRawUnsafe<{ migration_name: string }[]>(
    'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  const done = new Set(rows.map((row) => row.migration_name));
  return { applied: wanted.filter((name) => done.has(name)), pending: wanted.filter((name) => !done.has(name)) };
}
