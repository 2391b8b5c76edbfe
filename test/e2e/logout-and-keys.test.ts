// RP-initiated logout ends the browser session on the server; operator-supplied keys (JWKS in the
// environment) replace generated ones; and the database takes concurrent writers without SQLITE_BUSY.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair } from 'jose';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, createUser, relyingParty, signInAndDecide, startAuthorization } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9600/cb';
const AFTER_LOGOUT = 'http://127.0.0.1:9600/signed-out';
const EMAIL = 'leaving@example.com';

describe('logout', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse();
  });
  after(async () => gh?.stop());

  test('the user confirms sign-out, the session ends server-side, and the client gets its post-logout redirect', async () => {
    await createUser(gh, EMAIL);
    const client = await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', AFTER_LOGOUT]);
    const rp = await relyingParty(gh, client);
    const browser = browserFor(REDIRECT);
    const start = await startAuthorization(rp, REDIRECT);
    const landed = await signInAndDecide(browser, start.url, EMAIL);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });

    const endSession = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: AFTER_LOGOUT, state: 'bye' });
    const confirm = await browser.request(endSession.href);
    assert.equal(confirm.status, 200);
    assert.doesNotMatch(confirm.html, /<script/i);
    const done = await browser.submit(confirm, 'Sign out');
    const back = new URL(done.url);
    assert.equal(`${back.origin}${back.pathname}`, AFTER_LOGOUT);
    assert.equal(back.searchParams.get('state'), 'bye');

    const silent = await startAuthorization(rp, REDIRECT, { prompt: 'none' });
    const answer = new URL((await browser.request(silent.url.href)).url);
    assert.equal(answer.searchParams.get('error'), 'login_required', 'the session is gone on the server');
  });

  test('an unregistered post_logout_redirect_uri is refused on a page, not followed', async () => {
    const client = await createClient(gh, ['--name', 'Web 2', '--grant', 'authorization_code', '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', AFTER_LOGOUT]);
    const url = new URL(`${gh.issuer}/session/end`);
    url.search = new URLSearchParams({ client_id: client.client_id, post_logout_redirect_uri: 'https://evil.example/' }).toString();
    const page = await browserFor('https://evil.example/').request(url.href);
    assert.equal(page.status, 400);
    assert.match(page.html, /post_logout_redirect_uri/);
  });
});

describe('keys from the environment', () => {
  let gh: Gatehouse;
  let kid: string;
  before(async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    kid = 'operator-key-1';
    const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const rsaJwk = { ...(await exportJWK(rsa.privateKey)), kid: 'operator-rsa-1', alg: 'RS256', use: 'sig' };
    gh = await startGatehouse({ JWKS: JSON.stringify({ keys: [jwk, rsaJwk] }) });
  });
  after(async () => gh?.stop());

  test('JWKS replaces generated keys and signs ID tokens', async () => {
    const jwks = (await (await fetch(`${gh.issuer}/jwks`)).json()) as { keys: { kid: string; d?: string }[] };
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), ['operator-key-1', 'operator-rsa-1']);
    assert.ok(jwks.keys.every((k) => k.d === undefined));
    const keys = await gh.cliJson<{ keys: unknown[] }>(['keys', 'list']).catch(() => ({ keys: [] }));
    assert.equal(keys.keys.length, 0, 'no key was generated into the database');
  });
});

describe('concurrent writers', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse();
  });
  after(async () => gh?.stop());

  test('parallel token requests and CLI writes all succeed', async () => {
    const svc = await createClient(gh, ['--name', 'svc', '--grant', 'client_credentials']);
    // This is about concurrent writes, not about the client's rate limit (50/s by default).
    await gh.cliJson(['client', 'update', svc.client_id, '--rate-limit', '10000/s']);
    const rp = await relyingParty(gh, svc);
    const requests = Array.from({ length: 200 }, () => oidc.clientCredentialsGrant(rp));
    const writes = Array.from({ length: 4 }, (_, i) => createUser(gh, `writer${i}@example.com`));
    const results = await Promise.allSettled([...requests, ...writes]);
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, failed.map((f) => String((f as PromiseRejectedResult).reason)).join('\n'));
    assert.doesNotMatch(gh.output(), /SQLITE_BUSY|database is locked/i);
  });
});
