// The lockout schedule of LoginThrottle against a real database: exponential backoff from the
// threshold, a cap, at least a minute after a tenth consecutive failure whatever the settings, and
// attempts counted before the password is checked, so concurrent guesses cannot outrun the count.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle, type LoginAttempt, type ThrottleVerdict } from '../../src/throttling/login-throttle.js';
import { createTempDatabase, type TempDatabase } from '../support/temp-database.js';

const DEFAULTS = { maxFailures: 5, windowSeconds: 900, lockoutBaseSeconds: 30, lockoutMaxSeconds: 900, ipMaxFailures: 50 };

function admitted(verdict: ThrottleVerdict): LoginAttempt {
  assert.ok(verdict.allowed, 'the attempt is let through');
  return verdict.attempt;
}

async function fail(throttle: LoginThrottle, email: string, ip: string) {
  return admitted(await throttle.begin(email, ip)).failed();
}

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
    for (let i = 1; i <= 9; i += 1) await fail(throttle, 'eve@example.com', '10.0.0.1');
    const tenth = await fail(throttle, 'eve@example.com', '10.0.0.1');
    assert.equal(tenth.failures, 10);
    assert.ok(tenth.lockedForSeconds >= 60);
    const verdict = await throttle.begin('EVE@example.com', '10.0.0.2');
    assert.equal(verdict.allowed, false);
    assert.ok(!verdict.allowed && verdict.retryAfterSeconds >= 59);
  });

  test('counters are rows in the database, shared by every instance', async () => {
    const one = new LoginThrottle(temp.store, DEFAULTS);
    const other = new LoginThrottle(temp.store, DEFAULTS);
    for (let i = 0; i < 5; i += 1) await fail(one, 'mallory@example.com', '10.0.0.3');
    assert.equal((await other.begin('mallory@example.com', '10.0.0.4')).allowed, false);
    assert.ok((await temp.db.rateLimit.count()) > 0);
    assert.equal(await other.unlock('mallory@example.com'), true);
    await admitted(await one.begin('mallory@example.com', '10.0.0.4')).succeeded();
  });

  test('however many guesses arrive at once, no more are checked than the lockout allows, on any instance', async () => {
    const one = new LoginThrottle(temp.store, DEFAULTS);
    const other = new LoginThrottle(temp.store, DEFAULTS);
    const verdicts = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? one : other).begin('trent@example.com', `10.0.1.${i}`)));
    const attempts = verdicts.filter((v) => v.allowed).map(admitted);
    assert.equal(attempts.length, DEFAULTS.maxFailures);
    const outcomes = await Promise.all(attempts.map((a) => a.failed()));
    assert.deepEqual(outcomes.map((o) => o.lockedForSeconds).sort((a, b) => a - b), [0, 0, 0, 0, 30], 'the fifth failure locks the account');
    const locked = await one.begin('trent@example.com', '10.0.1.99');
    assert.ok(!locked.allowed && locked.retryAfterSeconds >= 29);
    await one.unlock('trent@example.com');
  });

  test('sign-ins at one account at once, fewer than the threshold, all go through', async () => {
    const throttle = new LoginThrottle(temp.store, DEFAULTS);
    const verdicts = await Promise.all(Array.from({ length: DEFAULTS.maxFailures - 1 }, () => throttle.begin('shared@example.com', '10.0.3.1')));
    await Promise.all(verdicts.map((v) => admitted(v).succeeded()));
    await admitted(await throttle.begin('shared@example.com', '10.0.3.1')).succeeded();
  });

  test('the attempt that would lock the account holds the lock until it is settled', async () => {
    const throttle = new LoginThrottle(temp.store, DEFAULTS);
    for (let i = 0; i < DEFAULTS.maxFailures - 1; i += 1) await fail(throttle, 'oscar@example.com', '10.0.4.1');
    const deciding = admitted(await throttle.begin('oscar@example.com', '10.0.4.1'));
    assert.equal((await throttle.begin('oscar@example.com', '10.0.4.2')).allowed, false, 'a second one waits for it');
    await deciding.abandoned();
    const retried = admitted(await throttle.begin('oscar@example.com', '10.0.4.2'));
    await retried.succeeded();
    assert.equal(await throttle.unlock('oscar@example.com'), false, 'a success leaves nothing to unlock');
  });

  test('concurrent attempts from one IP never exceed its failure limit; successes give their point back', async () => {
    const throttle = new LoginThrottle(temp.store, { ...DEFAULTS, ipMaxFailures: 4 });
    const ip = '10.0.2.1';
    await admitted(await throttle.begin('ok-1@example.com', ip)).succeeded();
    const verdicts = await Promise.all(Array.from({ length: 12 }, (_, i) => throttle.begin(`victim-${i}@example.com`, ip)));
    const attempts = verdicts.filter((v) => v.allowed);
    assert.equal(attempts.length, 4, 'the success before counts nothing; four more fit');
    await Promise.all(attempts.map((v) => admitted(v).failed()));
    assert.equal((await throttle.begin('someone@example.com', ip)).allowed, false);
    assert.equal((await throttle.begin('someone@example.com', '10.0.2.2')).allowed, true, 'other addresses are unaffected');
  });
});
