// argon2 work is bounded to the cores the process may use: the limit holds under a burst, waiters
// run in arrival order, and a failed task frees its slot.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimit } from '../../src/accounts/concurrency-limit.js';
import { argon2Slots } from '../../src/accounts/passwords.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('ConcurrencyLimit', () => {
  test('never runs more tasks than it has slots, and starts waiters in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await Promise.all(Array.from({ length: 7 }, (_, i) => limit.run(async () => {
      started.push(i);
      running += 1;
      peak = Math.max(peak, running);
      await tick();
      running -= 1;
    })));
    assert.equal(peak, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
  });

  test('a task that throws passes its error on and frees its slot', async () => {
    const limit = new ConcurrencyLimit(1);
    await assert.rejects(limit.run(async () => { throw new Error('boom'); }), /boom/);
    assert.equal(await limit.run(async () => 'next'), 'next');
  });

  test('refuses a limit below one', () => {
    assert.throws(() => new ConcurrencyLimit(0), RangeError);
  });
});

describe('argon2Slots', () => {
  test('one computation per `parallelism` cores, and always at least one', () => {
    assert.equal(argon2Slots(1, 1), 1);
    assert.equal(argon2Slots(1, 2), 2);
    assert.equal(argon2Slots(2, 8), 4);
    assert.equal(argon2Slots(4, 2), 1);
  });
});
