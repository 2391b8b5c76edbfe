// `gatehouse user verify-email ID|EMAIL`: sets email_verified (by id or by email), says when it
// already was, audits it, and refuses an unknown user with a message and a non-zero exit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSandbox, type CliSandbox } from './harness.js';

describe('gatehouse user verify-email', () => {
  let sandbox: CliSandbox;
  let id: string;
  before(async () => {
    sandbox = await createSandbox();
    ({ id } = await sandbox.json<{ id: string }>(['user', 'create', '--email', 'Verify@Example.com', '--password-stdin'], { input: 'long enough password\n' }));
  });
  after(async () => sandbox?.close());

  const verified = async () => (await sandbox.json<{ users: { id: string; email_verified: boolean }[] }>(['user', 'list'])).users.find((u) => u.id === id)?.email_verified;

  test('marks the email verified, by email; again by id it says it already was', async () => {
    assert.equal(await verified(), false);
    const first = await sandbox.json(['user', 'verify-email', 'verify@example.com']);
    assert.deepEqual(first, { id, email: 'verify@example.com', email_verified: true, was_verified: false });
    assert.equal(await verified(), true);

    const again = await sandbox.run(['user', 'verify-email', id]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already verified/);
    assert.match((await sandbox.run(['user', 'list'])).stdout, /verify@example\.com\s+\S+\s+yes/);
  });

  test('is an audit event', async () => {
    const { events } = await sandbox.json<{ events: { type: string }[] }>(['audit', 'list', '--type', 'email.verified']);
    assert.equal(events.length, 2);
  });

  test('an unknown user is an error with a message', async () => {
    const result = await sandbox.run(['user', 'verify-email', 'nobody@example.com']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /no user with id or email "nobody@example.com"/);
  });
});
