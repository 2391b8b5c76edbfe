// The lockout schedule of LoginThrottle against a real database: exponential backoff from the
// threshold, a cap, and at least a minute after a tenth consecutive failure whatever the settings.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../../src/throttling/login-throttle.js';
import { createTempDatabase, type TempDatabase } from '../support/temp-database.js';

const DEFAULTS = { maxFailures: 5, windowSeconds: 900, lockoutBaseSeconds: 30, lockoutMaxSeconds: 900, ipMaxFailures: 50 };

describe('LoginThrottle', () => {
  let temp: TempDatabase;
  before(async () => {
    temp = await createTempDatabase();
  });
  after(async () => temp?.close());

  test('the lockout doubles from the threshold and stops at the cap', () => {
    const throttle = new LoginThrottle(temp.store, DEFAULTS);
    assert.deepEqual([4, 5, 6, 7, 8, 9, 10, 40].map((n) => throttle.lockoutFor(n)), [0, 30, 60, 120, 240, 480, 900, 900]);
  });

  test('after ten consecutive failures nothing is checked for at least a minute', async () => {
    const throttle = new LoginThrottle(temp.store, { ...DEFAULTS, maxFailures: 10, lockoutBaseSeconds: 1 });
    for (let i = 1; i <= 9; i += 1) await throttle.recordFailure('eve@example.com', '10.0.0.1');
    const ninth = await throttle.check('eve@example.com', '10.0.0.1');
    assert.deepEqual(ninth, { allowed: true });
    const tenth = await throttle.recordFailure('eve@example.com', '10.0.0.1');
    assert.equal(tenth.failures, 10);
    assert.ok(tenth.lockedForSeconds >= 60);
    const verdict = await throttle.check('EVE@example.com', '10.0.0.2');
    assert.equal(verdict.allowed, false);
    assert.ok(!verdict.allowed && verdict.retryAfterSeconds >= 59);
  });

  test('counters are rows in the database, shared by every instance', async () => {
    const one = new LoginThrottle(temp.store, DEFAULTS);
    const other = new LoginThrottle(temp.store, DEFAULTS);
    for (let i = 0; i < 5; i += 1) await one.recordFailure('mallory@example.com', '10.0.0.3');
    assert.equal((await other.check('mallory@example.com', '10.0.0.4')).allowed, false);
    assert.ok((await temp.db.rateLimit.count()) > 0);
    assert.equal(await other.unlock('mallory@example.com'), true);
    assert.equal((await one.check('mallory@example.com', '10.0.0.4')).allowed, true);
  });
});
