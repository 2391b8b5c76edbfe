// `gatehouse user ...` run as the real command on a fresh database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import argon2 from 'argon2';
import { assertFails, createSandbox, type CliSandbox } from './harness.js';

const PASSWORD = 'correct horse battery staple';

describe('gatehouse user', () => {
  let cli: CliSandbox;
  before(async () => {
    cli = await createSandbox();
  });
  after(async () => cli?.close());

  async function passwordHashOf(email: string): Promise<string> {
    const [row] = await cli.query<{ passwordHash: string }>('SELECT "passwordHash" FROM "User" WHERE "email" = ?', email);
    assert.ok(row, `${email} exists`);
    return row.passwordHash;
  }

  test('create works on a fresh database and prints {id, email, name}', async () => {
    const user = await cli.json(['user', 'create', '--email', 'Alice@Example.COM', '--password', PASSWORD, '--name', 'Alice']);
    assert.deepEqual(Object.keys(user).sort(), ['email', 'id', 'name']);
    assert.match(user.id, /^[0-9a-f-]{36}$/);
    assert.equal(user.email, 'alice@example.com', 'emails are stored lower-cased');
    assert.equal(user.name, 'Alice');
    assert.ok(await argon2.verify(await passwordHashOf('alice@example.com'), PASSWORD));
    assert.match(await passwordHashOf('alice@example.com'), /^\$argon2id\$/);
  });

  test('create without a name prints only {id, email}', async () => {
    const user = await cli.json(['user', 'create', '--email', 'nameless@example.com', '--password', PASSWORD]);
    assert.deepEqual(Object.keys(user).sort(), ['email', 'id']);
  });

  test('create without --json prints a readable line, not JSON', async () => {
    const result = await cli.run(['user', 'create', '--email', 'human@example.com', '--password', PASSWORD]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Created user human@example\.com \([0-9a-f-]{36}\)\n$/);
  });

  test('--password-stdin reads the password and drops only the trailing newline', async () => {
    await cli.json(['user', 'create', '--email', 'stdin@example.com', '--password-stdin'], { input: `${PASSWORD}\n` });
    const hash = await passwordHashOf('stdin@example.com');
    assert.ok(await argon2.verify(hash, PASSWORD));
    assert.equal(await argon2.verify(hash, `${PASSWORD}\n`), false);

    await cli.json(['user', 'create', '--email', 'crlf@example.com', '--password-stdin'], { input: ' spaced pass \r\n' });
    assert.ok(await argon2.verify(await passwordHashOf('crlf@example.com'), ' spaced pass '), 'inner and leading spaces are kept');
  });

  test('an invalid email is refused with exit 2', async () => {
    assertFails(await cli.run(['user', 'create', '--email', 'not-an-email', '--password', PASSWORD]), 2, /not a valid email address/);
  });

  test('a duplicate email, in any case, is refused with exit 1', async () => {
    await cli.json(['user', 'create', '--email', 'dup@example.com', '--password', PASSWORD]);
    assertFails(await cli.run(['user', 'create', '--email', 'DUP@example.com', '--password', PASSWORD, '--json']), 1, /already exists/);
    assert.equal((await cli.query('SELECT "id" FROM "User" WHERE "email" = ?', 'dup@example.com')).length, 1);
  });

  test('a short password is refused with exit 2', async () => {
    assertFails(await cli.run(['user', 'create', '--email', 'short@example.com', '--password', 'short']), 2, /at least 8 characters/);
    assertFails(
      await cli.run(['user', 'create', '--email', 'short@example.com', '--password-stdin'], { input: '\n' }),
      2,
      /at least 8 characters/,
    );
    assert.equal((await cli.query('SELECT "id" FROM "User" WHERE "email" = ?', 'short@example.com')).length, 0);
  });

  test('the password must come from exactly one of --password and --password-stdin', async () => {
    assertFails(await cli.run(['user', 'create', '--email', 'none@example.com']), 2, /--password or --password-stdin is required/);
    assertFails(
      await cli.run(['user', 'create', '--email', 'both@example.com', '--password', PASSWORD, '--password-stdin'], { input: PASSWORD }),
      2,
      /not both/,
    );
    assertFails(await cli.run(['user', 'create', '--password', PASSWORD]), 2, /--email is required/);
  });

  test('list prints every user without password hashes', async () => {
    const { users } = await cli.json<{ users: Record<string, unknown>[] }>(['user', 'list']);
    assert.ok(users.length >= 4);
    const alice = users.find((u) => u.email === 'alice@example.com');
    assert.ok(alice);
    assert.deepEqual(Object.keys(alice).sort(), ['created_at', 'email', 'email_verified', 'factors', 'id', 'name']);
    assert.deepEqual(alice.factors, { totp: false, passkeys: 0, recovery_codes_left: 0 });
    assert.equal(alice.email_verified, false);
    assert.ok(!Number.isNaN(Date.parse(String(alice.created_at))));
    const human = await cli.run(['user', 'list']);
    assert.match(human.stdout, /alice@example\.com/);
    assert.doesNotMatch(human.stdout + JSON.stringify(users), /argon2/);
  });

  test('set-password replaces the password, by email or id', async () => {
    const user = await cli.json(['user', 'create', '--email', 'change@example.com', '--password', PASSWORD]);
    const changed = await cli.json(['user', 'set-password', 'Change@Example.com', '--password-stdin'], { input: 'a brand new password\n' });
    assert.deepEqual(changed, { id: user.id, email: 'change@example.com', password_changed: true });
    assert.ok(await argon2.verify(await passwordHashOf('change@example.com'), 'a brand new password'));
    assert.equal(await argon2.verify(await passwordHashOf('change@example.com'), PASSWORD), false);

    await cli.json(['user', 'set-password', user.id, '--password', 'third password here']);
    assert.ok(await argon2.verify(await passwordHashOf('change@example.com'), 'third password here'));

    const before = await passwordHashOf('change@example.com');
    assertFails(await cli.run(['user', 'set-password', user.id, '--password', 'short']), 2, /at least 8 characters/);
    assert.equal(await passwordHashOf('change@example.com'), before, 'a refused password changes nothing');
  });

  test('set-password and delete on an unknown user fail with exit 1', async () => {
    assertFails(await cli.run(['user', 'set-password', 'ghost@example.com', '--password', PASSWORD]), 1, /no user .*ghost@example\.com/);
    assertFails(await cli.run(['user', 'delete', '00000000-0000-0000-0000-000000000000']), 1, /no user/);
  });

  test('delete removes the user and revokes their grants and tokens', async () => {
    const user = await cli.json(['user', 'create', '--email', 'leaver@example.com', '--password', PASSWORD]);
    const stayer = await cli.json(['user', 'create', '--email', 'stayer@example.com', '--password', PASSWORD]);
    await cli.seedGrant({ id: 'grant-leaver', accountId: user.id, clientId: 'some-client' });
    await cli.seedGrant({ id: 'grant-stayer', accountId: stayer.id, clientId: 'some-client' });

    const deleted = await cli.json(['user', 'delete', 'leaver@example.com']);
    assert.deepEqual(deleted, {
      id: user.id,
      email: 'leaver@example.com',
      deleted: true,
      revoked: { grants: 1, refresh_tokens: 1, grant_tokens: 1 },
    });
    assert.equal((await cli.query('SELECT "id" FROM "User" WHERE "id" = ?', user.id)).length, 0);
    assert.deepEqual((await cli.query('SELECT "id" FROM "Grant"')).map((r) => r.id), ['grant-stayer']);
    assert.deepEqual((await cli.query('SELECT "grantId" FROM "RefreshToken"')).map((r) => r.grantId), ['grant-stayer']);
    assert.deepEqual((await cli.query('SELECT "grantId" FROM "OidcPayload"')).map((r) => r.grantId), ['grant-stayer']);

    assertFails(await cli.run(['user', 'delete', 'leaver@example.com']), 1, /no user/);
  });

  test('delete needs exactly one user', async () => {
    assertFails(await cli.run(['user', 'delete']), 2, /missing ID\|EMAIL/);
    assertFails(await cli.run(['user', 'delete', 'a@example.com', 'b@example.com']), 2, /unexpected argument "b@example\.com"/);
  });
});
