// Computes the SQL that takes a database built from the committed migrations to the Prisma schema.
// Both the migration-making script and the drift test rely on it: an empty result means no drift.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDriverAdapter } from './driver-adapter.js';
import { loadMigrationList, schemaFile } from './migrations.js';
import { noSchemaFilter, openSchemaEngine } from './schema-engine.js';

export async function diffMigrationsToSchema(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-diff-'));
  const { engine, close } = await openSchemaEngine(createDriverAdapter(`file:${join(dir, 'replay.db')}`));
  try {
    const schema = { path: schemaFile, content: await readFile(schemaFile, 'utf8') };
    await engine.applyMigrations({ migrationsList: await loadMigrationList(), filters: noSchemaFilter });
    const result = await engine.diff({
      from: { tag: 'schemaDatasource', files: [schema], configDir: dir },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: null,
      filters: noSchemaFilter,
    });
    return (result.stdout ?? '').trim();
  } finally {
    await close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** True when SQL holds nothing but comments, as the engine prints for an empty diff. */
export function isEmptyMigration(sql: string): boolean {
  return sql.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}
