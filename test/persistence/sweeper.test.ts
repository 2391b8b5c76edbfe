import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../../src/persistence/prisma-client.js';
import pg from 'pg';
import { SWEEP_LOCK_KEY, startSweeper, sweepExpired, sweepOnce } from '../../src/persistence/sweeper.js';
import { createTempDatabase, type TempDatabase } from '../support/temp-database.js';
import { testProvider } from '../support/test-database.js';

const HOUR = 3600_000;

/** One row per table and per state: `past` expired an hour ago, `future` expires in an hour, `never` has no expiry. */
async function seed(db: Database, label: string, expiresAt: Date | null): Promise<void> {
  await db.oidcPayload.create({ data: { model: 'AccessToken', idHash: `at-${label}`, payload: 'x', expiresAt } });
  await db.refreshToken.create({ data: { idHash: `rt-${label}`, payload: 'x', expiresAt } });
  await db.grant.create({ data: { id: `grant-${label}`, accountId: 'a', clientId: 'c', payload: '{}', expiresAt } });
  await db.signingKey.create({ data: { kid: `key-${label}`, alg: 'ES256', privateJwk: '{}', expiresAt } });
  // DevicePoll rows and WebAuthn challenges always expire.
  if (expiresAt) {
    await db.devicePoll.create({ data: { idHash: `poll-${label}`, lastPolledAt: new Date(), interval: 5, expiresAt } });
    await db.mfaChallenge.create({ data: { key: `signin:${label}`, challenge: `challenge-${label}`, expiresAt } });
  }
  // Rate-limit counters go as soon as their window is over; audit events are aged by creation time.
  await db.rateLimit.create({ data: { key: `rl-${label}`, points: 1, expire: expiresAt } });
  const created = expiresAt && expiresAt.getTime() < Date.now() ? new Date(Date.now() - 91 * 86_400_000) : new Date();
  await db.auditEvent.create({ data: { id: `audit-${label}`, type: 'login.success', createdAt: created } });
}

