// What the sign-in pages promise browsers and integrators: the documented labels and buttons,
// CSRF protection, a strict Content-Security-Policy, no framing, no caching, and safe cookies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Browser, labels, parseForms } from '../support/browser.js';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, createUser, relyingParty, startAuthorization } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9400/cb';
const EMAIL = 'pages@example.com';

describe('pages', () => {
  let gh: Gatehouse;
  let loginUrl: string;
  let browser: Browser;

  before(async () => {
    gh = await startGatehouse();
    await createUser(gh, EMAIL);
    const client = await createClient(gh, ['--name', 'Page Test App', '--grant', 'authorization_code', '--redirect-uri', REDIRECT]);
    const start = await startAuthorization(await relyingParty(gh, client), REDIRECT);
    browser = browserFor(REDIRECT);
    loginUrl = (await browser.request(start.url.href)).url;
  });
  after(async () => gh?.stop());

  test('the login page has Email and Password fields and a Sign in button', async () => {
    const page = await browser.request(loginUrl);
    assert.equal(page.status, 200);
    assert.deepEqual(labels(page.html).filter((l) => ['Email', 'Password'].includes(l)), ['Email', 'Password']);
    const form = parseForms(page.html, page.url).find((f) => f.buttons.some((b) => b.text === 'Sign in'));
    assert.ok(form, 'a Sign in button');
    assert.ok(form.fields.has('csrf'), 'the form carries a CSRF token');
    for (const input of page.html.matchAll(/<input\b[^>]*>/gi)) {
      if (/type="hidden"/.test(input[0])) continue;
      const id = /\sid="([^"]+)"/.exec(input[0])?.[1];
      assert.ok(id && page.html.includes(`for="${id}"`), `input ${input[0]} has a label`);
    }
  });

  test('pages send a strict CSP, deny framing and caching', async () => {
    for (const url of [loginUrl, `${gh.issuer}/device`]) {
      const page = await browser.request(url);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/, url);
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.match(page.headers.get('cache-control') ?? '', /no-store/);
      assert.doesNotMatch(page.html, /<script(?![^>]*\ssrc=)/i, 'no inline script');
      assert.doesNotMatch(page.html, /\sstyle="/i, 'no inline style');
    }
  });

  test('cookies are HttpOnly and SameSite=Lax', async () => {
    const client = await createClient(gh, ['--name', 'Cookie App', '--grant', 'authorization_code', '--redirect-uri', REDIRECT]);
    const start = await startAuthorization(await relyingParty(gh, client), REDIRECT);
    const response = await fetch(start.url, { redirect: 'manual' });
    const cookies = response.headers.getSetCookie();
    assert.ok(cookies.length > 0);
    for (const cookie of cookies) {
      assert.match(cookie, /httponly/i, cookie);
      assert.match(cookie, /samesite=lax/i, cookie);
    }
  });

  test('a login post without the CSRF token is refused and nobody is signed in', async () => {
    const page = await browser.request(loginUrl);
    const form = parseForms(page.html, page.url).find((f) => f.buttons.some((b) => b.text === 'Sign in'))!;
    const body = new URLSearchParams({ email: EMAIL, password: 'correct horse battery staple', csrf: 'forged' });
    const forged = await browser.request(form.action, { method: 'POST', body });
    assert.equal(forged.status, 403);
    assert.notEqual(forged.status, 0, 'no redirect to the client');
  });

  test('garbage never produces a 500', async () => {
    const probes: [string, RequestInit][] = [
      [`${gh.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }],
      [`${gh.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '%%%' }],
      [`${gh.issuer}/interaction/nope`, {}],
      [`${gh.issuer}/interaction/nope/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=a' }],
      [`${gh.issuer}/device`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user_code=x' }],
      [`${gh.issuer}/auth?client_id=${'x'.repeat(5000)}`, {}],
    ];
    for (const [url, init] of probes) {
      const response = await fetch(url, { ...init, redirect: 'manual' });
      assert.ok(response.status >= 400 && response.status < 500, `${init.method ?? 'GET'} ${url.slice(0, 60)} answered ${response.status}`);
      const text = await response.text();
      assert.doesNotMatch(text, /at .*\.js:\d+/, 'no stack trace');
    }
  });
});
