// The hot-path statements against the real database: instants agree with what Prisma reads (on
// PostgreSQL whatever the session's time zone), and on SQLite a failing write in a group commit
// fails alone while the writes batched with it are kept.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTempDatabase, type TempDatabase } from '../support/temp-database.js';
import { testProvider } from '../support/test-database.js';
import { PostgresHotStore } from '../../src/persistence/hot-path/postgres-hot-store.js';
import type { HotStore } from '../../src/persistence/hot-path/hot-store.js';

describe('hot-path statements', () => {
  let temp: TempDatabase;
  before(async () => {
    temp = await createTempDatabase();
  });
  after(async () => temp?.close());

  async function instantsAgree(store: HotStore, id: string): Promise<void> {
    const expiresAt = Date.UTC(2031, 0, 2, 3, 4, 5, 678);
    await store.upsertGrant({ id, accountId: 'account-1', clientId: 'client-1', payload: '{}', expiresAt }, Date.now());
    const row = await temp.db.grant.findUniqueOrThrow({ where: { id } });
    assert.equal(row.expiresAt?.getTime(), expiresAt, 'Prisma reads the instant written');
    assert.equal((await store.findGrant(id))?.expiresAt, expiresAt, 'the store reads it back');

    const consumedAt = Date.UTC(2030, 5, 6, 7, 8, 9, 10);
    await temp.db.refreshToken.create({ data: { idHash: `rt-${id}`, payload: 'sealed', consumedAt: new Date(consumedAt) } });
    assert.equal((await store.findRefreshToken(`rt-${id}`))?.consumedAt, consumedAt, 'the store reads an instant Prisma wrote');
  }

  it('writes and reads the instants Prisma reads and writes', async () => {
    await instantsAgree(temp.store, 'grant-default-zone');
  });

  it('is not shifted by the PostgreSQL session time zone', { skip: testProvider === 'postgresql' ? false : 'PostgreSQL only' }, async () => {
    const pool = new pg.Pool({ connectionString: temp.url, max: 1, options: '-c TimeZone=Pacific/Chatham' });
    try {
      await instantsAgree(new PostgresHotStore(pool), 'grant-chatham');
    } finally {
      await pool.end();
    }
  });

  it('keeps the writes of a batch apart: one failing write fails alone', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `batch-${i}`);
    const writes = ids.map((id, i) => temp.store.upsertGrant(
      // A grant without an account breaks the NOT NULL constraint.
      { id, accountId: i === 7 ? (null as unknown as string) : 'account-1', clientId: 'client-1', payload: '{}', expiresAt: null },
      Date.now(),
    ));
    const outcomes = await Promise.allSettled(writes);
    assert.equal(outcomes[7].status, 'rejected');
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 19);
    const stored = await temp.db.grant.findMany({ where: { id: { in: ids } }, select: { id: true } });
    assert.deepEqual(stored.map((r) => r.id).sort(), ids.filter((_, i) => i !== 7).sort());
  });
});
