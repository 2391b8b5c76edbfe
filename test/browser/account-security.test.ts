// The Security section of /account in real Chromium: setting up an authenticator app with codes
// the test computes, the recovery codes it then shows, adding and removing a passkey through
// Chromium's virtual authenticator, and step-up: once the sign-in is older than STEP_UP_MAX_AGE,
// removing a factor first sends the user through a fresh sign-in (password and code) and back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createUser, PASSWORD } from '../support/relying-party.js';
import { totpCode } from '../support/totp-code.js';
import { DESKTOP, screenshotFolder, shoot } from '../support/screenshots.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it`;
const STEP_UP_SECONDS = 15;
const STEP_MS = 30_000;

function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

/** A code from a later 30-second step than `usedAt`'s: each step's code is accepted only once. */
async function codeAfter(secret: string, usedAt: number): Promise<string> {
  const nextStep = (Math.floor(usedAt / STEP_MS) + 1) * STEP_MS;
  const wait = nextStep - Date.now() + 500;
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  return totpCode(secret);
}

describe('the Security section of the account page', { skip }, () => {
  let gh: Gatehouse;
  let browser: Browser;
  let shots: string;

  before(async () => {
    // WebAuthn refuses IP addresses as relying party ids: the issuer must be a host name.
    const port = await freePort();
    gh = await startGatehouse({ PORT: String(port), ISSUER: `http://localhost:${port}`, STEP_UP_MAX_AGE: String(STEP_UP_SECONDS) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
    });
    shots = screenshotFolder('account-security');
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
  });

  test('authenticator app: set up from /account, then removing it needs a fresh sign-in with a code', async () => {
    const email = 'secure@example.com';
    await createUser(gh, email);
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${gh.issuer}/account`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByRole('region', { name: 'Passkeys' }).waitFor();

    await page.getByRole('link', { name: /authenticator app/i }).click();
    const uri = new URL((await page.getByRole('link', { name: /open it in your authenticator app/i }).getAttribute('href'))!);
    assert.equal(uri.protocol, 'otpauth:');
    const secret = uri.searchParams.get('secret')!;
    await shoot(page, shots, 'account-totp-enrol');
    await page.getByLabel(/code/i).fill(totpCode(secret) === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: /verify|confirm|turn on/i }).click();
    await page.getByRole('alert').waitFor();
    const enrolledAt = Date.now();
    await page.getByLabel(/code/i).fill(totpCode(secret, enrolledAt));
    await page.getByRole('button', { name: /verify|confirm|turn on/i }).click();
    const codes = await page.getByRole('list', { name: /recovery codes/i }).getByRole('listitem').allInnerTexts();
    assert.equal(codes.length, 10);
    await shoot(page, shots, 'account-recovery-codes');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('link', { name: 'Remove authenticator app' }).waitFor();
    await page.getByText('10 of 10 left').waitFor();
    await page.getByText('Turned on the authenticator app').waitFor();
    await shoot(page, shots, 'account-security');

    // The sign-in is now older than the step-up window: removal goes through a fresh sign-in.
    await page.waitForTimeout((STEP_UP_SECONDS + 2) * 1000);
    await page.getByRole('link', { name: 'Remove authenticator app' }).click();
    await page.getByLabel('Password').fill(PASSWORD);
    if (!(await page.getByLabel('Email').inputValue())) await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel(/code/i).fill(await codeAfter(secret, enrolledAt));
    await page.getByRole('button', { name: /verify|continue|sign in/i }).click();
    await page.getByRole('heading', { name: 'Remove the authenticator app?' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/account/security/totp/remove');
    await shoot(page, shots, 'account-remove-factor');
    await page.getByRole('button', { name: 'Remove authenticator app' }).click();
    await page.getByRole('link', { name: /set up an authenticator app/i }).waitFor();
    await page.getByText('Removed the authenticator app').waitFor();
    const listed = await gh.cliJson<{ users: { email: string; factors: { totp: boolean } }[] }>(['user', 'list']);
    assert.equal(listed.users.find((u) => u.email === email)?.factors.totp, false);
    assert.deepEqual(problems, [], 'no CSP violations or script errors');
    await context.close();
  });

  test('passkeys: added and removed on /account through the virtual authenticator', async () => {
    const email = 'passkeys@example.com';
    await createUser(gh, email);
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const problems = watchProblems(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.goto(`${gh.issuer}/account`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const section = page.getByRole('region', { name: 'Passkeys' });
    await section.getByText('No passkeys.').waitFor();
    await section.getByRole('link', { name: 'Add a passkey' }).click();
    await page.getByLabel('Passkey name').fill('Test laptop');
    await shoot(page, shots, 'account-passkey-add');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Added a passkey').waitFor();
    await section.getByText('Test laptop').waitFor();
    await section.getByRole('link', { name: 'Remove passkey Test laptop' }).click();
    await page.getByRole('button', { name: 'Remove passkey' }).click();
    await section.getByText('No passkeys.').waitFor();
    await page.getByText('Removed a passkey').waitFor();
    assert.deepEqual(problems, [], 'no CSP violations or script errors');
    await context.close();
  });

  test('a password reset keeps the authenticator app: the next sign-in still asks for a code', async () => {
    const email = 'keeps@example.com';
    await createUser(gh, email);
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${gh.issuer}/account`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('link', { name: /authenticator app/i }).click();
    const secret = new URL((await page.getByRole('link', { name: /open it in your authenticator app/i }).getAttribute('href'))!).searchParams.get('secret')!;
    await page.getByLabel(/code/i).fill(totpCode(secret));
    await page.getByRole('button', { name: /verify|confirm|turn on/i }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    // No SMTP_URL here: the reset link is in the server log.
    await page.goto(`${gh.issuer}/forgot-password`);
    await page.getByLabel(/email/i).fill(email);
    await page.getByRole('button', { name: /send|reset|continue/i }).click();
    await page.getByRole('status').waitFor();
    let link: string | undefined;
    for (let i = 0; i < 50 && !link; i += 1) {
      link = /(http:\/\/localhost:\d+\/reset-password\?token=[A-Za-z0-9_-]+)/.exec(gh.output())?.[1];
      if (!link) await page.waitForTimeout(100);
    }
    assert.ok(link, 'the reset link is in the log');
    await page.goto(link);
    await page.getByLabel(/new password/i).fill('a password after the reset');
    await page.getByRole('button', { name: /reset|save|set/i }).click();
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();

    await page.goto(`${gh.issuer}/account`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a password after the reset');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel(/code/i).waitFor();
    await page.getByRole('button', { name: /verify|continue|sign in/i }).first().waitFor();
    await context.close();
  });
});
