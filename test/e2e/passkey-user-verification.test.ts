// User verification (UV) on passkeys, over plain HTTP with a software authenticator, since
// Chromium's virtual authenticator will not give an assertion without UV for a discoverable
// credential. A passkey alone signs in only when the authenticator verified the user: without UV
// passwordless sign-in is refused with a message saying what to do, not a 500. After the password,
// the same touch-only passkey is the second factor (something known, then something held), and the
// ID token says so without claiming the user was verified ("user" in amr).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import { Browser, parseForms, type Page } from '../support/browser.js';
import { freePort, startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import {
  browserFor, createClient, createUser, PASSWORD, relyingParty, startAuthorization, type AuthorizationStart, type CreatedClient,
} from '../support/relying-party.js';
import { SoftwareAuthenticator, type CreationOptions, type RequestOptions } from '../support/software-authenticator.js';

const EMAIL = 'touch-only@example.com';

interface PasskeyForm {
  action: string;
  optionsUrl: string;
  fields: Map<string, string>;
}

/** The hidden passkey form the page's script would show, with its options URL. */
function passkeyForm(page: Page, mode: 'get' | 'create'): PasskeyForm {
  const tag = new RegExp(`<form\\b[^>]*data-passkey="${mode}"[^>]*>`).exec(page.html)?.[0];
  assert.ok(tag, `a passkey form (${mode}) on ${page.url}:\n${page.html}`);
  const optionsUrl = /data-options-url="([^"]+)"/.exec(tag)?.[1];
  const action = /action="([^"]+)"/.exec(tag)?.[1];
  assert.ok(optionsUrl && action);
  const form = parseForms(page.html, page.url).find((f) => f.action === new URL(action, page.url).href);
  assert.ok(form);
  return { action: form.action, optionsUrl: new URL(optionsUrl, page.url).href, fields: form.fields };
}

/** What passkey.js does: fetch the options with the form's fields, then post the answer in "credential". */
async function usePasskey<O>(browser: Browser, page: Page, mode: 'get' | 'create', answer: (options: O) => object, extra: Record<string, string> = {}): Promise<Page> {
  const form = passkeyForm(page, mode);
  const body = new URLSearchParams([...form.fields].filter(([name]) => name !== 'credential'));
  const optionsPage = await browser.request(form.optionsUrl, { method: 'POST', body });
  assert.equal(optionsPage.status, 200, optionsPage.html);
  const posted = new URLSearchParams(body);
  posted.set('credential', JSON.stringify(answer(JSON.parse(optionsPage.html) as O)));
  for (const [name, value] of Object.entries(extra)) posted.set(name, value);
  return browser.request(form.action, { method: 'POST', body: posted });
}

describe('passkeys and user verification', () => {
  let gh: Gatehouse;
  let callback: Server;
  let redirectUri: string;
  let plainClient: CreatedClient;
  let mfaClient: CreatedClient;
  let authenticator: SoftwareAuthenticator;

  before(async () => {
    // WebAuthn refuses IP addresses as relying party ids: the issuer must be a host name.
    const port = await freePort();
    gh = await startGatehouse({ PORT: String(port), ISSUER: `http://localhost:${port}` });
    authenticator = new SoftwareAuthenticator(gh.issuer);
    const callbackPort = await freePort();
    redirectUri = `http://127.0.0.1:${callbackPort}/callback`;
    callback = createServer((_req, res) => res.end('signed in')).listen(callbackPort, '127.0.0.1');
    plainClient = await createClient(gh, ['--name', 'Plain App', '--grant', 'authorization_code', '--redirect-uri', redirectUri]);
    mfaClient = await createClient(gh, ['--name', 'Payroll', '--grant', 'authorization_code', '--redirect-uri', redirectUri, '--require-mfa']);
    await createUser(gh, EMAIL);
  });
  after(async () => {
    callback?.close();
    await gh?.stop();
  });

  async function idTokenClaims(client: CreatedClient, start: AuthorizationStart, back: Page) {
    assert.equal(back.status, 0, `sent back to the client, not:\n${back.html}`);
    const rp = await relyingParty(gh, client);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(back.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const claims = tokens.claims();
    assert.ok(claims);
    return claims;
  }

  /** The consent page's Allow, unless this account already allowed the client and was sent straight back. */
  async function allow(browser: Browser, page: Page): Promise<Page> {
    return page.status === 0 ? page : browser.submit(page, 'Allow');
  }

  async function passwordPage(client: CreatedClient): Promise<{ browser: Browser; start: AuthorizationStart; page: Page }> {
    const browser = browserFor(redirectUri);
    const start = await startAuthorization(await relyingParty(gh, client), redirectUri);
    const page = await browser.request(start.url.href);
    assert.equal(page.status, 200);
    return { browser, start, page };
  }

  test('a passkey that only checks presence is registered as the second factor a client requires', async () => {
    const { browser, start, page } = await passwordPage(mfaClient);
    const enrol = await browser.submit(page, 'Sign in', { email: EMAIL, password: PASSWORD });
    const codes = await usePasskey<CreationOptions>(browser, enrol, 'create', (options) => authenticator.register(options, false), { name: 'Key without PIN' });
    assert.match(codes.html, /Recovery codes/, codes.html);
    const consent = await browser.submit(codes, 'Continue');
    const claims = await idTokenClaims(mfaClient, start, await allow(browser, consent));
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
    assert.equal(claims.acr, 'urn:gatehouse:mfa');
  });

  test('passwordless sign-in with that passkey and no user verification is refused, saying to use the password first', async () => {
    const { browser, page } = await passwordPage(plainClient);
    const refused = await usePasskey<RequestOptions>(browser, page, 'get', (options) => authenticator.assert(options, false));
    assert.ok(refused.status >= 400 && refused.status < 500, `a 4xx, not ${refused.status}`);
    assert.match(refused.html, /did not check that it is you/);
    assert.match(refused.html, /Sign in with your password, then use your passkey/);
    assert.ok(parseForms(refused.html, refused.url).some((f) => f.buttons.some((b) => b.text === 'Sign in')), 'the password form is shown again');
    assert.equal(browser.cookies(new URL(gh.issuer).origin).has('_session'), false, 'no session was made');
  });

  test('the same passkey with user verification signs in alone, as multi-factor', async () => {
    const { browser, start, page } = await passwordPage(plainClient);
    const consent = await usePasskey<RequestOptions>(browser, page, 'get', (options) => authenticator.assert(options, true));
    const claims = await idTokenClaims(plainClient, start, await allow(browser, consent));
    assert.deepEqual(claims.amr, ['hwk', 'user', 'mfa']);
    assert.equal(claims.acr, 'urn:gatehouse:mfa');
  });

  test('after the password, the passkey without user verification is the second factor, and amr does not say "user"', async () => {
    const { browser, start, page } = await passwordPage(plainClient);
    const second = await browser.submit(page, 'Sign in', { email: EMAIL, password: PASSWORD });
    assert.match(second.html, /Verify it is you/);
    const consent = await usePasskey<RequestOptions>(browser, second, 'get', (options) => authenticator.assert(options, false));
    const claims = await idTokenClaims(plainClient, start, await allow(browser, consent));
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
    assert.equal(claims.acr, 'urn:gatehouse:mfa');
  });
});
