// Public clients that name themselves with `Authorization: Basic base64(client_id:)` (an empty
// password), as several OAuth libraries and device-flow command-line tools do on every request:
// the same as a body client_id with no authentication, at every endpoint a public client calls, and
// never taken as authentication for anyone else. Raw HTTP only, so nothing smooths the header over.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, createUser, signInAndDecide, type CreatedClient } from '../support/relying-party.js';
import { approveOnPhone } from '../support/device-approval.js';

const EMAIL = 'cli-user@example.com';
const REDIRECT = 'http://127.0.0.1:9140/app/callback';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const METRICS_TOKEN = 'metrics-token-basic-identification-0123456789';
const IP_PER_SECOND = 4;

interface Answer {
  status: number;
  challenge: string | null;
  body: Record<string, string | number | undefined>;
}

/** `Basic base64(id:password)`, each part form-encoded first as RFC 6749 section 2.3.1 says. */
function basic(clientId: string, password = ''): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(password)}`).toString('base64')}`;
}

async function post(gh: Gatehouse, path: string, authorization: string, params: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${gh.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams(params),
  });
  const text = await response.text();
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: text ? JSON.parse(text) as Answer['body'] : {} };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits for a fresh one-second rate-limit window, so a burst is not split across two. */
const freshSecond = () => sleep(1100);

