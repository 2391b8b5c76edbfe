// Reads the committed migration folders in the shape Prisma's engine expects and applies the ones a
// database lacks, exactly as `prisma migrate deploy` would.
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationList } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { createDriverAdapter } from './driver-adapter.js';
import { noSchemaFilter, openSchemaEngine } from './schema-engine.js';
import { projectRoot } from '../project-root.js';

export const prismaFolder = join(projectRoot, 'prisma');
export const migrationsFolder = join(prismaFolder, 'migrations');
export const schemaFile = join(prismaFolder, 'schema.prisma');

export async function loadMigrationList(baseDir = migrationsFolder): Promise<MigrationList> {
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

export async function applyMigrations(databaseUrl: string): Promise<string[]> {
  const { engine, close } = await openSchemaEngine(createDriverAdapter(databaseUrl));
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: await loadMigrationList(),
      filters: noSchemaFilter,
    });
    return appliedMigrationNames;
  } finally {
    await close();
  }
}
