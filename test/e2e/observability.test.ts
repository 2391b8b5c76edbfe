// Logs and metrics through real flows: one JSON log line per request with its id, route, status,
// duration and client; Prometheus counters at /metrics behind a bearer token; and not one secret
// this test used (passwords, client secrets, tokens, codes, cookies, the metrics token) in the log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { Browser } from '../support/browser.js';
import { createClient, createUser, PASSWORD, relyingParty, signInAndDecide, startAuthorization, browserFor, type CreatedClient } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9300/cb';
const EMAIL = 'olga@example.com';
const WRONG_PASSWORD = 'not the password at all 42';
const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  method?: string;
  route?: string;
  status?: number;
  durationMs?: number;
  clientId?: string;
}

function logLines(gh: Gatehouse): LogLine[] {
  // oidc-provider itself prints a plain-text runtime warning on stderr at import; our lines are JSON.
  return gh.output().split('\n').filter((line) => line.startsWith('{')).map((line) => {
    try {
      return JSON.parse(line) as LogLine;
    } catch {
      assert.fail(`a log line is not JSON: ${line}`);
    }
  });
}

async function scrape(gh: Gatehouse, token?: string): Promise<Response> {
  return fetch(`${gh.issuer}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** The value of one sample, e.g. sample(text, 'gatehouse_sign_ins_total', { result: 'success' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const matching = text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)));
  return matching.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('observability', () => {
  let gh: Gatehouse;
  let web: CreatedClient;
  let service: CreatedClient;
  let tv: CreatedClient;
  const secrets = new Map<string, string>();

  before(async () => {
    // With the retry window off, the replayed refresh token here is counted as reuse at once.
    gh = await startGatehouse({ METRICS_TOKEN, REFRESH_TOKEN_RETRY_GRACE: '0' });
    await createUser(gh, EMAIL);
    web = await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]);
    await gh.cliJson(['resource', 'create', '--identifier', 'https://reports.example.com', '--scope', 'reports:read', '--format', 'opaque']);
    service = await createClient(gh, ['--name', 'Job', '--grant', 'client_credentials', '--scope', 'reports:read']);
    tv = await createClient(gh, ['--name', 'TV', '--public', '--grant', 'device_code']);
    secrets.set('password', PASSWORD).set('wrong password', WRONG_PASSWORD).set('metrics token', METRICS_TOKEN);
    secrets.set('web client secret', web.client_secret!).set('service client secret', service.client_secret!);

    // A wrong password, then the right one, consent, code, tokens, a refresh and a replayed refresh token.
    const rp = await relyingParty(gh, web);
    const start = await startAuthorization(rp, REDIRECT, { scope: 'openid offline_access', prompt: 'consent' });
    const browser = browserFor(REDIRECT);
    const login = await browser.request(start.url.href);
    const refused = await browser.submit(login, 'Sign in', { email: EMAIL, password: WRONG_PASSWORD });
    assert.equal(refused.status, 401);
    const landed = await signInAndDecide(browser, start.url, EMAIL);
    const callback = new URL(landed.url);
    secrets.set('authorization code', callback.searchParams.get('code')!);
    for (const [name, value] of browser.cookies(gh.issuer)) secrets.set(`cookie ${name}`, value);
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    secrets.set('pkce verifier', start.verifier).set('access token', tokens.access_token).set('id token', tokens.id_token!).set('refresh token', tokens.refresh_token!);
    const rotated = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    secrets.set('rotated access token', rotated.access_token).set('rotated refresh token', rotated.refresh_token!);
    await assert.rejects(oidc.refreshTokenGrant(rp, tokens.refresh_token!), (err: oidc.ResponseBodyError) => err.error === 'invalid_grant');

    // Client credentials and introspection.
    const job = await relyingParty(gh, service);
    const cc = await oidc.clientCredentialsGrant(job, { scope: 'reports:read' });
    secrets.set('client credentials token', cc.access_token);
    assert.equal((await oidc.tokenIntrospection(job, cc.access_token)).active, true);

    // A device that polls too fast is told to slow down.
    const device = await oidc.initiateDeviceAuthorization(await relyingParty(gh, tv), { scope: 'openid' });
    secrets.set('device code', device.device_code).set('user code', device.user_code);
    for (let i = 0; i < 2; i += 1) {
      await fetch(`${gh.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: device.device_code, client_id: tv.client_id }),
      });
    }
    await new Browser().request(`${gh.issuer}/device?user_code=${encodeURIComponent(device.user_code)}`);
  });
  after(async () => {
    if (process.env.KEEP_LOG) console.log(gh?.output());
    await gh?.stop();
  });

  test('each request is one JSON log line with request id, method, route, status, duration and client id', async () => {
    const response = await fetch(`${gh.issuer}/.well-known/openid-configuration`);
    const requestId = response.headers.get('x-request-id');
    assert.ok(requestId, 'the response names its request id');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const lines = logLines(gh);
    const discovery = lines.filter((line) => line.requestId === requestId);
    assert.equal(discovery.length, 1);
    assert.deepEqual({ method: discovery[0].method, route: discovery[0].route, status: discovery[0].status },
      { method: 'GET', route: 'discovery', status: 200 });
    assert.equal(typeof discovery[0].durationMs, 'number');

    const ccLine = lines.find((line) => line.msg === 'request' && line.route === 'token' && line.clientId === service.client_id && line.status === 200);
    assert.ok(ccLine, 'the token request of the service is logged with its client id');
    assert.ok(lines.some((line) => line.route === '/interaction/:uid/login' && line.status === 401), 'the refused sign-in is logged by route pattern');
    assert.ok(lines.some((line) => line.msg.includes('refresh token reuse')), 'refresh-token reuse is logged');
  });

  test('/metrics needs the bearer token', async () => {
    assert.equal((await scrape(gh)).status, 401);
    assert.equal((await scrape(gh, 'x'.repeat(40))).status, 401);
    const ok = await scrape(gh, METRICS_TOKEN);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /^text\/plain/);
  });

  test('metrics count tokens, OAuth errors, sign-ins, reuse, rate limits, latency, queries and the process', async () => {
    const text = await (await scrape(gh, METRICS_TOKEN)).text();
    assert.equal(sample(text, 'gatehouse_tokens_issued_total', { grant_type: 'client_credentials', client_id: service.client_id }), 1);
    assert.equal(sample(text, 'gatehouse_tokens_issued_total', { grant_type: 'authorization_code', client_id: web.client_id }), 1);
    assert.equal(sample(text, 'gatehouse_tokens_issued_total', { grant_type: 'refresh_token', client_id: web.client_id }), 1);
    assert.equal(sample(text, 'gatehouse_sign_ins_total', { result: 'invalid_credentials' }), 1);
    assert.equal(sample(text, 'gatehouse_sign_ins_total', { result: 'success' }), 1);
    assert.equal(sample(text, 'gatehouse_refresh_token_reuse_total'), 1);
    assert.ok(sample(text, 'gatehouse_oauth_errors_total', { endpoint: 'token', error: 'invalid_grant' }) >= 1);
    assert.ok(sample(text, 'gatehouse_oauth_errors_total', { endpoint: 'token', error: 'authorization_pending' }) >= 1);
    assert.equal(sample(text, 'gatehouse_rate_limit_hits_total', { limiter: 'device_poll' }), 1);
    assert.ok(sample(text, 'gatehouse_http_request_duration_seconds_count', { route: 'token', status: '200' }) >= 3);
    assert.ok(sample(text, 'gatehouse_db_query_duration_seconds_count', { model: 'Client' }) >= 1, 'model queries are timed');
    assert.ok(sample(text, 'gatehouse_db_query_duration_seconds_count', { model: 'OidcPayload' }) >= 5, 'token storage queries are timed');
    assert.ok(sample(text, 'process_resident_memory_bytes') > 0);
    assert.ok(sample(text, 'nodejs_eventloop_lag_seconds') >= 0);
  });

  test('no secret used in these flows appears anywhere in the server log', async () => {
    const log = gh.output();
    assert.ok(secrets.size >= 15, `collected ${secrets.size} secrets`);
    for (const [name, value] of secrets) {
      assert.ok(value.length >= 8, `${name} is long enough to search for`);
      assert.ok(!log.includes(value), `the ${name} appears in the server log`);
    }
  });
});
