// The account pages over plain HTTP: with no SMTP_URL a reset link goes to the server log and can
// be followed from there; forms without this browser's CSRF token are refused; bad links, forged
// callbacks and other people's grants get clear 4xx pages, never a 500; sign-up is closed by default;
// the account page's own client is nowhere in the clients table.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { Browser, labels } from '../support/browser.js';
import { browserFor, createClient, createUser, PASSWORD, relyingParty, signInAndDecide, startAuthorization } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9521/cb';
const METRICS_TOKEN = 'metrics-token-for-the-account-pages-test';

describe('account pages', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse({ METRICS_TOKEN });
    await createUser(gh, 'logged@example.com');
  });
  after(async () => gh?.stop());

  async function signedInBrowser(email: string, password = PASSWORD): Promise<Browser> {
    const browser = new Browser();
    const login = await browser.request(`${gh.issuer}/account`);
    assert.ok(labels(login.html).includes('Password'), 'the account page starts with a sign-in');
    assert.match(login.html, /href="\/forgot-password"[^>]*>Forgot password\?/);
    assert.doesNotMatch(login.html, /Create an account/, 'no sign-up link while SIGNUP=closed');
    const page = await browser.submit(login, 'Sign in', { email, password });
    assert.equal(new URL(page.url).pathname, '/account');
    assert.match(page.html, /Your account/);
    return browser;
  }

  test('with no SMTP_URL the reset mail is written to the server log, and its link works', async () => {
    const browser = new Browser();
    const form = await browser.request(`${gh.issuer}/forgot-password`);
    const sent = await browser.submit(form, 'Send reset link', { email: 'logged@example.com' });
    assert.equal(sent.status, 200);
    let logged: RegExpExecArray | null = null;
    for (let i = 0; i < 50 && !logged; i += 1) {
      logged = /(http:\/\/127\.0\.0\.1:\d+\/reset-password\?token=[A-Za-z0-9_-]+)/.exec(gh.output());
      if (!logged) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(logged, `the link is in the log:\n${gh.output()}`);
    assert.match(gh.output(), /SMTP_URL is not set/);
    const reset = await browser.request(logged[1]);
    assert.ok(labels(reset.html).includes('New password'));
    const done = await browser.submit(reset, 'Set new password', { new_password: 'the next good password' });
    assert.equal(done.status, 200);
    assert.match(done.html, /Password changed/);
    await signedInBrowser('logged@example.com', 'the next good password');
    const metrics = await (await fetch(`${gh.issuer}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    assert.match(metrics, /gatehouse_account_changes_total\{change="password_reset_requested"\} 1/);
    assert.match(metrics, /gatehouse_account_changes_total\{change="password_reset"\} 1/);
  });

  test('"Sign out" on the account page ends the session', async () => {
    const browser = await signedInBrowser('logged@example.com', 'the next good password');
    const account = await browser.request(`${gh.issuer}/account`);
    const signOut = /href="([^"]*session\/end[^"]*)"/.exec(account.html)?.[1];
    assert.ok(signOut);
    const confirm = await browser.request(new URL(signOut.replace(/&amp;/g, '&'), gh.issuer).href);
    const done = await browser.submit(confirm, 'Sign out');
    assert.match(done.html, /signed out/i);
    const again = await browser.request(`${gh.issuer}/account`);
    assert.ok(labels(again.html).includes('Password'), 'signed out: the account page asks to sign in');
  });

  test('forms without this browser\'s CSRF token are refused with 403', async () => {
    const attacker = new Browser();
    const theirs = await attacker.request(`${gh.issuer}/forgot-password`);
    const victim = new Browser();
    await victim.request(`${gh.issuer}/forgot-password`);
    const token = /name="csrf" value="([^"]+)"/.exec(theirs.html)?.[1] ?? '';
    for (const body of [new URLSearchParams({ email: 'logged@example.com' }), new URLSearchParams({ email: 'logged@example.com', csrf: token })]) {
      const page = await victim.request(`${gh.issuer}/forgot-password`, { method: 'POST', body });
      assert.equal(page.status, 403);
      assert.match(page.html, /could not be verified/);
    }
  });

  test('bad links, forged callbacks and posts without a session get 4xx pages', async () => {
    const browser = new Browser();
    for (const path of ['/reset-password?token=nonsense', '/reset-password', '/verify-email?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const page = await browser.request(`${gh.issuer}${path}`);
      assert.equal(page.status, 400, path);
      assert.match(page.html, /expired or was already used/);
    }
    const callback = await browser.request(`${gh.issuer}/account/callback?code=x&state=forged`);
    assert.equal(callback.status, 400);
    assert.match(callback.html, /could not be matched to your browser/);

    const signup = await browser.request(`${gh.issuer}/signup`);
    assert.equal(signup.status, 404);

    const form = await browser.request(`${gh.issuer}/forgot-password`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.html)?.[1] ?? '';
    const revoke = await browser.request(`${gh.issuer}/account/apps/revoke`, { method: 'POST', body: new URLSearchParams({ csrf, grant: 'x' }) });
    assert.equal(revoke.status, 401);
    assert.match(revoke.html, /no longer signed in/);
    const wrongType = await fetch(`${gh.issuer}/forgot-password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(wrongType.status, 415);
  });

  test("another account's grant cannot be revoked", async () => {
    await createUser(gh, 'owner@example.com');
    await createUser(gh, 'other@example.com');
    const client = await createClient(gh, ['--name', 'Owner App', '--grant', 'authorization_code', '--redirect-uri', REDIRECT]);
    const owner = browserFor(REDIRECT);
    await signInAndDecide(owner, (await startAuthorization(await relyingParty(gh, client), REDIRECT)).url, 'owner@example.com');
    const ownerPage = await owner.request(`${gh.issuer}/account`);
    const grant = /name="grant" value="([^"]+)"/.exec(ownerPage.html)?.[1];
    assert.ok(grant, 'the owner sees the app with its Revoke form');

    const other = await signedInBrowser('other@example.com');
    const page = await other.request(`${gh.issuer}/account`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
    const refused = await other.request(`${gh.issuer}/account/apps/revoke`, { method: 'POST', body: new URLSearchParams({ csrf, grant }) });
    assert.equal(refused.status, 400);
    assert.match(refused.html, /not connected to your account/);
    assert.match((await owner.request(`${gh.issuer}/account`)).html, /Owner App/, 'still connected');
  });

  test('the account client is built in: not in the clients table, not deletable', async () => {
    const { clients } = await gh.cliJson<{ clients: { client_id: string }[] }>(['client', 'list']);
    assert.ok(!clients.some((c) => c.client_id === 'gatehouse-account'));
    const deleted = await gh.cli(['client', 'delete', 'gatehouse-account']);
    assert.notEqual(deleted.code, 0);
  });
});