async function remaining(db: Database) {
  return {
    oidcPayload: (await db.oidcPayload.findMany({ orderBy: { idHash: 'asc' } })).map((r) => r.idHash),
    refreshToken: (await db.refreshToken.findMany({ orderBy: { idHash: 'asc' } })).map((r) => r.idHash),
    grant: (await db.grant.findMany({ orderBy: { id: 'asc' } })).map((r) => r.id),
    devicePoll: (await db.devicePoll.findMany({ orderBy: { idHash: 'asc' } })).map((r) => r.idHash),
    signingKey: (await db.signingKey.findMany({ orderBy: { kid: 'asc' } })).map((r) => r.kid),
    rateLimit: (await db.rateLimit.findMany({ orderBy: { key: 'asc' } })).map((r) => r.key),
    auditEvent: (await db.auditEvent.findMany({ orderBy: { id: 'asc' } })).map((r) => r.id),
    mfaChallenge: (await db.mfaChallenge.findMany({ orderBy: { key: 'asc' } })).map((r) => r.key),
  };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('sweepExpired', () => {
  let temp: TempDatabase;
  before(async () => {
    temp = await createTempDatabase();
  });
  after(async () => temp?.close());

  it('deletes expired rows from every table and keeps live ones', async () => {
    await seed(temp.db, 'past', new Date(Date.now() - HOUR));
    await seed(temp.db, 'future', new Date(Date.now() + HOUR));
    await seed(temp.db, 'never', null);

    const counts = await sweepExpired(temp.db);
    assert.deepEqual(counts, { oidcPayload: 1, refreshToken: 1, grant: 1, devicePoll: 1, signingKey: 1, rateLimit: 1, auditEvent: 1, revokedJwt: 0, mfaChallenge: 1 });
    assert.deepEqual(await remaining(temp.db), {
      oidcPayload: ['at-future', 'at-never'],
      refreshToken: ['rt-future', 'rt-never'],
      grant: ['grant-future', 'grant-never'],
      devicePoll: ['poll-future'],
      signingKey: ['key-future', 'key-never'],
      rateLimit: ['rl-future', 'rl-never'],
      auditEvent: ['audit-future', 'audit-never'],
      mfaChallenge: ['signin:future'],
    });

    assert.deepEqual(await sweepExpired(temp.db), {
      oidcPayload: 0, refreshToken: 0, grant: 0, devicePoll: 0, signingKey: 0, rateLimit: 0, auditEvent: 0, revokedJwt: 0, mfaChallenge: 0,
    });
  });

  it('measures expiry against the given time', async () => {
    const counts = await sweepExpired(temp.db, new Date(Date.now() + 2 * HOUR));
    assert.deepEqual(counts, { oidcPayload: 1, refreshToken: 1, grant: 1, devicePoll: 1, signingKey: 1, rateLimit: 1, auditEvent: 0, revokedJwt: 0, mfaChallenge: 1 });
    assert.deepEqual(await remaining(temp.db), {
      oidcPayload: ['at-never'],
      refreshToken: ['rt-never'],
      grant: ['grant-never'],
      devicePoll: [],
      signingKey: ['key-never'],
      rateLimit: ['rl-never'],
      auditEvent: ['audit-future', 'audit-never'],
      mfaChallenge: [],
    });
  });
});

describe('startSweeper', () => {
  let temp: TempDatabase;
  before(async () => {
    temp = await createTempDatabase();
  });
  after(async () => temp?.close());

  it('sweeps periodically until stopped', async () => {
    const errors: unknown[] = [];
    const stop = startSweeper(temp.db, testProvider, 0.05, 90, (error) => errors.push(error));
    await seed(temp.db, 'first', new Date(Date.now() - HOUR));
    await waitFor(async () => (await temp.db.grant.count()) === 0);
    await seed(temp.db, 'second', new Date(Date.now() - HOUR));
    await waitFor(async () => (await temp.db.grant.count()) === 0);
    await stop();

    await seed(temp.db, 'third', new Date(Date.now() - HOUR));
    await sleep(250);
    assert.equal(await temp.db.grant.count(), 1, 'no sweep after stop');
    assert.deepEqual(errors, []);
  });

  it('reports errors and keeps going', async () => {
    let calls = 0;
    const failing = {
      oidcPayload: { deleteMany: async () => { calls += 1; throw new Error('boom'); } },
    } as unknown as Database;
    const errors: unknown[] = [];
    const stop = startSweeper(failing, 'sqlite', 0.01, 90, (error) => errors.push(error));
    await waitFor(async () => errors.length >= 2);
    await stop();
    assert.ok(errors.every((e) => e instanceof Error && e.message === 'boom'));
    assert.equal(calls, errors.length);
  });

  it('never runs two sweeps at once', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const slow = async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await sleep(60);
      active -= 1;
      return { count: 0 };
    };
    const finished = async () => {
      runs += 1;
      return { count: 0 };
    };
    const db = {
      oidcPayload: { deleteMany: slow },
      refreshToken: { deleteMany: async () => ({ count: 0 }) },
      grant: { deleteMany: async () => ({ count: 0 }) },
      devicePoll: { deleteMany: async () => ({ count: 0 }) },
      signingKey: { deleteMany: async () => ({ count: 0 }) },
      rateLimit: { deleteMany: async () => ({ count: 0 }) },
      auditEvent: { deleteMany: async () => ({ count: 0 }) },
      revokedJwt: { deleteMany: async () => ({ count: 0 }) },
      mfaChallenge: { deleteMany: finished },
    } as unknown as Database;
    const stop = startSweeper(db, 'sqlite', 0.005, 90, (error) => assert.fail(String(error)));
    await waitFor(async () => runs >= 3);
    await stop();
    assert.equal(maxActive, 1);
    assert.equal(active, 0, 'stop waits for the run in progress');
  });

  it('rejects a non-positive interval', () => {
    assert.throws(() => startSweeper(temp.db, testProvider, 0, 90, () => {}), RangeError);
  });
});

describe('sweepOnce on PostgreSQL', { skip: testProvider === 'postgresql' ? false : 'needs GATEHOUSE_TEST_POSTGRES_URL' }, () => {
  let temp: TempDatabase;
  before(async () => {
    temp = await createTempDatabase();
  });
  after(async () => temp?.close());

  it('skips the round while another instance sweeps, and sweeps once it is done', async () => {
    await seed(temp.db, 'old', new Date(Date.now() - HOUR));
    // Another instance in the middle of a sweep holds the advisory lock.
    const other = new pg.Client({ connectionString: temp.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(${SWEEP_LOCK_KEY})`);
      const started = Date.now();
      assert.equal(await sweepOnce(temp.db, 'postgresql'), null, 'skipped, not queued');
      assert.ok(Date.now() - started < 2000, 'did not wait for the lock');
      assert.equal(await temp.db.grant.count(), 1, 'nothing deleted');
      await other.query('COMMIT');
    } finally {
      await other.end();
    }
    const counts = await sweepOnce(temp.db, 'postgresql');
    assert.equal(counts?.grant, 1);
    assert.equal(await temp.db.grant.count(), 0);
  });
});
