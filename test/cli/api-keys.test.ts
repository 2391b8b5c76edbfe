// `gatehouse apikey ...` and the gateway settings of `gatehouse resource ...` run as the real
// command: the key's format, that only its hash is stored, lists, revocation, rotation, expiry,
// deletion of the client or API revoking keys, audit events, and the input refused.
import { createHash, createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFails, createSandbox, type CliSandbox } from './harness.js';

const API = 'https://api.example.com/orders';
const OTHER_API = 'https://billing.example.com';
const KEY = /^gatehouse_([0-9A-Za-z]{12})_[0-9A-Za-z]{38}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The checksum as docs/gateways.md tells scanner authors to compute it. */
function documentedChecksum(key: string): string {
  let n = crc32(key.slice(0, -6));
  let out = '';
  for (let i = 0; i < 6; i += 1) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

interface KeyJson {
  id: string; name: string | null; client_id: string; resource: string; scope: string | null; key_start: string; key_end: string;
  status: string; rate_limit_per_second: number | null; daily_quota: number | null; created_at: string; last_used_at: string | null;
  expires_at: string | null; revoked_at: string | null; rotated_to: string | null;
}

describe('gatehouse apikey', () => {
  let cli: CliSandbox;
  let clientId: string;
  before(async () => {
    cli = await createSandbox();
    await cli.json(['resource', 'create', '--identifier', API, '--scope', 'orders:read orders:write', '--require', 'api_key']);
    await cli.json(['resource', 'create', '--identifier', OTHER_API, '--scope', 'billing']);
    clientId = (await cli.json(['client', 'create', '--name', 'Shop', '--grant', 'client_credentials'])).client_id;
  });
  after(async () => cli?.close());

  const create = (...extra: string[]) => cli.json<KeyJson & { api_key: string }>(['apikey', 'create', '--client', clientId, '--resource', API, ...extra]);

  test('create: a scanner-friendly key shown once, stored only as a SHA-256', async () => {
    const created = await create('--name', 'CI', '--scope', 'orders:read', '--expires', '30d', '--rate-limit', '5/s', '--quota', '1000/day');
    const match = KEY.exec(created.api_key);
    assert.ok(match, `format: ${created.api_key}`);
    assert.equal(match[1], created.id, 'the public id is part of the key');
    assert.equal(created.api_key.slice(-6), documentedChecksum(created.api_key), 'the last six characters are the CRC-32 in base62');
    assert.equal(created.client_id, clientId);
    assert.equal(created.resource, API);
    assert.equal(created.name, 'CI');
    assert.equal(created.scope, 'orders:read');
    assert.equal(created.status, 'active');
    assert.equal(created.rate_limit_per_second, 5);
    assert.equal(created.daily_quota, 1000);
    assert.equal(created.last_used_at, null);
    const lifetime = Date.parse(created.expires_at!) - Date.parse(created.created_at);
    assert.equal(lifetime, 30 * 86_400_000);
    assert.ok(created.api_key.startsWith(created.key_start) && created.api_key.endsWith(created.key_end));

    const [row] = await cli.query<{ keyHash: string }>('SELECT "keyHash" FROM "ApiKey" WHERE "id" = ?', created.id);
    assert.equal(row.keyHash, `sha256:${createHash('sha256').update(created.api_key).digest('base64url')}`);
    assert.ok(!(await cli.dumpDatabase()).includes(created.api_key), 'no table holds the key');
    assert.ok(!(await cli.rawDatabase()).includes(created.api_key), 'the database files do not hold the key');
    const secretPart = created.api_key.slice(created.key_start.length, -created.key_end.length);

    for (const args of [['apikey', 'list'], ['apikey', 'show', created.id]]) {
      for (const json of [true, false]) {
        const result = await cli.run(json ? [...args, '--json'] : args);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, new RegExp(created.id));
        assert.ok(!result.stdout.includes(secretPart), `${args.join(' ')} does not print the key`);
        assert.ok(!result.stdout.includes(row.keyHash), `${args.join(' ')} does not print the hash`);
      }
    }
    const human = await cli.run(['apikey', 'create', '--client', clientId, '--resource', API]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /api_key: +gatehouse_\w+/);
    assert.match(human.stdout, /shown only once/);

    const [event] = (await cli.json<{ events: { type: string; client_id: string; detail: Record<string, unknown> }[] }>(['audit', 'list', '--type', 'apikey.created'])).events.reverse();
    assert.equal(event.client_id, clientId);
    assert.deepEqual(event.detail, { api_key_id: created.id, resource: API, name: 'CI' });
  });

  test('a signing secret of 256 bits shown once at create and rotate, encrypted under KEY_ENCRYPTION_SECRET', async () => {
    const plain = await create();
    const secret = (plain as unknown as { signing_secret: string }).signing_secret;
    assert.match(secret, /^[0-9a-f]{64}$/);
    const [stored] = await cli.query<{ signingSecret: string }>('SELECT "signingSecret" FROM "ApiKey" WHERE "id" = ?', plain.id);
    assert.equal(stored.signingSecret, secret, 'without KEY_ENCRYPTION_SECRET it is stored as it is');
    for (const args of [['apikey', 'list', '--json'], ['apikey', 'show', plain.id, '--json'], ['apikey', 'show', plain.id]]) {
      assert.ok(!(await cli.run(args)).stdout.includes(secret), `${args.join(' ')} does not print the signing secret`);
    }

    const env = { KEY_ENCRYPTION_SECRET: 'k'.repeat(40) };
    const sealed = await cli.json<{ id: string; signing_secret: string }>(['apikey', 'create', '--client', clientId, '--resource', API], { env });
    const [row] = await cli.query<{ signingSecret: string }>('SELECT "signingSecret" FROM "ApiKey" WHERE "id" = ?', sealed.id);
    assert.match(row.signingSecret, /^enc:v1:/);
    assert.ok(!(await cli.dumpDatabase()).includes(sealed.signing_secret), 'no table holds an encrypted secret in clear');

    const rotated = await cli.json<{ id: string; signing_secret: string; previous_id: string }>(['apikey', 'rotate', sealed.id], { env });
    assert.equal(rotated.previous_id, sealed.id);
    assert.match(rotated.signing_secret, /^[0-9a-f]{64}$/);
    assert.notEqual(rotated.signing_secret, sealed.signing_secret);
    const human = await cli.run(['apikey', 'create', '--client', clientId, '--resource', API]);
    assert.match(human.stdout, /signing_secret: +[0-9a-f]{64}/);
  });

  test('with CLIENT_SECRET_PEPPER the stored hash is an HMAC under it', async () => {
    const pepper = 'p'.repeat(40);
    const created = await cli.json<{ id: string; api_key: string }>(['apikey', 'create', '--client', clientId, '--resource', API], { env: { CLIENT_SECRET_PEPPER: pepper } });
    const [row] = await cli.query<{ keyHash: string }>('SELECT "keyHash" FROM "ApiKey" WHERE "id" = ?', created.id);
    assert.equal(row.keyHash, `hmac-sha256:${createHmac('sha256', pepper).update(created.api_key).digest('base64url')}`);
  });

  test('list: every key with the named fields, or only those of one client', async () => {
    const other = (await cli.json(['client', 'create', '--name', 'Other', '--grant', 'client_credentials'])).client_id;
    const theirs = await cli.json<KeyJson>(['apikey', 'create', '--client', other, '--resource', OTHER_API]);
    const all = (await cli.json<{ api_keys: KeyJson[] }>(['apikey', 'list'])).api_keys;
    assert.ok(all.some((k) => k.id === theirs.id) && all.some((k) => k.client_id === clientId));
    for (const key of all) {
      for (const field of ['id', 'name', 'client_id', 'resource', 'key_start', 'key_end', 'created_at', 'last_used_at', 'expires_at', 'status']) {
        assert.ok(field in key, `list has ${field}`);
      }
    }
    const mine = (await cli.json<{ api_keys: KeyJson[] }>(['apikey', 'list', '--client', other])).api_keys;
    assert.deepEqual(mine.map((k) => k.id), [theirs.id]);
    const table = (await cli.run(['apikey', 'list', '--client', other])).stdout;
    assert.match(table, /ID\s+NAME\s+CLIENT\s+API\s+KEY\s+CREATED\s+LAST USED\s+EXPIRES\s+STATUS/);
    assert.match(table, new RegExp(`${theirs.id}\\s+-\\s+${other}\\s+${OTHER_API.replace(/\./g, '\\.')}\\s+${theirs.key_start}\\.\\.\\.${theirs.key_end}`));
  });

  test('revoke: the key is revoked (and audited) once; revoking again changes nothing', async () => {
    const key = await create();
    const revoked = await cli.json<KeyJson & { already_revoked: boolean }>(['apikey', 'revoke', key.id]);
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.already_revoked, false);
    const again = await cli.json<KeyJson & { already_revoked: boolean }>(['apikey', 'revoke', key.id]);
    assert.equal(again.already_revoked, true);
    assert.equal(again.revoked_at, revoked.revoked_at);
    const events = (await cli.json<{ events: { detail: Record<string, unknown> }[] }>(['audit', 'list', '--type', 'apikey.revoked'])).events;
    assert.equal(events.filter((e) => e.detail.api_key_id === key.id).length, 1);
    assertFails(await cli.run(['apikey', 'revoke', 'AAAAAAAAAAAA']), 1, /no API key with id "AAAAAAAAAAAA"/);
    assertFails(await cli.run(['apikey', 'revoke', 'not-an-id']), 2, /not an API key id/);
    assertFails(await cli.run(['apikey', 'rotate', key.id]), 1, /is revoked; only an active key can be rotated/);
  });

  test('rotate --grace: a new key with the same settings; the old one works until the grace ends', async () => {
    const key = await create('--name', 'Rolling', '--scope', 'orders:write', '--rate-limit', '7/s');
    const rotated = await cli.json<KeyJson & { api_key: string; previous_id: string; previous_expires_at: string }>(['apikey', 'rotate', key.id, '--grace', '1h']);
    assert.match(rotated.api_key, KEY);
    assert.notEqual(rotated.id, key.id);
    assert.equal(rotated.previous_id, key.id);
    assert.deepEqual(
      [rotated.name, rotated.client_id, rotated.resource, rotated.scope, rotated.rate_limit_per_second, rotated.status],
      ['Rolling', clientId, API, 'orders:write', 7, 'active'],
    );
    const grace = Date.parse(rotated.previous_expires_at) - Date.now();
    assert.ok(grace > 3590_000 && grace <= 3600_000, `grace ${grace}`);
    const old = await cli.json<KeyJson>(['apikey', 'show', key.id]);
    assert.equal(old.status, 'rotated');
    assert.equal(old.rotated_to, rotated.id);
    assert.equal(old.revoked_at, rotated.previous_expires_at);
    const [event] = (await cli.json<{ events: { detail: Record<string, unknown> }[] }>(['audit', 'list', '--type', 'apikey.rotated'])).events;
    assert.deepEqual(event.detail, { api_key_id: key.id, resource: API, new_api_key_id: rotated.id, grace_seconds: 3600 });

    const abrupt = await cli.json<{ previous_id: string; previous_expires_at: string | null }>(['apikey', 'rotate', rotated.id]);
    assert.equal(abrupt.previous_expires_at, null);
    assert.equal((await cli.json<KeyJson>(['apikey', 'show', rotated.id])).status, 'revoked');
    assertFails(await cli.run(['apikey', 'rotate', key.id, '--grace', 'soon']), 2, /--grace must be a duration/);
    assertFails(await cli.run(['apikey', 'rotate', key.id, '--grace', '31d']), 2, /at most/);
  });

  test('a key past its expiry shows as expired', async () => {
    const key = await create('--expires', '1s');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await cli.json<KeyJson>(['apikey', 'show', key.id])).status, 'expired');
  });

  test('deleting the client or the API revokes its keys', async () => {
    const doomedClient = (await cli.json(['client', 'create', '--name', 'Doomed', '--grant', 'client_credentials'])).client_id;
    const viaClient = await cli.json<KeyJson>(['apikey', 'create', '--client', doomedClient, '--resource', OTHER_API]);
    const deleted = await cli.json(['client', 'delete', doomedClient]);
    assert.equal(deleted.revoked.api_keys, 1);
    assert.equal((await cli.json<KeyJson>(['apikey', 'show', viaClient.id])).status, 'revoked');

    const doomedApi = 'https://doomed.example.com';
    await cli.json(['resource', 'create', '--identifier', doomedApi, '--scope', 'doomed']);
    const viaApi = await cli.json<KeyJson>(['apikey', 'create', '--client', clientId, '--resource', doomedApi]);
    await cli.json(['resource', 'rule', 'add', doomedApi, '--path', '/x/**', '--require', 'api_key']);
    assert.deepEqual(await cli.json(['resource', 'delete', doomedApi]), { identifier: doomedApi, deleted: true, api_keys_revoked: 1, rules_deleted: 1 });
    assert.equal((await cli.json<KeyJson>(['apikey', 'show', viaApi.id])).status, 'revoked');
    const reasons = (await cli.json<{ events: { detail: Record<string, unknown> }[] }>(['audit', 'list', '--type', 'apikey.revoked'])).events
      .filter((e) => [viaClient.id, viaApi.id].includes(String(e.detail.api_key_id))).map((e) => e.detail.reason).sort();
    assert.deepEqual(reasons, ['client_deleted', 'resource_deleted']);
  });

  test('bad input is refused with one line and the right exit status', async () => {
    assertFails(await cli.run(['apikey', 'create', '--resource', API]), 2, /--client is required/);
    assertFails(await cli.run(['apikey', 'create', '--client', clientId]), 2, /--resource is required/);
    assertFails(await cli.run(['apikey', 'create', '--client', 'nosuchclient', '--resource', API]), 1, /no client with id "nosuchclient"/);
    assertFails(await cli.run(['apikey', 'create', '--client', clientId, '--resource', 'https://nowhere.example.com']), 1, /no resource with identifier/);
    assertFails(await cli.run(['apikey', 'create', '--client', clientId, '--resource', API, '--scope', 'billing']), 2, /not a scope of/);
    assertFails(await cli.run(['apikey', 'create', '--client', clientId, '--resource', API, '--expires', 'forever']), 2, /--expires must be a duration/);
    assertFails(await cli.run(['apikey', 'create', '--client', clientId, '--resource', API, '--rate-limit', '0/s']), 2, /--rate-limit must be a positive number/);
    assertFails(await cli.run(['apikey', 'create', '--client', clientId, '--resource', API, '--quota', 'lots']), 2, /--quota must be/);
    assertFails(await cli.run(['apikey', 'show', 'AAAAAAAAAAAA']), 1, /no API key/);
    assertFails(await cli.run(['apikey', 'usage', 'AAAAAAAAAAAA']), 1, /no API key/);
    assertFails(await cli.run(['apikey', 'frobnicate']), 2, /unknown apikey command/);
  });

  test('usage of a key never used is empty', async () => {
    const key = await create();
    const usage = await cli.json(['apikey', 'usage', key.id, '--days', '3']);
    assert.deepEqual(usage, { id: key.id, client_id: clientId, resource: API, days: 3, total: { allowed: 0, denied: 0, throttled: 0 }, usage: [] });
    assert.match((await cli.run(['apikey', 'usage', key.id])).stdout, /No calls with API key/);
    assertFails(await cli.run(['apikey', 'usage', key.id, '--days', '0']), 2, /--days/);
  });
});

