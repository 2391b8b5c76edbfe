// The committed migrations must build exactly the schema in prisma/schema.prisma, and applying them
// twice must change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations } from '../../src/persistence/migrations.js';
import { diffMigrationsToSchema, isEmptyMigration } from '../../src/persistence/schema-diff.js';

test('the migrations produce exactly the Prisma schema (empty diff)', async () => {
  const sql = await diffMigrationsToSchema();
  assert.ok(isEmptyMigration(sql), `schema drift; create a migration with npm run db:migration -- --name x:\n${sql}`);
});

test('applying migrations is idempotent', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-migrate-'));
  try {
    const url = `file:${join(dir, 'db.sqlite')}`;
    const first = await applyMigrations(url);
    assert.ok(first.length > 0);
    assert.deepEqual(await applyMigrations(url), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
