// Prisma's transactions on SQLite against another process writing at the same time (a CLI command
// while the server flushes its usage counts): a transaction that reads and then writes must wait
// for the other writer, not fail on a snapshot the other process has made stale.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { sqliteFilePath } from '../../src/persistence/database-url.js';
import { testProvider } from '../support/test-database.js';
import { createTempDatabase, type TempDatabase } from '../support/temp-database.js';

const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');

/** Another process adding one point to a counter row, waiting for the lock as long as it must. */
function otherProcessAdds(file: string, key: string): Promise<number | null> {
  const script = `const D = require(${JSON.stringify(betterSqlite3)}); const d = new D(${JSON.stringify(file)});`
    + `d.pragma('busy_timeout = 10000'); d.prepare('UPDATE "RateLimit" SET "points" = "points" + 1 WHERE "key" = ?').run(${JSON.stringify(key)});`;
  return new Promise((resolve) => spawn(process.execPath, ['-e', script], { stdio: 'inherit' }).on('exit', resolve));
}

describe('SQLite transactions beside another writer', { skip: testProvider !== 'sqlite' && 'SQLite locking only' }, () => {
  let temp: TempDatabase;
  before(async () => {
    temp = await createTempDatabase();
  });
  after(async () => temp?.close());

  it('a read-then-write transaction waits for a write another process makes meanwhile', async () => {
    const key = 'transaction-test';
    await temp.db.rateLimit.create({ data: { key, points: 0 } });
    let other: Promise<number | null> | undefined;
    await temp.db.$transaction(async (tx) => {
      const row = await tx.rateLimit.findUniqueOrThrow({ where: { key } });
      other = otherProcessAdds(sqliteFilePath(temp.url), key);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await tx.rateLimit.update({ where: { key }, data: { points: row.points + 10 } });
    });
    assert.equal(await other, 0, 'the other process wrote too');
    assert.equal((await temp.db.rateLimit.findUniqueOrThrow({ where: { key } })).points, 11);
  });
});