describe('gatehouse resource: gateway requirements, limits and rules', () => {
  let cli: CliSandbox;
  before(async () => {
    cli = await createSandbox();
  });
  after(async () => cli?.close());

  test('an API requires an access token unless told otherwise; update changes requirement and limits', async () => {
    const plain = await cli.json(['resource', 'create', '--identifier', API, '--scope', 'orders:read orders:write']);
    assert.deepEqual([plain.require, plain.rate_limit_per_second, plain.daily_quota], ['access_token', null, null]);
    const both = await cli.json(['resource', 'create', '--identifier', OTHER_API, '--scope', 'billing', '--require', 'api_key,access_token', '--rate-limit', '10/s']);
    assert.deepEqual([both.require, both.rate_limit_per_second], ['api_key,access_token', 10]);

    assert.deepEqual(await cli.json(['resource', 'update', API, '--require', 'api_key', '--rate-limit', '50/s', '--quota', '10000/day']), {
      identifier: API, require: 'api_key', rate_limit_per_second: 50, daily_quota: 10000,
    });
    assert.deepEqual(await cli.json(['resource', 'update', API, '--quota', 'none']), {
      identifier: API, require: 'api_key', rate_limit_per_second: 50, daily_quota: null,
    });
    const listed = (await cli.json<{ resources: Record<string, unknown>[] }>(['resource', 'list'])).resources.find((r) => r.identifier === API);
    assert.deepEqual([listed?.require, listed?.rate_limit_per_second, listed?.daily_quota], ['api_key', 50, null]);
    assert.match((await cli.run(['resource', 'list'])).stdout, /api_key\s+50\/s -/);

    assertFails(await cli.run(['resource', 'update', API]), 2, /give --require, --rate-limit or --quota/);
    assertFails(await cli.run(['resource', 'update', API, '--require', 'password']), 2, /--require must be api_key, access_token, signature, api_key,access_token or signature,access_token/);
    assertFails(await cli.run(['resource', 'update', API, '--rate-limit', '5/min']), 2, /--rate-limit/);
    assertFails(await cli.run(['resource', 'update', 'https://nowhere.example.com', '--require', 'api_key']), 1, /no resource/);
    assertFails(await cli.run(['resource', 'create', '--identifier', 'https://x.example.com', '--scope', 'x', '--require', 'token']), 2, /--require must be/);
    assert.equal((await cli.query('SELECT "identifier" FROM "ResourceServer" WHERE "identifier" = ?', 'https://x.example.com')).length, 0);
  });

  test('--require signature, alone or with access_token, on APIs and rules; never with api_key', async () => {
    const signed = await cli.json(['resource', 'create', '--identifier', 'https://signed.example.com', '--scope', 'pay', '--require', 'signature']);
    assert.equal(signed.require, 'signature');
    assert.equal((await cli.json(['resource', 'update', 'https://signed.example.com', '--require', 'signature,access_token'])).require, 'signature,access_token');
    assert.equal((await cli.json(['resource', 'update', 'https://signed.example.com', '--require', 'access_token,signature'])).require, 'signature,access_token');
    const rule = await cli.json(['resource', 'rule', 'add', 'https://signed.example.com', '--path', '/pay/**', '--require', 'signature']);
    assert.equal(rule.require, 'signature');
    assertFails(await cli.run(['resource', 'update', 'https://signed.example.com', '--require', 'api_key,signature']), 2, /a signature already proves the API key/);
    assertFails(await cli.run(['resource', 'rule', 'add', 'https://signed.example.com', '--path', '/x', '--require', 'signature,api_key']), 2, /a signature already proves the API key/);
  });

  test('rule add, list and delete', async () => {
    const rule = await cli.json(['resource', 'rule', 'add', API, '--path', '/orders/*/items', '--method', 'get', '--require', 'api_key,access_token', '--scope', 'orders:read']);
    assert.match(rule.id, /^rule_[0-9a-f]{12}$/);
    assert.deepEqual({ ...rule, id: undefined, created_at: undefined }, {
      id: undefined, created_at: undefined, resource: API, path: '/orders/*/items', method: 'GET', require: 'api_key,access_token', scope: 'orders:read',
    });
    const anyMethod = await cli.json(['resource', 'rule', 'add', API, '--path', '/orders/**', '--require', 'access_token']);
    assert.equal(anyMethod.method, null);
    assert.equal(anyMethod.scope, null);
    const listed = await cli.json<{ rules: { id: string }[] }>(['resource', 'rule', 'list', API]);
    assert.deepEqual(listed.rules.map((r) => r.id), [rule.id, anyMethod.id]);
    assert.match((await cli.run(['resource', 'rule', 'list', API])).stdout, /GET\s+\/orders\/\*\/items\s+api_key,access_token\s+orders:read/);

    assertFails(await cli.run(['resource', 'rule', 'add', API, '--path', '/orders/**', '--require', 'api_key']), 2, /already has rule/);
    assertFails(await cli.run(['resource', 'rule', 'add', API, '--path', 'orders', '--require', 'api_key']), 2, /--path must be a URL path/);
    assertFails(await cli.run(['resource', 'rule', 'add', API, '--path', '/a?b', '--require', 'api_key']), 2, /--path must be/);
    assertFails(await cli.run(['resource', 'rule', 'add', API, '--path', '/a', '--require', 'api_key', '--scope', 'billing']), 2, /not a scope of/);
    assertFails(await cli.run(['resource', 'rule', 'add', API, '--path', '/a', '--require', 'api_key', '--method', 'GE T']), 2, /--method/);
    assertFails(await cli.run(['resource', 'rule', 'add', API, '--path', '/a']), 2, /--require is required/);
    assertFails(await cli.run(['resource', 'rule', 'add', 'https://nowhere.example.com', '--path', '/a', '--require', 'api_key']), 1, /no resource/);
    assertFails(await cli.run(['resource', 'rule']), 2, /missing resource rule command/);
    assertFails(await cli.run(['resource', 'rule', 'drop', rule.id]), 2, /unknown resource command "rule drop"/);

    assert.deepEqual(await cli.json(['resource', 'rule', 'delete', rule.id]), { id: rule.id, deleted: true });
    assertFails(await cli.run(['resource', 'rule', 'delete', rule.id]), 1, /no rule with id/);
    assert.deepEqual((await cli.json<{ rules: { id: string }[] }>(['resource', 'rule', 'list', API])).rules.map((r) => r.id), [anyMethod.id]);
  });
});
