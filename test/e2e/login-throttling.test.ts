// Brute-force protection on the sign-in page: per-account lockout with backoff, the same answer for
// unknown emails, a reset on success, `gatehouse user unlock`, a per-IP limit across accounts, and
// each step in the audit trail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from '../support/browser.js';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, createUser, PASSWORD, relyingParty, startAuthorization, type CreatedClient } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9510/cb';
const THROTTLED = /Too many sign-in attempts\. Wait \d+ (seconds?|minutes) and try again\./;

interface AuditJson { events: { type: string; account_id: string | null; ip: string | null; detail: Record<string, unknown> | null }[] }

describe('login throttling', () => {
  let gh: Gatehouse;
  let web: CreatedClient;
  before(async () => {
    gh = await startGatehouse({ LOGIN_IP_MAX_FAILURES: '19' });
    web = await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--redirect-uri', REDIRECT]);
  });
  after(async () => gh?.stop());

  async function loginPage(): Promise<{ browser: ReturnType<typeof browserFor>; page: Page }> {
    const browser = browserFor(REDIRECT);
    const start = await startAuthorization(await relyingParty(gh, web), REDIRECT);
    return { browser, page: await browser.request(start.url.href) };
  }

  async function attempt(email: string, password: string): Promise<Page> {
    const { browser, page } = await loginPage();
    return browser.submit(page, 'Sign in', { email, password });
  }

  test('five failures lock the account: even the right password gets 429 until unlocked', async () => {
    const alice = await createUser(gh, 'alice@example.com');
    for (let i = 1; i <= 5; i += 1) {
      const page = await attempt('alice@example.com', `wrong-${i}`);
      assert.equal(page.status, 401, `failure ${i} is an ordinary wrong password`);
    }
    const locked = await attempt('alice@example.com', PASSWORD);
    assert.equal(locked.status, 429);
    assert.match(locked.html, THROTTLED);
    assert.ok(Number(locked.headers.get('retry-after')) >= 1, 'Retry-After says when to come back');
    assert.doesNotMatch(locked.html, /Invalid email or password/);

    const lockouts = await gh.cliJson<AuditJson>(['audit', 'list', '--type', 'login.lockout']);
    assert.equal(lockouts.events.length, 1);
    assert.equal(lockouts.events[0].account_id, alice.id);
    assert.equal(lockouts.events[0].detail?.locked_seconds, 30);
    const failures = await gh.cliJson<AuditJson>(['audit', 'list', '--type', 'login.failure']);
    assert.deepEqual(
      failures.events.map((e) => e.detail?.reason).sort(),
      ['throttled', 'wrong_password', 'wrong_password', 'wrong_password', 'wrong_password', 'wrong_password'],
    );
    assert.ok(failures.events.every((e) => e.ip === '127.0.0.1'));

    const unlock = await gh.cliJson<{ unlocked: boolean; had_failures: boolean }>(['user', 'unlock', 'ALICE@example.com']);
    assert.equal(unlock.had_failures, true);
    const signedIn = await attempt('alice@example.com', PASSWORD);
    assert.equal(signedIn.status, 200, 'after unlock the right password works');
    assert.match(signedIn.html, /Allow/);
    const successes = await gh.cliJson<AuditJson>(['audit', 'list', '--type', 'login.success']);
    assert.equal(successes.events[0].account_id, alice.id);
  });

  test('an unknown email is locked the same way, so a lockout reveals nothing', async () => {
    for (let i = 1; i <= 5; i += 1) assert.equal((await attempt('nobody@example.com', 'guess')).status, 401);
    const locked = await attempt('nobody@example.com', 'guess');
    assert.equal(locked.status, 429);
    assert.match(locked.html, THROTTLED);
    await gh.cliJson(['user', 'unlock', 'nobody@example.com']);
  });

  test('a successful sign-in resets the account counter', async () => {
    await createUser(gh, 'bob@example.com');
    for (let i = 0; i < 4; i += 1) assert.equal((await attempt('bob@example.com', 'nope')).status, 401);
    assert.equal((await attempt('bob@example.com', PASSWORD)).status, 200);
    for (let i = 0; i < 4; i += 1) assert.equal((await attempt('bob@example.com', 'nope')).status, 401);
    assert.equal((await attempt('bob@example.com', PASSWORD)).status, 200, 'eight failures, but never five in a row');
  });

  test('one IP trying many accounts is stopped by the per-IP limit', async () => {
    // 19 per IP: alice 5, nobody 5 and bob 8 make 18 failures so far, each account under its own limit.
    assert.equal((await attempt('fresh-1@example.com', 'whatever')).status, 401);
    const page = await attempt('fresh-2@example.com', 'whatever');
    assert.equal(page.status, 429);
    assert.match(page.html, THROTTLED);
  });

  test('gatehouse user unlock reports when there was nothing to clear', async () => {
    const result = await gh.cliJson<{ had_failures: boolean }>(['user', 'unlock', 'carol@example.com']);
    assert.equal(result.had_failures, false);
  });
});

describe('login throttling against concurrent guesses', () => {
  let gh: Gatehouse;
  let web: CreatedClient;
  before(async () => {
    gh = await startGatehouse({ LOGIN_IP_MAX_FAILURES: '5' });
    web = await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--redirect-uri', REDIRECT]);
  });
  after(async () => gh?.stop());

  /** Opens `count` sign-in pages first, then submits them all at once. */
  async function burst(count: number, email: (i: number) => string): Promise<Page[]> {
    const rp = await relyingParty(gh, web);
    const opened = await Promise.all(Array.from({ length: count }, async () => {
      const browser = browserFor(REDIRECT);
      const start = await startAuthorization(rp, REDIRECT);
      return { browser, page: await browser.request(start.url.href) };
    }));
    return Promise.all(opened.map(({ browser, page }, i) => browser.submit(page, 'Sign in', { email: email(i), password: `guess-${i}` })));
  }

  async function checkedPasswords(): Promise<number> {
    const failures = await gh.cliJson<AuditJson>(['audit', 'list', '--type', 'login.failure']);
    return failures.events.filter((e) => e.detail?.reason !== 'throttled').length;
  }

  test('a burst of guesses at one account: no more are checked than the lockout allows', async () => {
    await createUser(gh, 'dave@example.com');
    const pages = await burst(12, () => 'dave@example.com');
    const checked = pages.filter((p) => p.status === 401).length;
    assert.ok(checked >= 1 && checked <= 5, `passwords checked: ${checked}`);
    assert.ok(pages.every((p) => p.status === 401 || (p.status === 429 && THROTTLED.test(p.html))));
    assert.equal(await checkedPasswords(), checked);
    await gh.cliJson(['user', 'unlock', 'dave@example.com']);
  });

  test('a burst across many accounts from one IP stops at the per-IP limit', async () => {
    const before = await checkedPasswords();
    const pages = await burst(12, (i) => `stuffed-${i}@example.com`);
    const checked = pages.filter((p) => p.status === 401).length;
    // Five failures per IP, some already used by the test before.
    assert.ok(before + checked <= 5, `passwords checked: ${before} before, ${checked} in the burst`);
    assert.ok(pages.filter((p) => p.status === 429).length >= 7);
  });
});
