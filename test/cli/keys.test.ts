// `gatehouse keys ...`: rotation adds a signing key per algorithm and retires the old ones for as
// long as tokens they signed can live.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFails, createSandbox, type CliSandbox } from './harness.js';

const ALGS = ['ES256', 'EdDSA', 'RS256'];

interface KeyJson {
  kid: string;
  alg: string;
  status: 'active' | 'retired';
  created_at: string;
  retired_at: string | null;
  expires_at: string | null;
}

interface RotateJson {
  created: string[];
  retired: string[];
  retired_key_lifetime_seconds: number;
  keys: KeyJson[];
}

describe('gatehouse keys', () => {
  let cli: CliSandbox;
  before(async () => {
    // The longest-lived signed token decides how long a retired key stays: 7200s + 60s margin.
    cli = await createSandbox({ ID_TOKEN_TTL: '3600', ACCESS_TOKEN_TTL: '7200', CLIENT_CREDENTIALS_TTL: '900' });
  });
  after(async () => cli?.close());

  test('list on a fresh database is empty', async () => {
    assert.deepEqual(await cli.json(['keys', 'list']), { keys: [] });
    const human = await cli.run(['keys', 'list']);
    assert.match(human.stdout, /No signing keys yet/);
  });

  let first: RotateJson;
  test('the first rotate creates one active key per algorithm', async () => {
    first = await cli.json<RotateJson>(['keys', 'rotate']);
    assert.deepEqual(first.retired, []);
    assert.equal(first.created.length, 3);
    assert.deepEqual(first.keys.map((k) => k.alg).sort(), ALGS);
    for (const key of first.keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'created_at', 'expires_at', 'kid', 'retired_at', 'status']);
      assert.equal(key.status, 'active');
      assert.equal(key.retired_at, null);
      assert.equal(key.expires_at, null);
      assert.ok(first.created.includes(key.kid));
    }
  });

  test('rotate again adds a new active key per algorithm and retires the old ones until a server starts without them', async () => {
    const second = await cli.json<RotateJson>(['keys', 'rotate']);
    assert.equal(second.retired_key_lifetime_seconds, 7260);
    assert.deepEqual([...second.retired].sort(), [...first.created].sort());
    assert.equal(second.keys.length, 6);

    const active = second.keys.filter((k) => k.status === 'active');
    const retired = second.keys.filter((k) => k.status === 'retired');
    assert.deepEqual(active.map((k) => k.alg).sort(), ALGS, 'exactly one active key per algorithm');
    assert.deepEqual(retired.map((k) => k.alg).sort(), ALGS);
    assert.deepEqual(active.map((k) => k.kid).sort(), [...second.created].sort());
    assert.ok(active.every((k) => !first.created.includes(k.kid)), 'the active keys are new');
    for (const key of retired) {
      assert.ok(first.created.includes(key.kid));
      assert.ok(key.retired_at);
      assert.equal(key.expires_at, null, 'the expiry clock starts when a server stops signing with the key');
    }

    const stored = await cli.query<{ kid: string; retiredAt: unknown }>('SELECT "kid", "retiredAt" FROM "SigningKey"');
    assert.equal(stored.length, 6);
    assert.equal(stored.filter((k) => k.retiredAt === null).length, 3);

    assert.deepEqual(await cli.json(['keys', 'list']), { keys: second.keys }, 'list shows the same keys');
  });

  test('the human output says a restart is needed', async () => {
    const result = await cli.run(['keys', 'rotate']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Restart the server/);
    const list = await cli.run(['keys', 'list']);
    assert.match(list.stdout, /KID +ALG +STATUS/);
    assert.equal((list.stdout.match(/ retired /g) ?? []).length, 6, 'both earlier generations are retired');
  });

  test('with JWKS set by the operator, keys commands refuse (exit 1)', async () => {
    const env = { JWKS: JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', d: 'x', x: 'y' }] }) };
    const before = (await cli.query('SELECT "kid" FROM "SigningKey"')).length;
    assertFails(await cli.run(['keys', 'rotate'], { env }), 1, /JWKS is set/);
    assertFails(await cli.run(['keys', 'list'], { env }), 1, /JWKS is set/);
    assert.equal((await cli.query('SELECT "kid" FROM "SigningKey"')).length, before);
  });
});
