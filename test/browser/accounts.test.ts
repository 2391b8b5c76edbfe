// The account page and getting back in, in real Chromium against the built server, with mail
// received over SMTP by an in-process server: the password-reset round trip, revoking a connected
// app (its refresh token fails at once, seen by openid-client), signing out other sessions,
// self sign-up with the verification link, step-up before changing the password, and throttling
// of reset requests. Every page is screenshotted at phone and desktop widths.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import * as oidc from 'openid-client';
import { freePort, startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createClient, createUser, PASSWORD, relyingParty, startAuthorization } from '../support/relying-party.js';
import { linkIn, startMailbox, type Mailbox } from '../support/mailbox.js';
import { DESKTOP, screenshotFolder, shoot } from '../support/screenshots.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it`;
const STEP_UP_SECONDS = 15;

function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

describe('accounts in a real browser', { skip }, () => {
  let gh: Gatehouse;
  let mailbox: Mailbox;
  let browser: Browser;
  let callback: Server;
  let redirectUri: string;
  let shots: string;

  before(async () => {
    mailbox = await startMailbox();
    gh = await startGatehouse({ SMTP_URL: mailbox.url, MAIL_FROM: 'Gatehouse <no-reply@example.test>', SIGNUP: 'open', STEP_UP_MAX_AGE: String(STEP_UP_SECONDS) });
    const port = await freePort();
    redirectUri = `http://127.0.0.1:${port}/callback`;
    callback = createServer((_req, res) => res.end('signed in')).listen(port, '127.0.0.1');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
    });
    shots = screenshotFolder('account');
  });
  after(async () => {
    await browser?.close();
    callback?.close();
    await gh?.stop();
    await mailbox?.close();
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    return { context, page, problems: watchProblems(page) };
  }

  /** Opens /account and signs in on the login page it leads to. */
  async function signInToAccount(page: Page, email: string, password = PASSWORD): Promise<void> {
    await page.goto(`${gh.issuer}/account`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
  }

  test('forgot password: the mailed link sets a new password once, ends every session and tells the owner', async () => {
    const email = 'reset@example.com';
    await createUser(gh, email);
    const signedIn = await newPage();
    await signInToAccount(signedIn.page, email);
    await shoot(signedIn.page, shots, 'account');

    const { context, page, problems } = await newPage();
    await page.goto(`${gh.issuer}/account`);
    await shoot(page, shots, 'login-with-forgot-and-signup-links');
    await page.getByRole('link', { name: /forgot password/i }).click();
    await shoot(page, shots, 'forgot-password');
    await page.getByRole('button', { name: /send|reset|continue/i }).click();
    await page.getByRole('alert').or(page.locator('input:invalid')).first().waitFor();

    const since = mailbox.messages.length;
    await page.getByLabel(/email/i).fill(email);
    await page.getByRole('button', { name: /send|reset|continue/i }).click();
    const sentText = await page.getByRole('status').innerText();
    assert.match(sentText, /If an account uses that email/);
    await shoot(page, shots, 'forgot-password-sent');

    // An unknown address gets the very same answer, and no mail.
    await page.goto(`${gh.issuer}/forgot-password`);
    await page.getByLabel(/email/i).fill('nobody@example.com');
    await page.getByRole('button', { name: /send|reset|continue/i }).click();
    assert.equal(await page.getByRole('status').innerText(), sentText);

    const mail = await mailbox.waitFor(email, /reset/i, since);
    assert.match(mail.from, /no-reply@example\.test/);
    const link = linkIn(mail);
    assert.ok(link.href.startsWith(`${gh.issuer}/`), `the link ${link.href} is under the issuer`);
    await page.goto(link.href);
    await shoot(page, shots, 'reset-password');
    await page.getByLabel(/new password/i).fill('short');
    await page.getByRole('button', { name: /reset|save|set/i }).click();
    await page.getByRole('alert').getByText(/at least 8 characters/).waitFor();
    await shoot(page, shots, 'reset-password-error');
    const newPassword = 'a brand new passphrase';
    await page.getByLabel(/new password/i).fill(newPassword);
    await page.getByRole('button', { name: /reset|save|set/i }).click();
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();
    await shoot(page, shots, 'reset-password-done');
    await mailbox.waitFor(email, /password was changed/i, since);

    // The link worked once.
    await page.goto(link.href);
    await page.getByText(/expired or was already used/).waitFor();

    // The browser that was signed in is signed out.
    await signedIn.page.goto(`${gh.issuer}/account`);
    await signedIn.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signedIn.context.close();

    // The old password no longer works; the new one does.
    await page.goto(`${gh.issuer}/account`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Invalid email or password').waitFor();
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByText('Reset the password with an emailed link').waitFor();
    assert.deepEqual(problems, [], 'no CSP violations or script errors');
    await context.close();
  });

  test('revoking a connected app on /account makes its refresh token fail at once', async () => {
    const email = 'apps@example.com';
    await createUser(gh, email);
    const client = await createClient(gh, ['--name', 'Photo Printer', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', redirectUri, '--scope', 'openid profile email offline_access']);
    const rp = await relyingParty(gh, client);
    const start = await startAuthorization(rp, redirectUri, { scope: 'openid email offline_access', prompt: 'consent' });
    const { context, page, problems } = await newPage();
    await page.goto(start.url.href);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(redirectUri));
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(page.url()), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    assert.ok(tokens.refresh_token, 'a refresh token');
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    assert.ok(refreshed.refresh_token, 'the refresh token works before the revocation');

    // Already signed in: /account needs no second sign-in and never shows a consent page.
    await page.goto(`${gh.issuer}/account`);
    const row = page.getByRole('row', { name: /Photo Printer/ });
    await row.getByText('See your email address and whether it is verified').waitFor();
    await shoot(page, shots, 'account-connected-apps');
    await row.getByRole('button', { name: /Revoke/ }).click();
    await page.getByText('The application was disconnected').waitFor();
    assert.equal(await page.getByRole('row', { name: /Photo Printer/ }).count(), 0);

    await assert.rejects(oidc.refreshTokenGrant(rp, refreshed.refresh_token!), (error: unknown) => {
      assert.ok(error instanceof oidc.ResponseBodyError);
      assert.equal(error.error, 'invalid_grant');
      return true;
    });
    await assert.rejects(oidc.fetchUserInfo(rp, refreshed.access_token, oidc.skipSubjectCheck), 'its access token is gone too');
    await page.getByText('Revoked an application').waitFor();
    assert.deepEqual(problems, [], 'no CSP violations or script errors');
    await context.close();
  });

  test('"Sign out everywhere else" ends the other browser sessions and keeps this one', async () => {
    const email = 'sessions@example.com';
    await createUser(gh, email);
    const here = await newPage();
    const there = await newPage();
    await signInToAccount(there.page, email);
    await signInToAccount(here.page, email);
    assert.equal(await here.page.getByRole('row', { name: /this browser/ }).count(), 1);
    assert.equal(await here.page.getByRole('region', { name: 'Sessions' }).getByRole('row').count(), 3, 'a header row and two sessions');
    await shoot(here.page, shots, 'account-sessions');
    await here.page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await here.page.getByText('Every other session was signed out.').waitFor();
    await here.page.getByText('You are not signed in anywhere else.').waitFor();

    await there.page.goto(`${gh.issuer}/account`);
    await there.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await here.page.goto(`${gh.issuer}/account`);
    await here.page.getByRole('heading', { name: 'Your account' }).waitFor();
    await here.page.getByText('Signed out other sessions').waitFor();
    assert.deepEqual([...here.problems, ...there.problems], []);
    await here.context.close();
    await there.context.close();
  });

  test('open sign-up creates an unverified account; the mailed link verifies it', async () => {
    const email = 'newcomer@example.com';
    const { context, page, problems } = await newPage();
    await page.goto(`${gh.issuer}/account`);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await shoot(page, shots, 'signup');
    await page.getByLabel('Name').fill('New Comer');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').or(page.locator('input:invalid')).first().waitFor();
    const since = mailbox.messages.length;
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await shoot(page, shots, 'signup-done');

    const listed = await gh.cliJson<{ users: { email: string; email_verified: boolean }[] }>(['user', 'list']);
    assert.equal(listed.users.find((u) => u.email === email)?.email_verified, false, 'unverified until the link is used');

    const link = linkIn(await mailbox.waitFor(email, /confirm/i, since));
    assert.ok(link.href.startsWith(`${gh.issuer}/`));
    await page.goto(link.href);
    await shoot(page, shots, 'verify-email');
    await page.getByRole('button', { name: 'Confirm email' }).click();
    await page.getByRole('heading', { name: 'Email confirmed' }).waitFor();
    await shoot(page, shots, 'verify-email-done');
    const after = await gh.cliJson<{ users: { email: string; email_verified: boolean }[] }>(['user', 'list']);
    assert.equal(after.users.find((u) => u.email === email)?.email_verified, true);

    // Signing up again with the same address reveals nothing on the page; its owner is told by mail.
    await page.goto(`${gh.issuer}/signup`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('another password here');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await mailbox.waitFor(email, /already have an account/i, since);

    await signInToAccount(page, email);
    await page.getByText('(verified)').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('step-up: changing the password after the sign-in got old asks for the password again first', async () => {
    const email = 'stepup@example.com';
    await createUser(gh, email);
    const { context, page, problems } = await newPage();
    await signInToAccount(page, email);
    await page.getByRole('link', { name: 'Change password' }).click();
    await page.getByLabel('Current password').waitFor();
    await shoot(page, shots, 'account-password');
    await page.getByLabel('Current password').fill('wrong password');
    await page.getByLabel('New password').fill('another good password');
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.getByRole('alert').getByText('The current password is not right.').waitFor();
    await shoot(page, shots, 'account-password-error');

    await page.waitForTimeout((STEP_UP_SECONDS + 2) * 1000);
    await page.goto(`${gh.issuer}/account`);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByRole('link', { name: 'Change password' }).click();
    // A fresh sign-in even though the session is live, and then straight back to the form.
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    if (!(await page.getByLabel('Email').inputValue())) await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Current password').waitFor();
    assert.equal(new URL(page.url()).pathname, '/account/password');
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill('another good password');
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.getByText('Your password was changed.').waitFor();
    await mailbox.waitFor(email, /password was changed/i);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('reset requests are throttled per account and per IP, with 429 and Retry-After', async () => {
    const email = 'throttled@example.com';
    await createUser(gh, email);
    const { context, page } = await newPage();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    page.on('response', (response) => {
      if (response.request().method() === 'POST' && new URL(response.url()).pathname === '/forgot-password') {
        statuses.push(response.status());
        retryAfter = response.headers()['retry-after'] ?? retryAfter;
      }
    });
    const ask = async (address: string) => {
      await page.goto(`${gh.issuer}/forgot-password`);
      await page.getByLabel(/email/i).fill(address);
      await page.getByRole('button', { name: /send|reset|continue/i }).click();
      await page.getByRole('status').or(page.getByRole('alert')).first().waitFor();
    };
    for (let i = 0; i < 4; i += 1) await ask(email);
    assert.deepEqual(statuses, [200, 200, 200, 429], 'three requests an hour per account');
    assert.ok(Number(retryAfter) > 0);
    await page.getByRole('alert').getByText(/Too many requests/).waitFor();
    await shoot(page, shots, 'forgot-password-throttled');

    // Different addresses from one IP: refused after the per-IP allowance, even for an address never used.
    let attempts = 0;
    while (statuses.at(-1) !== 429 || attempts === 0) {
      attempts += 1;
      await ask(`someone-${attempts}@example.com`);
      assert.ok(attempts <= 25, 'the per-IP limit applies');
    }
    assert.equal(statuses.at(-1), 429);
    await context.close();
  });
});
