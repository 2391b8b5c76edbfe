// Computes the SQL that takes a database built from a provider's committed migrations to its Prisma
// schema. Both the migration-making script and the drift test rely on it: an empty result means no
// drift. The migrations are replayed into a throwaway database we create ourselves (a temp SQLite
// file, or a scratch PostgreSQL database), never into a shadow database the engine would choose.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { createDriverAdapter } from './driver-adapter.js';
import { loadMigrationList } from './migrations.js';
import { noSchemaFilter, openSchemaEngine } from './schema-engine.js';
import type { DatabaseProvider } from './database-provider.js';
import { migrationsFolder, schemaFile } from './schema-files.js';
import { createScratchDatabase } from './scratch-database.js';

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/**
 * adapter-pg 7.10 cannot read PostgreSQL's internal "char" type, which the engine meets when it reads
 * a schema from the catalog; reporting those columns as text is harmless there. Only the migration
 * tools use this adapter; the server never reads the catalog.
 */
function introspectionAdapter(url: string): SqlMigrationAwareDriverAdapterFactory {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  const query = pool.query.bind(pool) as (config: unknown) => Promise<pg.QueryResult>;
  (pool as unknown as { query: (config: unknown) => Promise<pg.QueryResult> }).query = async (config) => {
    const result = await query(config);
    for (const field of result.fields ?? []) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    return result;
  };
  const factory = new PrismaPg(pool, { disposeExternalPool: true });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => factory.connect(),
    // See driver-adapter.ts: adapter-pg's own shadow database would be the main database.
    connectToShadowDb: () => Promise.reject(new Error('no shadow database: migrations are replayed into a scratch database')),
  };
}

async function replayDatabase(provider: DatabaseProvider, scratchServer: string | undefined) {
  if (provider === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-diff-'));
    return { adapter: createDriverAdapter(`file:${join(dir, 'replay.db')}`), configDir: dir, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  if (!scratchServer) throw new Error('set GATEHOUSE_TEST_POSTGRES_URL to a PostgreSQL server where throwaway databases may be created (see scripts/throwaway-postgres.sh)');
  const scratch = await createScratchDatabase(scratchServer, 'gatehouse_replay');
  return { adapter: introspectionAdapter(scratch.url), configDir: tmpdir(), drop: scratch.drop };
}

export async function diffMigrationsToSchema(provider: DatabaseProvider, scratchServer?: string): Promise<string> {
  const replay = await replayDatabase(provider, scratchServer);
  try {
    const { engine, close } = await openSchemaEngine(replay.adapter);
    try {
      const schema = { path: schemaFile(provider), content: await readFile(schemaFile(provider), 'utf8') };
      await engine.applyMigrations({ migrationsList: await loadMigrationList(migrationsFolder(provider)), filters: noSchemaFilter });
      const result = await engine.diff({
        from: { tag: 'schemaDatasource', files: [schema], configDir: replay.configDir },
        to: { tag: 'schemaDatamodel', files: [schema] },
        script: true,
        exitCode: null,
        filters: noSchemaFilter,
      });
      return (result.stdout ?? '').trim();
    } finally {
      await close();
    }
  } finally {
    await replay.drop();
  }
}

/** True when SQL holds nothing but comments, as the engine prints for an empty diff. */
export function isEmptyMigration(sql: string): boolean {
  return sql.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}
