// The registration rate limit on a real database: per address, with a fixed window that reopens,
// and concurrent attempts counted exactly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTempDatabase, type TempDatabase } from '../support/temp-database.js';
import { registrationRateLimiter } from '../../src/registration/rate-limit.js';

describe('registration rate limiter', () => {
  let temp: TempDatabase;
  before(async () => {
    temp = await createTempDatabase();
  });
  after(async () => temp?.close());

  test('allows the limit per address per window, then refuses until the window reopens', async () => {
    const limiter = registrationRateLimiter(temp.db, 2, 1);
    assert.deepEqual([await limiter.consume('10.0.0.1'), await limiter.consume('10.0.0.1'), await limiter.consume('10.0.0.1')], [true, true, false]);
    assert.equal(await limiter.consume('10.0.0.2'), true, 'other addresses have their own count');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(await limiter.consume('10.0.0.1'), true, 'a new window starts');
    assert.equal((await temp.db.registrationAttempt.findMany()).length, 1, 'expired windows of other addresses are dropped');
  });

  test('concurrent attempts from one address never exceed the limit', async () => {
    const limiter = registrationRateLimiter(temp.db, 5, 3600);
    const results = await Promise.all(Array.from({ length: 20 }, () => limiter.consume('10.0.0.9')));
    assert.equal(results.filter(Boolean).length, 5);
  });
});
