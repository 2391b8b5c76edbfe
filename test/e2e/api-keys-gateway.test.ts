// API keys, limits and metering as the gateway check applies them, asked directly in nginx's
// auth_request dialect on two Gatehouse instances sharing one database: a key works only at its
// API; revocation, rotation and deletion reach both instances within a second; per-key and per
// client x API limits share their counters across instances; usage per UTC day (allowed, denied,
// throttled) appears in `apikey usage` and `client usage`; last use shows in `apikey list`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createClient, relyingParty, type CreatedClient } from '../support/relying-party.js';

const ORDERS = 'https://api.example.com/orders';
const BILLING = 'https://api.example.com/billing';
const TOKENS_ONLY = 'https://reports.example.com';

interface Check { status: number; headers: Headers; body: string }

async function check(gh: Gatehouse, url: string, headers: Record<string, string>, method = 'GET'): Promise<Check> {
  const response = await fetch(`${gh.issuer}/api/authz/auth-request`, {
    headers: { 'x-original-method': method, 'x-original-url': url, ...headers },
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

const withKey = (gh: Gatehouse, key: string, url = `${ORDERS}/42`) => check(gh, url, { 'x-api-key': key });

/** Starts at the beginning of a fresh one-second window, so a burst is not split across two. */
const freshSecond = () => new Promise((resolve) => setTimeout(resolve, 1100));

/** Polls `attempt` until it returns true, and says how long that took (failing after `limitMs`). */
async function within(limitMs: number, attempt: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await attempt())) {
    assert.ok(Date.now() - start < limitMs, `not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - start;
}

interface KeyJson { id: string; api_key: string; status: string; last_used_at: string | null }
type Outcomes = { allowed: number; denied: number; throttled: number };

describe('API keys at the gateway check, on two instances', () => {
  let a: Gatehouse;
  let b: Gatehouse;
  let shop: CreatedClient;
  before(async () => {
    a = await startGatehouse();
    b = await startGatehouse({ DATABASE_URL: a.databaseUrl });
    await a.cliJson(['resource', 'create', '--identifier', ORDERS, '--scope', 'orders:read orders:write', '--require', 'api_key']);
    await a.cliJson(['resource', 'create', '--identifier', BILLING, '--scope', 'billing', '--require', 'api_key']);
    await a.cliJson(['resource', 'create', '--identifier', TOKENS_ONLY, '--scope', 'reports', '--format', 'opaque', '--rate-limit', '3/s']);
    shop = await createClient(a, ['--name', 'Shop', '--grant', 'client_credentials', '--scope', 'reports']);
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  const newKey = (...extra: string[]) => a.cliJson<KeyJson>(['apikey', 'create', '--client', shop.client_id, '--resource', ORDERS, ...extra]);

  test('a key is accepted at its API and names itself; refused at another API and when made up', async () => {
    const key = await newKey();
    for (const gh of [a, b]) {
      const allowed = await withKey(gh, key.api_key);
      assert.equal(allowed.status, 200, allowed.body);
      assert.equal(allowed.headers.get('x-gatehouse-api-key-id'), key.id);
      assert.equal(allowed.headers.get('x-gatehouse-client-id'), shop.client_id);
    }
    assert.equal((await withKey(a, key.api_key, `${BILLING}/invoices`)).status, 403, 'another API');
    const flipped = key.api_key.slice(0, -7) + (key.api_key.at(-7) === 'A' ? 'B' : 'A') + key.api_key.slice(-6);
    assert.equal((await withKey(a, flipped)).status, 401, 'a bad checksum');
    assert.ok(!a.output().includes(key.api_key) && !b.output().includes(key.api_key), 'the key is never logged');
  });

  test('revocation reaches both instances within a second', async () => {
    const key = await newKey();
    assert.equal((await withKey(a, key.api_key)).status, 200);
    assert.equal((await withKey(b, key.api_key)).status, 200);
    await a.cliJson(['apikey', 'revoke', key.id]);
    for (const gh of [a, b]) {
      const took = await within(1000, async () => (await withKey(gh, key.api_key)).status === 401);
      assert.ok(took < 1000, `refused after ${took} ms`);
    }
  });

  test('rotation with grace: both keys work; without: the old one is refused within a second', async () => {
    const key = await newKey();
    assert.equal((await withKey(b, key.api_key)).status, 200);
    const graceful = await a.cliJson<KeyJson & { previous_id: string }>(['apikey', 'rotate', key.id, '--grace', '1h']);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal((await withKey(b, key.api_key)).status, 200, 'the old key during the grace');
    assert.equal((await withKey(b, graceful.api_key)).status, 200, 'the new key');
    await a.cliJson(['apikey', 'rotate', graceful.id]);
    await within(1000, async () => (await withKey(b, graceful.api_key)).status === 401);
    assert.equal((await withKey(b, key.api_key)).status, 200, 'the first key still has its grace');
  });

  test('deleting the client refuses its keys within a second; an expired key is refused', async () => {
    const doomed = await createClient(a, ['--name', 'Doomed', '--grant', 'client_credentials']);
    const key = await a.cliJson<KeyJson>(['apikey', 'create', '--client', doomed.client_id, '--resource', ORDERS]);
    assert.equal((await withKey(b, key.api_key)).status, 200);
    await a.cliJson(['client', 'delete', doomed.client_id]);
    await within(1000, async () => (await withKey(b, key.api_key)).status === 401);

    // Long enough to outlast a slow CLI start on a busy machine, then refused once it has passed.
    const brief = await newKey('--expires', '8s');
    assert.equal((await withKey(b, brief.api_key)).status, 200);
    await within(10_000, async () => (await withKey(b, brief.api_key)).status === 401);
  });

  test('a key over its rate limit gets 429 with Retry-After and RateLimit headers; the counter is shared', async () => {
    const key = await newKey('--rate-limit', '4/s');
    await freshSecond();
    const answers = await Promise.all([a, b, a, b, a, b, a, b].map((gh) => withKey(gh, key.api_key)));
    const allowed = answers.filter((r) => r.status === 200);
    const throttled = answers.filter((r) => r.status === 429);
    assert.equal(allowed.length, 4, 'four of eight across both instances');
    assert.equal(throttled.length, 4);
    for (const answer of throttled) {
      assert.equal(answer.headers.get('retry-after'), '1');
      assert.equal(answer.headers.get('ratelimit-limit'), '4');
      assert.equal(answer.headers.get('ratelimit-remaining'), '0');
    }
    assert.deepEqual(allowed.map((r) => r.headers.get('ratelimit-remaining')).sort(), ['0', '1', '2', '3']);
    const other = await newKey('--rate-limit', '4/s');
    assert.equal((await withKey(a, other.api_key)).status, 200, 'another key of the same client has its own counter');
    await freshSecond();
    assert.equal((await withKey(a, key.api_key)).status, 200, 'the next second');
  });

  test('a daily quota refuses until 00:00 UTC', async () => {
    const key = await newKey('--quota', '2/day');
    assert.equal((await withKey(a, key.api_key)).status, 200);
    assert.equal((await withKey(b, key.api_key)).status, 200);
    const refused = await withKey(a, key.api_key);
    assert.equal(refused.status, 429);
    const now = new Date();
    const toMidnight = Math.ceil((Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000);
    assert.ok(Math.abs(Number(refused.headers.get('retry-after')) - toMidnight) <= 2, `Retry-After ${refused.headers.get('retry-after')} vs ${toMidnight}`);
    assert.equal(refused.headers.get('ratelimit-limit'), '2');
  });

  test('calls refused by the rate limit do not use up the daily quota', async () => {
    const key = await newKey('--rate-limit', '2/s', '--quota', '3/day');
    await freshSecond();
    const burst = await Promise.all([a, b, a, b].map((gh) => withKey(gh, key.api_key)));
    assert.deepEqual(burst.map((r) => r.status).sort(), [200, 200, 429, 429]);
    assert.ok(burst.filter((r) => r.status === 429).every((r) => r.headers.get('ratelimit-limit') === '2' && r.headers.get('retry-after') === '1'));
    await freshSecond();
    const third = await withKey(b, key.api_key);
    assert.equal(third.status, 200, 'the two throttled calls left the third of the day');
    assert.equal(third.headers.get('ratelimit-limit'), '3');
    assert.equal(third.headers.get('ratelimit-remaining'), '0');
    const fourth = await withKey(a, key.api_key);
    assert.equal(fourth.status, 429);
    assert.equal(fourth.headers.get('ratelimit-limit'), '3', 'refused by the quota, not the rate');
  });

  test('token-only calls share the per client x API limit across instances', async () => {
    const rp = await relyingParty(a, shop);
    const { access_token: token } = await oidc.clientCredentialsGrant(rp, { resource: TOKENS_ONLY, scope: 'reports' });
    await freshSecond();
    const answers = await Promise.all([a, b, a, b, a, b].map((gh) => check(gh, `${TOKENS_ONLY}/daily`, { authorization: `Bearer ${token}` })));
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 200, 200, 429, 429, 429]);
    assert.ok(answers.filter((r) => r.status === 429).every((r) => r.headers.get('retry-after') === '1' && r.headers.get('ratelimit-limit') === '3'));
  });

  test('usage per UTC day: allowed, denied and throttled, per key and in client usage', async () => {
    const key = await newKey('--rate-limit', '2/s');
    await freshSecond();
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await withKey(a, key.api_key)).status);
    statuses.push((await withKey(b, key.api_key, `${BILLING}/x`)).status);
    assert.deepEqual(statuses, [200, 200, 429, 403]);
    const today = new Date().toISOString().slice(0, 10);
    type KeyUsage = { total: Outcomes; usage: (Outcomes & { day: string })[] };
    let usage = await a.cliJson<KeyUsage>(['apikey', 'usage', key.id]);
    // Counts are batched and written about once a second by each instance.
    await within(5000, async () => {
      usage = await a.cliJson<KeyUsage>(['apikey', 'usage', key.id]);
      return usage.total.allowed + usage.total.denied + usage.total.throttled === 4;
    });
    assert.deepEqual(usage.usage, [{ day: today, allowed: 2, denied: 1, throttled: 1 }]);
    assert.match((await a.cli(['apikey', 'usage', key.id])).stdout, new RegExp(`${today}\\s+2\\s+1\\s+1`));

    type ClientUsage = { api_calls: (Outcomes & { day: string; resource: string; api_key_id: string | null })[]; api_calls_total: Outcomes };
    const report = await a.cliJson<ClientUsage>(['client', 'usage', shop.client_id, '--days', '1']);
    const rows = report.api_calls.filter((r) => r.api_key_id === key.id);
    assert.deepEqual(rows.map(({ resource, allowed, denied, throttled }) => ({ resource, allowed, denied, throttled })).sort((x, y) => x.resource.localeCompare(y.resource)), [
      { resource: BILLING, allowed: 0, denied: 1, throttled: 0 },
      { resource: ORDERS, allowed: 2, denied: 0, throttled: 1 },
    ].sort((x, y) => x.resource.localeCompare(y.resource)));
    const tokenOnly = report.api_calls.find((r) => r.api_key_id === null && r.resource === TOKENS_ONLY);
    assert.ok(tokenOnly && tokenOnly.allowed >= 3 && tokenOnly.throttled >= 3, 'token-only calls are metered per client x API');
    assert.match((await a.cli(['client', 'usage', shop.client_id])).stdout, /\(token only\)/);
  });

  test('last use shows in apikey list to within a minute', async () => {
    const key = await newKey();
    const usedAt = Date.now();
    assert.equal((await withKey(b, key.api_key)).status, 200);
    let listed: KeyJson | undefined;
    await within(30_000, async () => {
      listed = (await a.cliJson<{ api_keys: KeyJson[] }>(['apikey', 'list', '--client', shop.client_id])).api_keys.find((k) => k.id === key.id);
      return listed?.last_used_at !== null;
    });
    const recorded = Date.parse(listed!.last_used_at!);
    assert.ok(Math.abs(recorded - usedAt) < 60_000, `last used ${listed!.last_used_at}`);
  });
});
