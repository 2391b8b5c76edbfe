// Authorization Code with PKCE, end to end: openid-client as the relying party, our pages driven
// by form posts, and the refusals OAuth 2.1 requires.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { oauthError } from '../support/oauth-error.js';
import { browserFor, createClient, createUser, relyingParty, signInAndDecide, startAuthorization, type CreatedClient } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';
const EMAIL = 'Alice@Example.com';

describe('authorization code flow', () => {
  let gh: Gatehouse;
  let web: CreatedClient;
  let rp: oidc.Configuration;
  let userId: string;

  before(async () => {
    gh = await startGatehouse();
    userId = (await createUser(gh, EMAIL, 'Alice Liddell')).id;
    web = await createClient(gh, ['--name', 'Web App', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]);
    rp = await relyingParty(gh, web);
  });
  after(async () => gh?.stop());

  test('discovery advertises exactly the OAuth 2.1 profile', () => {
    const meta = rp.serverMetadata();
    assert.equal(meta.issuer, gh.issuer);
    assert.deepEqual(meta.response_types_supported, ['code']);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    const grants = new Set(meta.grant_types_supported);
    for (const g of ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code']) assert.ok(grants.has(g), g);
    assert.ok(!grants.has('implicit') && !grants.has('password'));
    assert.deepEqual(new Set(meta.scopes_supported), new Set(['openid', 'profile', 'email', 'offline_access']));
    for (const claim of ['sub', 'email', 'email_verified', 'name']) assert.ok(meta.claims_supported?.includes(claim), claim);
    assert.ok(meta.introspection_endpoint && meta.revocation_endpoint && meta.device_authorization_endpoint && meta.userinfo_endpoint);
    assert.ok(meta.id_token_signing_alg_values_supported?.includes('RS256'));
    assert.ok(meta.id_token_signing_alg_values_supported?.includes('ES256'));
    assert.ok(!meta.token_endpoint_auth_methods_supported?.includes('client_secret_jwt'));
  });

  test('a user signs in, consents, and the client gets validated ID, access and refresh tokens', async () => {
    const start = await startAuthorization(rp, REDIRECT, { scope: 'openid profile email offline_access', prompt: 'consent' });
    const browser = browserFor(REDIRECT);
    const landed = await signInAndDecide(browser, start.url, EMAIL.toLowerCase());
    const callback = new URL(landed.url);
    assert.equal(callback.searchParams.get('iss'), gh.issuer);
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.sub, userId);
    assert.equal(claims.iss, gh.issuer);
    assert.equal(claims.aud, web.client_id);
    assert.ok(tokens.access_token);
    assert.ok(tokens.refresh_token, 'offline_access with the refresh_token grant yields a refresh token');
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');

    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, userId);
    assert.equal(userinfo.email, 'alice@example.com');
    assert.equal(userinfo.email_verified, false);
    assert.equal(userinfo.name, 'Alice Liddell');
  });

  test('without offline_access no refresh token is issued, and scopes limit userinfo claims', async () => {
    const start = await startAuthorization(rp, REDIRECT, { scope: 'openid email' });
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    assert.equal(tokens.refresh_token, undefined);
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, userId);
    assert.equal(userinfo.email, 'alice@example.com');
    assert.equal(userinfo.name, undefined);
  });

  test('a code can be redeemed once; a replay is refused and revokes what it issued', async () => {
    const start = await startAuthorization(rp, REDIRECT);
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    await assert.rejects(
      oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce }),
      (err: oidc.ResponseBodyError) => err.error === 'invalid_grant',
    );
    await assert.rejects(oidc.fetchUserInfo(rp, tokens.access_token, userId), 'the access token from the replayed code is revoked');
  });

  test('a code redeemed by several requests at once gives tokens to one, and the grant is revoked', async () => {
    const start = await startAuthorization(rp, REDIRECT);
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL);
    // Raw requests, built before any is sent, so they reach the server together.
    const body = new URLSearchParams({
      grant_type: 'authorization_code', code: new URL(landed.url).searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: start.verifier,
    }).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${web.client_id}:${web.client_secret}`).toString('base64')}` };
    const answers = await Promise.all(Array.from({ length: 12 }, async () => {
      const response = await fetch(`${gh.issuer}/token`, { method: 'POST', headers, body });
      return { status: response.status, body: (await response.json()) as { error?: string; access_token: string } };
    }));
    const won = answers.filter((a) => a.status === 200).map((a) => a.body);
    assert.equal(won.length, 1, 'exactly one request gets tokens');
    assert.ok(answers.every((a) => a.status === 200 || (a.status === 400 && a.body.error === 'invalid_grant')));
    await assert.rejects(oidc.fetchUserInfo(rp, won[0].access_token, userId), 'what the code issued is revoked');
  });

  test('the code verifier must match the S256 challenge', async () => {
    const start = await startAuthorization(rp, REDIRECT);
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL);
    await assert.rejects(
      oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: start.state, expectedNonce: start.nonce }),
      (err: oidc.ResponseBodyError) => err.error === 'invalid_grant',
    );
  });

  test('a request without PKCE is refused with invalid_request at the redirect URI', async () => {
    const url = new URL(rp.serverMetadata().authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: web.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's1' }).toString();
    const page = await browserFor(REDIRECT).request(url.href);
    const back = new URL(page.url);
    assert.equal(back.origin + back.pathname, REDIRECT);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.match(back.searchParams.get('error_description') ?? '', /PKCE/);
  });

  test('plain PKCE is refused', async () => {
    const url = new URL(rp.serverMetadata().authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: web.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's2',
      code_challenge: 'a'.repeat(43), code_challenge_method: 'plain',
    }).toString();
    const page = await browserFor(REDIRECT).request(url.href);
    const back = new URL(page.url);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
  });

  test('implicit and hybrid response types are refused', async () => {
    for (const responseType of ['token', 'id_token', 'code id_token']) {
      const url = new URL(rp.serverMetadata().authorization_endpoint!);
      url.search = new URLSearchParams({ client_id: web.client_id, redirect_uri: REDIRECT, response_type: responseType, scope: 'openid', nonce: 'n', state: 's' }).toString();
      const page = await browserFor(REDIRECT).request(url.href);
      const back = new URL(page.url);
      assert.equal(back.searchParams.get('error') ?? new URLSearchParams(back.hash.slice(1)).get('error'), 'unsupported_response_type', responseType);
    }
  });

  test('an unregistered redirect_uri shows an error page and never redirects', async () => {
    for (const redirect of ['http://127.0.0.1:8765/callback/extra', 'http://127.0.0.1:8765/Callback', 'https://evil.example/callback']) {
      const start = await startAuthorization(rp, redirect);
      const page = await browserFor(redirect).request(start.url.href);
      assert.notEqual(page.status, 0, `${redirect} must not be redirected to`);
      assert.equal(page.status, 400);
      assert.match(page.html, /redirect_uri/);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    }
  });

  test('an unknown client shows an error page and never redirects', async () => {
    const url = new URL(rp.serverMetadata().authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: 'no-such-client', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }).toString();
    const page = await browserFor(REDIRECT).request(url.href);
    assert.notEqual(page.status, 0);
    assert.equal(page.status, 400);
    assert.match(page.html, /invalid_client/);
  });

  test('a wrong password shows "Invalid email or password" without redirecting, for unknown emails too', async () => {
    for (const [email, password] of [[EMAIL, 'wrong password!'], ['nobody@example.com', 'whatever123']]) {
      const start = await startAuthorization(rp, REDIRECT);
      const browser = browserFor(REDIRECT);
      const login = await browser.request(start.url.href);
      const page = await browser.submit(login, 'Sign in', { email, password });
      assert.equal(page.status, 401);
      assert.equal(page.url, login.url.replace(/\/$/, '') + '/login');
      assert.match(page.html, /Invalid email or password/);
      assert.match(page.html, /Sign in/);
    }
  });

  test('Deny sends the client error=access_denied', async () => {
    const start = await startAuthorization(rp, REDIRECT);
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL, 'Deny');
    const back = new URL(landed.url);
    assert.equal(back.origin + back.pathname, REDIRECT);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), start.state);
  });

  test('a wrong client secret is refused with invalid_client', async () => {
    const wrong = await relyingParty(gh, { client_id: web.client_id, client_secret: 'not-the-secret' });
    const start = await startAuthorization(rp, REDIRECT);
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL);
    await assert.rejects(
      oidc.authorizationCodeGrant(wrong, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce }),
      (err: Error) => oauthError(err) === 'invalid_client',
    );
  });
});
