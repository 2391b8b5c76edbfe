// Browser sessions: signing in always yields a new session id (no fixation: a session cookie known
// before sign-in is worthless after it), and signing out destroys the session on the server, so a
// copy of the old cookie no longer signs anyone in.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { Browser } from '../support/browser.js';
import { browserFor, createClient, createUser, PASSWORD, relyingParty, signInAndDecide, startAuthorization, type CreatedClient } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9520/cb';

function sessionCookies(browser: Browser, origin: string): Map<string, string> {
  return new Map([...browser.cookies(origin)].filter(([name]) => name.startsWith('_session')));
}

describe('sessions', () => {
  let gh: Gatehouse;
  let client: CreatedClient;
  let rp: oidc.Configuration;
  before(async () => {
    gh = await startGatehouse();
    await createUser(gh, 'first@example.com');
    client = await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', REDIRECT]);
    rp = await relyingParty(gh, client);
  });
  after(async () => gh?.stop());

  /** Where a silent (prompt=none) authorization with these cookies lands: a code, or login_required. */
  async function silentResult(cookies: Map<string, string>): Promise<URL> {
    const browser = browserFor(REDIRECT);
    browser.setCookies(gh.issuer, cookies);
    const start = await startAuthorization(rp, REDIRECT, { prompt: 'none' });
    return new URL((await browser.request(start.url.href)).url);
  }

  test('signing in issues a new session id; the one known before sign-in stops working', async () => {
    const browser = browserFor(REDIRECT);
    await signInAndDecide(browser, (await startAuthorization(rp, REDIRECT)).url, 'first@example.com');
    const before = sessionCookies(browser, gh.issuer);
    assert.ok(before.get('_session'), 'a session cookie after the first sign-in');
    assert.ok((await silentResult(before)).searchParams.get('code'), 'that cookie is a live session');

    // Whoever knew this cookie (it was planted, or copied) must not ride on the next sign-in.
    const again = await browser.request((await startAuthorization(rp, REDIRECT, { prompt: 'login' })).url.href);
    const landed = await browser.submit(again, 'Sign in', { email: 'first@example.com', password: PASSWORD });
    assert.ok(new URL(landed.url).searchParams.get('code'), 'consent was already given: straight back with a code');
    const after = sessionCookies(browser, gh.issuer);
    assert.ok(after.get('_session'));
    assert.notEqual(after.get('_session'), before.get('_session'), 'a new session id at sign-in');
    assert.equal((await silentResult(before)).searchParams.get('error'), 'login_required', 'the old id is gone on the server');
    assert.ok((await silentResult(after)).searchParams.get('code'));
  });

  test('signing out destroys the session server-side: a saved copy of the cookie is worthless', async () => {
    const browser = browserFor(REDIRECT);
    const start = await startAuthorization(rp, REDIRECT);
    const landed = await signInAndDecide(browser, start.url, 'first@example.com');
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const saved = sessionCookies(browser, gh.issuer);
    assert.ok((await silentResult(saved)).searchParams.get('code'));

    const confirm = await browser.request(oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: REDIRECT }).href);
    await browser.submit(confirm, 'Sign out');
    assert.equal((await silentResult(saved)).searchParams.get('error'), 'login_required');
  });
});
