// The models are defined once: both schema files are generated from prisma/models.prisma, both
// generated clients know the same models and fields, each provider's committed migrations build
// exactly its schema, and applying them is idempotent, also when several processes race.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prisma as SqlitePrisma } from '../../src/generated/sqlite/client.js';
import { Prisma as PostgresPrisma } from '../../src/generated/postgresql/client.js';
import { applyMigrations } from '../../src/persistence/migrations.js';
import { DATABASE_PROVIDERS } from '../../src/persistence/database-provider.js';
import { migrationsFolder, readModels, renderSchema, schemaFile } from '../../src/persistence/schema-files.js';
import { diffMigrationsToSchema, isEmptyMigration } from '../../src/persistence/schema-diff.js';
import { scratchServerUrl } from '../../src/persistence/scratch-database.js';
import { createTestDatabase } from '../support/test-database.js';

const needsPostgres = scratchServerUrl() ? false : 'needs GATEHOUSE_TEST_POSTGRES_URL (a PostgreSQL server for throwaway databases)';

describe('one model definition', () => {
  for (const provider of DATABASE_PROVIDERS) {
    test(`prisma/${provider}/schema.prisma is generated from prisma/models.prisma`, async () => {
      const committed = await readFile(schemaFile(provider), 'utf8');
      assert.equal(committed, renderSchema(provider, await readModels()), `prisma/${provider}/schema.prisma drifted; run npm run db:schemas`);
    });
  }

  test('the SQLite and PostgreSQL clients have the same models and fields', () => {
    const shape = (namespace: Record<string, unknown>) => Object.fromEntries(
      Object.entries(namespace).filter(([name]) => name === 'ModelName' || name.endsWith('ScalarFieldEnum')),
    );
    const sqlite = shape(SqlitePrisma as unknown as Record<string, unknown>);
    assert.ok(Object.keys(sqlite).length > 5, 'the shape includes every model');
    assert.deepEqual(shape(PostgresPrisma as unknown as Record<string, unknown>), sqlite);
  });
});

describe('migrations', () => {
  test('the SQLite migrations produce exactly the SQLite schema (empty diff)', async () => {
    const sql = await diffMigrationsToSchema('sqlite');
    assert.ok(isEmptyMigration(sql), `schema drift; create a migration with npm run db:migration -- --name x:\n${sql}`);
  });

  test('the PostgreSQL migrations produce exactly the PostgreSQL schema (empty diff)', { skip: needsPostgres }, async () => {
    const sql = await diffMigrationsToSchema('postgresql', scratchServerUrl());
    assert.ok(isEmptyMigration(sql), `schema drift; create a migration with npm run db:migration -- --name x:\n${sql}`);
  });

  test('both providers have the same migrations, by name', async () => {
    const names = async (provider: 'sqlite' | 'postgresql') => (await readdir(migrationsFolder(provider), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
    assert.deepEqual(await names('postgresql'), await names('sqlite'));
  });

  test('applying migrations is idempotent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-migrate-'));
    const database = await createTestDatabase(dir);
    try {
      const first = await applyMigrations(database.url);
      assert.ok(first.length > 0);
      assert.deepEqual(await applyMigrations(database.url), []);
    } finally {
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('instances migrating at once on PostgreSQL apply each migration exactly once', { skip: needsPostgres }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-migrate-'));
    const database = await createTestDatabase(dir);
    try {
      const results = await Promise.all(Array.from({ length: 4 }, () => applyMigrations(database.url)));
      const applied = results.flat();
      assert.deepEqual([...applied].sort(), [...new Set(applied)].sort(), 'no migration applied twice');
      assert.ok(applied.length > 0);
      assert.equal(results.filter((names) => names.length > 0).length, 1, 'one instance did the work');
    } finally {
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
