// `gatehouse resource` and `gatehouse iat` on a fresh database: what is stored, and what is not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFails, createSandbox, type CliSandbox } from './harness.js';

describe('gatehouse resource and iat', () => {
  let cli: CliSandbox;
  before(async () => {
    cli = await createSandbox();
  });
  after(async () => cli?.close());

  test('create, list and delete an API', async () => {
    const created = await cli.json(['resource', 'create', '--identifier', 'https://api.example.com', '--scope', 'a:read a:write a:read', '--alg', 'EdDSA', '--ttl', '120']);
    assert.deepEqual(created, { ...created, identifier: 'https://api.example.com', scope: 'a:read a:write', format: 'jwt', alg: 'EdDSA', ttl: 120 });
    const listed = await cli.json<{ resources: { identifier: string }[] }>(['resource', 'list']);
    assert.deepEqual(listed.resources.map((r) => r.identifier), ['https://api.example.com']);
    assert.match((await cli.run(['resource', 'list'])).stdout, /https:\/\/api\.example\.com\s+a:read a:write\s+jwt EdDSA\s+120/);
    assert.deepEqual(await cli.json(['resource', 'delete', 'https://api.example.com']), { identifier: 'https://api.example.com', deleted: true, api_keys_revoked: 0, rules_deleted: 0 });
    assertFails(await cli.run(['resource', 'delete', 'https://api.example.com']), 1, /no resource/);
    assertFails(await cli.run(['resource', 'create', '--identifier', 'https://api.example.com', '--scope', 'x', '--ttl', 'long']), 2, /--ttl/);
    assertFails(await cli.run(['resource', 'create', '--identifier', 'https://api.example.com', '--scope', 'x', '--ttl', '5']), 2, /ttl must be/);
    assertFails(await cli.run(['resource', 'create', '--identifier', 'https://api.example.com']), 2, /--scope is required/);
  });

  test('a client may only be registered with scopes some API defines', async () => {
    assertFails(await cli.run(['client', 'create', '--name', 'Job', '--grant', 'client_credentials', '--scope', 'b:read']), 2, /unknown scope "b:read"/);
    await cli.json(['resource', 'create', '--identifier', 'https://b.example.com', '--scope', 'b:read']);
    const job = await cli.json(['client', 'create', '--name', 'Job', '--grant', 'client_credentials', '--scope', 'b:read']);
    assert.equal(job.scope, 'b:read');
    assert.equal(job.api_scope, 'b:read');
  });

  test('an initial access token is printed once and stored only sealed under its hash', async () => {
    const created = await cli.json<{ initial_access_token: string; expires_at: string; uses: number }>(['iat', 'create', '--expires', '2h', '--uses', '3']);
    assert.match(created.initial_access_token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(created.uses, 3);
    const lifetime = Date.parse(created.expires_at) - Date.now();
    assert.ok(lifetime > 7100_000 && lifetime <= 7200_000);
    assert.ok(!(await cli.dumpDatabase()).includes(created.initial_access_token));
    assert.equal((await cli.query(`SELECT "model" FROM "OidcPayload" WHERE "model" = 'InitialAccessToken'`)).length, 1);
  });
});