async function invalidClientAnswers(gh: Gatehouse): Promise<number> {
  const text = await (await fetch(`${gh.issuer}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return text.split('\n')
    .filter((line) => line.startsWith('gatehouse_oauth_errors_total{') && line.includes('error="invalid_client"'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

function requestLines(gh: Gatehouse): { msg?: string; route?: string; status?: number; clientId?: string }[] {
  return gh.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg?: string });
}

describe('public clients identified by a password-less Basic header', () => {
  let gh: Gatehouse;
  let tv: CreatedClient;
  let app: CreatedClient;
  let service: CreatedClient;

  before(async () => {
    gh = await startGatehouse({ METRICS_TOKEN, RATE_LIMIT_IP_PER_SECOND: String(IP_PER_SECOND) });
    await createUser(gh, EMAIL);
    tv = await createClient(gh, ['--name', 'Terminal client', '--public', '--grant', 'device_code', '--grant', 'refresh_token']);
    app = await createClient(gh, ['--name', 'Desktop app', '--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]);
    service = await createClient(gh, ['--name', 'Batch job', '--grant', 'client_credentials']);
  });
  after(async () => gh?.stop());

  test('a device client runs the whole device flow with only Basic client_id:', async () => {
    const id = basic(tv.client_id);
    const started = await post(gh, '/device/auth', id, { scope: 'openid offline_access' });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const deviceCode = String(started.body.device_code);

    const pending = await post(gh, '/token', id, { grant_type: DEVICE_GRANT, device_code: deviceCode });
    assert.equal(pending.status, 400);
    assert.equal(pending.body.error, 'authorization_pending');

    await approveOnPhone(gh, String(started.body.user_code), EMAIL);
    await sleep(1100);
    const tokens = await post(gh, '/token', id, { grant_type: DEVICE_GRANT, device_code: deviceCode });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.ok(tokens.body.access_token && tokens.body.id_token && tokens.body.refresh_token);

    const refreshed = await post(gh, '/token', id, { grant_type: 'refresh_token', refresh_token: String(tokens.body.refresh_token) });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.notEqual(refreshed.body.refresh_token, tokens.body.refresh_token);

    const revoked = await post(gh, '/token/revocation', id, { token: String(refreshed.body.refresh_token), token_type_hint: 'refresh_token' });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    const afterRevocation = await post(gh, '/token', id, { grant_type: 'refresh_token', refresh_token: String(refreshed.body.refresh_token) });
    assert.equal(afterRevocation.status, 400);
    assert.equal(afterRevocation.body.error, 'invalid_grant');

    const logged = requestLines(gh).filter((line) => line.msg === 'request' && line.route === 'token' && line.status === 200);
    assert.ok(logged.some((line) => line.clientId === tv.client_id), 'the request log names the client as for a body client_id');
  });

  test('a code-flow client pushes its request, exchanges its code and refreshes with only Basic client_id:', async () => {
    const id = basic(app.client_id);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const pushed = await post(gh, '/request', id, {
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    assert.equal(pushed.status, 201, JSON.stringify(pushed.body));

    const authorize = new URL('/auth', gh.issuer);
    authorize.search = new URLSearchParams({ client_id: app.client_id, request_uri: String(pushed.body.request_uri) }).toString();
    const landed = new URL((await signInAndDecide(browserFor(REDIRECT), authorize, EMAIL)).url);
    assert.equal(landed.searchParams.get('state'), state);
    const code = landed.searchParams.get('code');
    assert.ok(code, `the browser came back with a code: ${landed.href}`);

    const tokens = await post(gh, '/token', id, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.ok(tokens.body.refresh_token);

    const refreshed = await post(gh, '/token', id, { grant_type: 'refresh_token', refresh_token: String(tokens.body.refresh_token) });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.ok(refreshed.body.access_token);
  });

  test('a confidential client with an empty password fails to authenticate, counted as every failure', async () => {
    const before = await invalidClientAnswers(gh);
    const id = basic(service.client_id);
    for (const [path, params] of [
      ['/token', { grant_type: 'client_credentials' }],
      ['/token/introspection', { token: 'any' }],
      ['/token/revocation', { token: 'any' }],
    ] as const) {
      const answer = await post(gh, path, id, params);
      assert.equal(answer.status, 401, `${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error, 'invalid_client');
      assert.match(String(answer.challenge), /^Basic realm="[^"]+", error="invalid_client"/, 'the 401 challenges the Basic scheme');
    }
    assert.equal(await invalidClientAnswers(gh), before + 3, 'the metrics count each as a failed client authentication');

    // Failures count against the address, not against the client they named.
    await gh.cliJson(['client', 'update', service.client_id, '--rate-limit', '2/s']);
    await freshSecond();
    const failures = [];
    for (let i = 0; i < IP_PER_SECOND + 1; i += 1) failures.push(await post(gh, '/token', id, { grant_type: 'client_credentials' }));
    assert.deepEqual(failures.map((a) => a.status), [...Array<number>(IP_PER_SECOND).fill(401), 429]);
    assert.match(String(failures[IP_PER_SECOND].body.error_description), /unauthenticated requests from this address/);
    await freshSecond();
    const real = await post(gh, '/token', basic(service.client_id, service.client_secret!), { grant_type: 'client_credentials' });
    assert.equal(real.status, 200, 'the client\'s own limit was not used up by the failures');
  });

  test('a public client sending a password fails to authenticate', async () => {
    await freshSecond();
    const answer = await post(gh, '/device/auth', basic(tv.client_id, 'not-a-secret'), { scope: 'openid' });
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'invalid_client');
  });

  test('a body client_id other than the header\'s stays an error', async () => {
    await freshSecond();
    for (const [path, params] of [
      ['/device/auth', { scope: 'openid', client_id: app.client_id }],
      ['/token', { grant_type: 'refresh_token', refresh_token: 'any', client_id: app.client_id }],
    ] as const) {
      const answer = await post(gh, path, basic(tv.client_id), params);
      assert.equal(answer.status, 400, `${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error, 'invalid_request');
      assert.match(String(answer.body.error_description), /client_id mismatch/);
    }
    const same = await post(gh, '/device/auth', basic(tv.client_id), { scope: 'openid', client_id: tv.client_id });
    assert.equal(same.status, 200, 'the same client_id in both places is fine');
  });

  test('the per-client rate limit counts a Basic-named public client as itself', async () => {
    await gh.cliJson(['client', 'update', tv.client_id, '--rate-limit', '2/s']);
    await freshSecond();
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(gh, '/device/auth', basic(tv.client_id), { scope: 'openid' })));
    const refused = answers.filter((a) => a.status === 429);
    assert.ok(refused.length >= 3, `at most 2 of 5 pass: ${answers.map((a) => a.status).join(',')}`);
    assert.ok(refused.every((a) => /client rate limit of 2 requests per second/.test(String(a.body.error_description))));
    const hits = await gh.cliJson<{ events: { detail: Record<string, unknown> }[] }>(['audit', 'list', '--type', 'rate_limit.exceeded', '--client', tv.client_id]);
    assert.ok(hits.events.some((event) => event.detail.limit === 'rate'), 'the audit trail names the client');
  });
});
