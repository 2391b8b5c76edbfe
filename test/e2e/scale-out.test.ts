// Two Gatehouse processes with the same ISSUER and DATABASE_URL behind one address behave as one
// server: the test's switch proxy (a stand-in load balancer) sends each step of a flow to the
// instance the test chooses, and openid-client, as the relying party, cannot tell them apart.
// Runs on SQLite (two processes on one file) and, in CI's second pass, on PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createSwitchProxy, type SwitchProxy } from '../support/switch-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { Browser, labels } from '../support/browser.js';
import { browserFor, createClient, createUser, PASSWORD, relyingParty, type CreatedClient } from '../support/relying-party.js';
import { oauthError } from '../support/oauth-error.js';

const REDIRECT = 'http://127.0.0.1:9300/callback';
const EMAIL = 'both@example.com';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The backend a Gatehouse process listens on (its ISSUER is the proxy's address). */
function backendOf(gh: Gatehouse): string {
  return `http://127.0.0.1:${gh.env.PORT}`;
}

describe('two instances on one database', () => {
  let dir: string;
  let database: TestDatabase;
  let proxy: SwitchProxy;
  let a: Gatehouse;
  let b: Gatehouse;
  let web: CreatedClient;
  let tv: CreatedClient;
  let api: CreatedClient;
  let rp: oidc.Configuration;
  let introspector: oidc.Configuration;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-scale-'));
    database = await createTestDatabase(dir);
    proxy = await createSwitchProxy();
    // The retry window off: a replay at B is detected at once (two instances with the window on: refresh-retry.test.ts).
    const shared = { ISSUER: proxy.url, DATABASE_URL: database.url, REFRESH_TOKEN_RETRY_GRACE: '0' };
    // Both start at once on the empty database: both migrate and look for keys at the same time.
    const started = await Promise.allSettled([startGatehouse(shared), startGatehouse(shared)]);
    for (const result of started) if (result.status === 'rejected') {
      await Promise.all(started.map((other) => (other.status === 'fulfilled' ? other.value.stop() : undefined)));
      throw result.reason;
    }
    [a, b] = started.map((result) => (result as PromiseFulfilledResult<Gatehouse>).value);
    proxy.use(backendOf(a));
    await createUser(a, EMAIL);
    web = await createClient(a, ['--name', 'Web', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]);
    tv = await createClient(b, ['--name', 'TV', '--public', '--grant', 'device_code']);
    api = await createClient(b, ['--name', 'API', '--grant', 'client_credentials']);
    rp = await relyingParty(a, web);
    introspector = await relyingParty(a, api);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await proxy?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('concurrent first starts created exactly one key set, served by both', async () => {
    const jwksAt = async (gh: Gatehouse) => (await (await fetch(`${backendOf(gh)}/jwks`)).json()) as { keys: { kid: string }[] };
    const [fromA, fromB] = await Promise.all([jwksAt(a), jwksAt(b)]);
    assert.equal(fromA.keys.length, 3, 'one key per algorithm');
    assert.deepEqual(fromB, fromA);
    const keys = await a.cliJson<{ keys: unknown[] }>(['keys', 'list']);
    assert.equal(keys.keys.length, 3, 'one key set in the database');
  });

  test('a flow begun on A finishes on B; the code issued by A is redeemed at B', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: REDIRECT,
      scope: 'openid email offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const browser = browserFor(REDIRECT);

    proxy.use(backendOf(a));
    const login = await browser.request(url.href);
    assert.ok(labels(login.html).includes('Password'), 'A shows the login page');

    proxy.use(backendOf(b));
    const consent = await browser.submit(login, 'Sign in', { email: EMAIL, password: PASSWORD });
    assert.match(consent.html, /Allow/, 'B knows the interaction A started and shows consent');

    proxy.use(backendOf(a));
    const landed = await browser.submit(consent, 'Allow');
    assert.equal(new URL(landed.url).origin, new URL(REDIRECT).origin, 'A finished the interaction B continued');

    proxy.use(backendOf(b));
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.claims()?.aud, web.client_id, "B redeemed A's code; openid-client verified B's ID token against the JWKS");

    proxy.use(backendOf(a));
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    assert.equal(userinfo.email, EMAIL, "A accepts B's access token");

    // The session made on B is the browser's session on A too: no second sign-in.
    const again = await browser.request(oidc.buildAuthorizationUrl(rp, {
      redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state,
    }).href);
    assert.ok(!labels(again.html).includes('Password'), 'A recognises the session cookie from B');

    const servedBy = new Set(proxy.served.map((line) => line.split(' ')[0]));
    assert.deepEqual(servedBy, new Set([backendOf(a), backendOf(b)]));
  });

  test('a refresh token rotated at A is detected as replayed at B, which revokes the grant everywhere', async () => {
    const browser = browserFor(REDIRECT);
    const verifier = oidc.randomPKCECodeVerifier();
    proxy.use(backendOf(a));
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: REDIRECT, scope: 'openid offline_access', prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    let page = await browser.request(url.href);
    if (labels(page.html).includes('Password')) page = await browser.submit(page, 'Sign in', { email: EMAIL, password: PASSWORD });
    const landed = await browser.submit(page, 'Allow');
    const first = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: verifier });
    assert.ok(first.refresh_token);

    const rotated = await oidc.refreshTokenGrant(rp, first.refresh_token);
    assert.notEqual(rotated.refresh_token, first.refresh_token);

    proxy.use(backendOf(b));
    await assert.rejects(oidc.refreshTokenGrant(rp, first.refresh_token), (error) => oauthError(error) === 'invalid_grant');
    proxy.use(backendOf(a));
    await assert.rejects(oidc.refreshTokenGrant(rp, rotated.refresh_token!), (error) => oauthError(error) === 'invalid_grant',
      'the newest refresh token died with the grant, on the other instance too');
    assert.equal((await oidc.tokenIntrospection(introspector, rotated.access_token)).active, false);
  });

  test('revocation at A is seen by introspection at B', async () => {
    proxy.use(backendOf(a));
    const service = await relyingParty(a, api);
    const { access_token } = await oidc.clientCredentialsGrant(service);
    proxy.use(backendOf(b));
    assert.equal((await oidc.tokenIntrospection(introspector, access_token)).active, true, "B knows A's token");
    proxy.use(backendOf(a));
    await oidc.tokenRevocation(service, access_token);
    proxy.use(backendOf(b));
    assert.equal((await oidc.tokenIntrospection(introspector, access_token)).active, false, 'B sees the revocation');
  });

  test('device flow across instances: code from A, approval on B, polling throttled across both', async () => {
    const device = await relyingParty(a, tv);
    proxy.use(backendOf(a));
    const auth = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    const poll = async () => {
      const response = await fetch(`${proxy.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: auth.device_code, client_id: tv.client_id }),
      });
      return (await response.json()) as { error?: string; access_token?: string };
    };
    assert.equal((await poll()).error, 'authorization_pending', 'A: pending');
    proxy.use(backendOf(b));
    assert.equal((await poll()).error, 'slow_down', 'B knows A was just polled (throttling state is shared)');

    const phone = new Browser();
    const entry = await phone.request(`${proxy.url}/device`);
    const confirm = await phone.submit(entry, 'Continue', { user_code: auth.user_code });
    proxy.use(backendOf(a));
    const login = await phone.submit(confirm, 'Continue');
    const consent = await phone.submit(login, 'Sign in', { email: EMAIL, password: PASSWORD });
    proxy.use(backendOf(b));
    const done = await phone.submit(consent, 'Allow');
    assert.match(done.html, /return to your device|go back to your device/i);

    proxy.use(backendOf(a));
    const tokens = await oidc.pollDeviceAuthorizationGrant(device, { ...auth, interval: 7 });
    assert.ok(tokens.access_token, 'A hands out the tokens B approved');
  });
});
