// Per-client rate limits and daily quotas at the token, device and introspection endpoints:
// 429 + Retry-After + an OAuth error body for the client over its limit, nothing for the others;
// usage metering per grant type; a per-IP limit for unauthenticated floods; RATE_LIMIT_DISABLED.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createClient, relyingParty, type CreatedClient } from '../support/relying-party.js';

interface Answer { status: number; retryAfter: string | null; body: Record<string, unknown> }

async function post(gh: Gatehouse, path: string, client: CreatedClient, params: Record<string, string>): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(params);
  if (client.client_secret) {
    headers.authorization = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
  } else {
    body.set('client_id', client.client_id);
  }
  const response = await fetch(`${gh.issuer}${path}`, { method: 'POST', headers, body });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
}

const tokenRequest = (gh: Gatehouse, client: CreatedClient) => post(gh, '/token', client, { grant_type: 'client_credentials' });

/** Waits for the start of a fresh one-second window, so a burst is not split across two. */
async function freshSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1100));
}

describe('per-client rate limits and quotas', () => {
  let gh: Gatehouse;
  let limited: CreatedClient;
  let neighbour: CreatedClient;
  before(async () => {
    gh = await startGatehouse();
    limited = await createClient(gh, ['--name', 'Greedy job', '--grant', 'client_credentials']);
    neighbour = await createClient(gh, ['--name', 'Polite job', '--grant', 'client_credentials']);
  });
  after(async () => gh?.stop());

  test('client update sets a rate limit; over it: 429, Retry-After, slow_down; other clients unaffected', async () => {
    const updated = await gh.cliJson<{ rate_limit_per_second: number; daily_quota: number | null }>(['client', 'update', limited.client_id, '--rate-limit', '3/s']);
    assert.equal(updated.rate_limit_per_second, 3);
    assert.equal(updated.daily_quota, null);
    await freshSecond();
    const answers = await Promise.all(Array.from({ length: 8 }, () => tokenRequest(gh, limited)));
    const neighbours = await Promise.all(Array.from({ length: 4 }, () => tokenRequest(gh, neighbour)));
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    assert.ok(ok.length >= 1 && ok.length <= 3, `at most 3 of 8 pass, got ${ok.length}`);
    assert.equal(ok.length + refused.length, 8);
    for (const answer of refused) {
      assert.equal(answer.body.error, 'slow_down');
      assert.match(String(answer.body.error_description), /3 requests per second/);
      assert.ok(Number(answer.retryAfter) >= 1);
    }
    assert.deepEqual(neighbours.map((a) => a.status), [200, 200, 200, 200]);

    const hits = await gh.cliJson<{ events: { client_id: string; detail: Record<string, unknown> }[] }>(
      ['audit', 'list', '--type', 'rate_limit.exceeded', '--client', limited.client_id],
    );
    assert.ok(hits.events.length >= 1);
    assert.equal(hits.events[0].detail.limit, 'rate');
  });

  test('failed authentication does not use up the named client\'s limit', async () => {
    await freshSecond();
    const forged = { client_id: limited.client_id, client_secret: 'not-the-secret' };
    const attempts = await Promise.all(Array.from({ length: 3 }, () => tokenRequest(gh, forged)));
    assert.deepEqual(attempts.map((a) => a.status), [401, 401, 401]);
    assert.equal((await tokenRequest(gh, limited)).status, 200);
  });

  test('a daily quota refuses the request after it with invalid_request until midnight UTC', async () => {
    const quota = await createClient(gh, ['--name', 'Metered', '--grant', 'client_credentials']);
    await gh.cliJson(['client', 'update', quota.client_id, '--quota', '2/day']);
    assert.equal((await tokenRequest(gh, quota)).status, 200);
    assert.equal((await tokenRequest(gh, quota)).status, 200);
    const over = await tokenRequest(gh, quota);
    assert.equal(over.status, 429);
    assert.equal(over.body.error, 'invalid_request');
    assert.match(String(over.body.error_description), /daily quota of 2/);
    assert.ok(Number(over.retryAfter) >= 1 && Number(over.retryAfter) <= 86_400);
    await gh.cliJson(['client', 'update', quota.client_id, '--quota', 'none']);
    assert.equal((await tokenRequest(gh, quota)).status, 200, 'clearing the quota lifts it');
  });

  test('the device authorization and introspection endpoints are limited too', async () => {
    const tv = await createClient(gh, ['--name', 'TV', '--public', '--grant', 'device_code']);
    await gh.cliJson(['client', 'update', tv.client_id, '--rate-limit', '2/s']);
    const rs = await createClient(gh, ['--name', 'API', '--grant', 'client_credentials']);
    await gh.cliJson(['client', 'update', rs.client_id, '--rate-limit', '2/s']);
    await freshSecond();
    const devices = await Promise.all(Array.from({ length: 5 }, () => post(gh, '/device/auth', tv, { scope: 'openid' })));
    const checks = await Promise.all(Array.from({ length: 5 }, () => post(gh, '/token/introspection', rs, { token: 'some-token' })));
    for (const answers of [devices, checks]) {
      assert.ok(answers.some((a) => a.status === 200), 'some pass');
      assert.ok(answers.some((a) => a.status === 429 && a.body.error === 'slow_down'), 'some are refused');
    }
  });

  test('client usage counts tokens per day and grant type', async () => {
    const metered = await createClient(gh, ['--name', 'Counted', '--grant', 'client_credentials']);
    const rp = await relyingParty(gh, metered);
    for (let i = 0; i < 3; i += 1) await oidc.clientCredentialsGrant(rp);
    type Usage = { total: number; usage: { day: string; grant_type: string; tokens: number }[] };
    const report = () => gh.cliJson<Usage>(['client', 'usage', metered.client_id, '--days', '1']);
    // Counts are written within USAGE_FLUSH_MS of the request, not with it.
    let usage = await report();
    for (const deadline = Date.now() + 5000; usage.total < 3 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      usage = await report();
    }
    assert.equal(usage.total, 3);
    assert.deepEqual(usage.usage, [{ day: new Date().toISOString().slice(0, 10), grant_type: 'client_credentials', tokens: 3 }]);
    const human = await gh.cli(['client', 'usage', metered.client_id]);
    assert.match(human.stdout, /client_credentials\s+3/);
  });

  test('bad limits are refused on the command line', async () => {
    for (const args of [['--rate-limit', '0/s'], ['--rate-limit', 'fast'], ['--quota', '-1/day'], []]) {
      const result = await gh.cli(['client', 'update', limited.client_id, ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stderr.trim().split('\n').length, 1);
    }
    assert.equal((await gh.cli(['client', 'update', 'nosuchclient', '--rate-limit', '5/s'])).code, 1);
  });
});

describe('per-IP limit for unauthenticated requests', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse({ RATE_LIMIT_IP_PER_SECOND: '5' });
  });
  after(async () => gh?.stop());

  test('a flood of requests that authenticate no client is cut off per IP', async () => {
    await freshSecond();
    const nobody = { client_id: 'unknownclient', client_secret: 'x' };
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => tokenRequest(gh, nobody)));
    const windows = Math.ceil((Date.now() - started) / 1000) + 1;
    assert.ok(answers.some((a) => a.status === 401));
    const refused = answers.filter((a) => a.status === 429);
    // Five per one-second window, however many of the flood arrive at once.
    const passed = answers.length - refused.length;
    assert.ok(passed <= 5 * windows, `${passed} got through in ${windows} windows`);
    assert.equal(refused[0].body.error, 'slow_down');
  });

  test('clients that authenticate are not held to the per-IP limit', async () => {
    const job = await createClient(gh, ['--name', 'Busy job', '--grant', 'client_credentials']);
    await freshSecond();
    const answers = await Promise.all(Array.from({ length: 12 }, () => tokenRequest(gh, job)));
    assert.deepEqual(answers.map((a) => a.status), Array(12).fill(200));
  });
});

describe('RATE_LIMIT_DISABLED=1', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse({ RATE_LIMIT_DISABLED: '1' });
  });
  after(async () => gh?.stop());

  test('turns the per-client limits off', async () => {
    const client = await createClient(gh, ['--name', 'Bench', '--grant', 'client_credentials']);
    await gh.cliJson(['client', 'update', client.client_id, '--rate-limit', '1/s', '--quota', '1/day']);
    const answers = await Promise.all(Array.from({ length: 6 }, () => tokenRequest(gh, client)));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200]);
  });
});
