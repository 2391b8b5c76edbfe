// Reads a provider's committed migration folder in the shape Prisma's engine expects and applies the
// ones a database lacks, exactly as `prisma migrate deploy` would, under a cross-process lock.
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationList } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { createDriverAdapter } from './driver-adapter.js';
import { noSchemaFilter, openSchemaEngine } from './schema-engine.js';
import { providerOf } from './database-provider.js';
import { migrationsFolder } from './schema-files.js';
import { withMigrationLock } from './migration-lock.js';

export async function loadMigrationList(baseDir: string): Promise<MigrationList> {
  const lockPath = join(baseDir, 'migration_lock.toml');
  const entries = existsSync(baseDir) ? await readdir(baseDir, { withFileTypes: true }) : [];
  const directories = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return {
    baseDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(directories.map(async (name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok' as const, value: await readFile(join(baseDir, name, 'migration.sql'), 'utf8') },
      },
    }))),
  };
}

/** The committed migrations for the database this URL names. */
export function migrationListFor(databaseUrl: string): Promise<MigrationList> {
  return loadMigrationList(migrationsFolder(providerOf(databaseUrl)));
}

/** Applies pending migrations; returns the names applied (none when another process got there first). */
export async function applyMigrations(databaseUrl: string): Promise<string[]> {
  const migrationsList = await migrationListFor(databaseUrl);
  return withMigrationLock(databaseUrl, async () => {
    const { engine, close } = await openSchemaEngine(createDriverAdapter(databaseUrl, { poolSize: 1 }));
    try {
      const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noSchemaFilter });
      return appliedMigrationNames;
    } finally {
      await close();
    }
  });
}
