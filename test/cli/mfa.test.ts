// The MFA parts of the CLI, run as the real command: `client create|update --require-mfa`,
// `user list` showing each user's factors, and `user mfa reset ID|EMAIL` with its audit event.
// Factors are written as rows the way the server stores them (the browser tests enrol them for real).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFails, createSandbox, type CliSandbox } from './harness.js';

const PASSWORD = 'correct horse battery staple';

interface ListedUser {
  email: string;
  factors: { totp: boolean; passkeys: number; recovery_codes_left: number };
}

describe('gatehouse and second factors', () => {
  let cli: CliSandbox;
  before(async () => {
    cli = await createSandbox();
  });
  after(async () => cli?.close());

  const now = () => (cli.databaseFile ? Date.now() : new Date());

  async function listed(email: string): Promise<ListedUser | undefined> {
    const { users } = await cli.json<{ users: ListedUser[] }>(['user', 'list']);
    return users.find((u) => u.email === email);
  }

  test('client create --require-mfa stores it, show says so, update turns it off and on', async () => {
    const created = await cli.json<{ client_id: string; require_mfa?: boolean }>([
      'client', 'create', '--name', 'Payroll', '--grant', 'authorization_code', '--redirect-uri', 'https://payroll.example.com/cb', '--require-mfa',
    ]);
    assert.equal(created.require_mfa, true);
    const human = await cli.run(['client', 'show', created.client_id]);
    assert.match(human.stdout, /requires MFA:\s+yes/);

    const off = await cli.json<{ require_mfa: boolean }>(['client', 'update', created.client_id, '--no-require-mfa']);
    assert.equal(off.require_mfa, false);
    assert.equal((await cli.json<{ require_mfa?: boolean }>(['client', 'show', created.client_id])).require_mfa, undefined);

    const plain = await cli.json<{ client_id: string; require_mfa?: boolean }>([
      'client', 'create', '--name', 'Wiki', '--grant', 'authorization_code', '--redirect-uri', 'https://wiki.example.com/cb',
    ]);
    assert.equal(plain.require_mfa, undefined);
    const on = await cli.json<{ require_mfa: boolean; rate_limit_per_second: number }>(['client', 'update', plain.client_id, '--require-mfa']);
    assert.equal(on.require_mfa, true);
    assert.equal((await cli.json<{ require_mfa?: boolean }>(['client', 'show', plain.client_id])).require_mfa, true);
    const [{ metadata }] = await cli.query<{ metadata: string }>('SELECT "metadata" FROM "Client" WHERE "id" = ?', plain.client_id);
    assert.equal(JSON.parse(metadata).require_mfa, true, 'kept in the metadata oidc-provider reads');

    const audit = await cli.json<{ events: { type: string; client_id: string; detail: Record<string, unknown> }[] }>(['audit', 'list', '--type', 'client.updated']);
    assert.ok(audit.events.some((e) => e.client_id === plain.client_id && e.detail.require_mfa === true));

    assertFails(await cli.run(['client', 'update', plain.client_id, '--require-mfa', '--no-require-mfa']), 2, /not both/);
    assertFails(await cli.run(['client', 'update', plain.client_id]), 2, /--require-mfa/);
    assertFails(await cli.run(['client', 'update', 'nosuchclient', '--require-mfa']), 1, /no client/);
  });

  test('user list shows factors; user mfa reset removes them all and leaves an audit event', async () => {
    const user = await cli.json<{ id: string }>(['user', 'create', '--email', 'lost-phone@example.com', '--password', PASSWORD]);
    assert.deepEqual((await listed('lost-phone@example.com'))?.factors, { totp: false, passkeys: 0, recovery_codes_left: 0 });

    await cli.query('INSERT INTO "MfaTotp" ("accountId", "secret", "confirmedAt", "createdAt") VALUES (?, ?, ?, ?)', user.id, 'JBSWY3DPEHPK3PXP', now(), now());
    for (const hash of ['h1', 'h2', 'h3']) {
      await cli.query('INSERT INTO "MfaRecoveryCode" ("codeHash", "accountId", "createdAt") VALUES (?, ?, ?)', hash, user.id, now());
    }
    await cli.query(
      'INSERT INTO "MfaPasskey" ("id", "accountId", "publicKey", "counter", "deviceType", "name", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)',
      'credential-1', user.id, 'key', 0, 'singleDevice', 'Laptop', now(),
    );
    assert.deepEqual((await listed('lost-phone@example.com'))?.factors, { totp: true, passkeys: 1, recovery_codes_left: 3 });
    assert.match((await cli.run(['user', 'list'])).stdout, /lost-phone@example\.com.*totp, 1 passkey, 3 recovery codes/);

    const reset = await cli.json(['user', 'mfa', 'reset', 'Lost-Phone@example.com']);
    assert.deepEqual(reset, { id: user.id, email: 'lost-phone@example.com', removed: { totp: true, recovery_codes: 3, passkeys: 1 } });
    assert.deepEqual((await listed('lost-phone@example.com'))?.factors, { totp: false, passkeys: 0, recovery_codes_left: 0 });

    const audit = await cli.json<{ events: { type: string; account_id: string; user_agent: string; detail: Record<string, unknown> }[] }>(['audit', 'list', '--type', 'mfa.reset']);
    const event = audit.events.find((e) => e.account_id === user.id);
    assert.ok(event, 'mfa.reset is audited');
    assert.equal(event.user_agent, 'gatehouse-cli');
    assert.deepEqual(event.detail, { factor: 'all', totp: 1, recovery_codes: 3, passkeys: 1 });

    const again = await cli.run(['user', 'mfa', 'reset', user.id]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /had no second factors/);
  });

  test('user mfa reset refuses unknown users and missing arguments', async () => {
    assertFails(await cli.run(['user', 'mfa', 'reset', 'nobody@example.com']), 1, /no user/);
    assertFails(await cli.run(['user', 'mfa', 'reset']), 2, /missing ID\|EMAIL/);
    assertFails(await cli.run(['user', 'mfa']), 2, /missing user mfa command/);
  });
});
