// Second factors in a real browser (headless Chromium) through the whole sign-in: forced TOTP
// enrolment for a client with --require-mfa, sign-in with codes the test computes from the secret
// the page shows, recovery codes (one use each), acr_values=urn:gatehouse:mfa enforced even over an
// existing session, prompt=login, passkeys through Chromium's virtual authenticator (as a second
// factor and passwordless), and wrong codes throttled like passwords. openid-client, as the relying
// party, checks amr and acr in every ID token. Screenshots of each page go to a printed folder.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import * as oidc from 'openid-client';
import { freePort, startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createClient, createUser, PASSWORD, relyingParty, startAuthorization, type CreatedClient } from '../support/relying-party.js';
import { totpCode } from '../support/totp-code.js';
import { queryRows } from '../support/database-rows.js';
import { screenshotFolder, shoot } from '../support/screenshots.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it`;
const MAX_FAILURES = 3;
const METRICS_TOKEN = 'metrics-token-for-the-mfa-browser-test-0123456789';

function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

/** The ID token's claims after the client redeems the code the browser was sent back with. */
async function redeem(rp: oidc.Configuration, page: Page, start: Awaited<ReturnType<typeof startAuthorization>>) {
  const tokens = await oidc.authorizationCodeGrant(rp, new URL(page.url()), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
  const claims = tokens.claims();
  assert.ok(claims);
  return claims;
}

describe('second factors in a real browser', { skip }, () => {
  let gh: Gatehouse;
  let browser: Browser;
  let callback: Server;
  let redirectUri: string;
  let plainClient: CreatedClient;
  let mfaClient: CreatedClient;
  let secret = '';
  let recoveryCodes: string[] = [];
  let screenshots = '';

  before(async () => {
    screenshots = screenshotFolder('mfa');
    // WebAuthn refuses IP addresses as relying party ids: the issuer must be a host name.
    const port = await freePort();
    gh = await startGatehouse({
      PORT: String(port),
      ISSUER: `http://localhost:${port}`,
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      KEY_ENCRYPTION_SECRET: 'a key encryption secret of at least 32 characters',
      METRICS_TOKEN,
    });
    const callbackPort = await freePort();
    redirectUri = `http://127.0.0.1:${callbackPort}/callback`;
    callback = createServer((_req, res) => res.end('signed in')).listen(callbackPort, '127.0.0.1');
    plainClient = await createClient(gh, ['--name', 'Plain App', '--grant', 'authorization_code', '--redirect-uri', redirectUri]);
    mfaClient = await createClient(gh, ['--name', 'Payroll', '--grant', 'authorization_code', '--redirect-uri', redirectUri, '--require-mfa']);
    for (const email of ['totp@example.com', 'acr@example.com', 'passkey@example.com']) await createUser(gh, email);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    callback?.close();
    await gh?.stop();
  });

  async function signInWithPassword(page: Page, email: string): Promise<void> {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function allowAndReturn(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(redirectUri));
  }

  test('a client with --require-mfa makes a user without a factor set up TOTP, then shows the recovery codes once', async () => {
    const rp = await relyingParty(gh, mfaClient);
    const start = await startAuthorization(rp, redirectUri);
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(start.url.href);
    await shoot(page, screenshots, 'login-with-passkey-button');
    await signInWithPassword(page, 'totp@example.com');

    await page.getByRole('heading', { name: 'Set up an authenticator app' }).waitFor();
    assert.match(await page.locator('body').innerText(), /Payroll requires two-step verification/);
    const link = page.getByRole('link', { name: /open it in your authenticator app/i });
    const uri = new URL((await link.getAttribute('href'))!);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    secret = uri.searchParams.get('secret')!;
    assert.equal(uri.searchParams.get('digits') ?? '6', '6');
    assert.equal((await page.locator('.secret').innerText()).replace(/\s/g, ''), secret, 'the same secret is shown as text');
    assert.ok(await page.locator('.qr svg').count(), 'the QR code is an inline SVG');
    await shoot(page, screenshots, 'totp-enrolment');

    await page.getByLabel(/code/i).fill('000000' === totpCode(secret) ? '111111' : '000000');
    await page.getByRole('button', { name: /verify|confirm|turn on/i }).click();
    await page.getByText('That code is not right').waitFor();
    await shoot(page, screenshots, 'totp-enrolment-wrong-code');

    await page.getByLabel(/code/i).fill(totpCode(secret));
    await page.getByRole('button', { name: /verify|confirm|turn on/i }).click();
    const list = page.getByRole('list', { name: /recovery codes/i });
    await list.waitFor();
    recoveryCodes = await list.getByRole('listitem').allInnerTexts();
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    await shoot(page, screenshots, 'recovery-codes');
    await page.getByRole('button', { name: 'Continue' }).click();
    await allowAndReturn(page);

    const claims = await redeem(rp, page, start);
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, 'urn:gatehouse:mfa');
    assert.deepEqual(problems, [], 'no CSP violations or script errors');

    const listed = await gh.cliJson<{ users: { id: string; email: string; factors: { totp: boolean; recovery_codes_left: number } }[] }>(['user', 'list']);
    const user = listed.users.find((u) => u.email === 'totp@example.com');
    assert.deepEqual(user?.factors, { totp: true, passkeys: 0, recovery_codes_left: 10 });

    // With KEY_ENCRYPTION_SECRET the stored secret is sealed: the database alone cannot compute codes.
    const [row] = await queryRows<{ secret: string }>(gh.databaseUrl, 'SELECT "secret" FROM "MfaTotp" WHERE "accountId" = ?', user!.id);
    assert.match(row.secret, /^enc:v1:/);
    assert.ok(!row.secret.includes(secret));
    const stored = await queryRows<{ codeHash: string }>(gh.databaseUrl, 'SELECT "codeHash" FROM "MfaRecoveryCode" WHERE "accountId" = ?', user!.id);
    assert.equal(stored.length, 10);
    assert.ok(stored.every((r) => !recoveryCodes.some((code) => r.codeHash.includes(code))), 'recovery codes are stored only as hashes');

    const metrics = await (await fetch(`${gh.issuer}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    assert.match(metrics, /gatehouse_mfa_factor_changes_total\{factor="totp",change="added"\} 1/);
    assert.match(metrics, /gatehouse_mfa_factor_changes_total\{factor="recovery_codes",change="generated"\} 1/);
    await context.close();
  });

  test('signing in with TOTP: a code is accepted once, and prompt=login asks for the factors again', async () => {
    const rp = await relyingParty(gh, plainClient);
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watchProblems(page);

    const start = await startAuthorization(rp, redirectUri);
    await page.goto(start.url.href);
    await signInWithPassword(page, 'totp@example.com');
    await page.getByLabel(/code/i).waitFor();
    await shoot(page, screenshots, 'sign-in-code');
    // The code confirmed at enrolment (or one even older) is refused: no replay within its window.
    await page.getByLabel(/code/i).fill(totpCode(secret, Date.now() - 30_000));
    await page.getByRole('button', { name: /verify|continue|sign in/i }).click();
    await page.getByText('That code is not right').waitFor();
    await shoot(page, screenshots, 'sign-in-code-wrong');
    // One step ahead is within the ±1 window and newer than any code used so far.
    await page.getByLabel(/code/i).fill(totpCode(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: /verify|continue|sign in/i }).click();
    await allowAndReturn(page);
    const claims = await redeem(rp, page, start);
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, 'urn:gatehouse:mfa');

    // The same code again, in a fresh sign-in forced by prompt=login: refused.
    const again = await startAuthorization(rp, redirectUri, { prompt: 'login' });
    await page.goto(again.url.href);
    await signInWithPassword(page, 'totp@example.com');
    await page.getByLabel(/code/i).fill(totpCode(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: /verify|continue|sign in/i }).click();
    await page.getByText('That code is not right').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a recovery code signs in once; the same code again is refused', async () => {
    const rp = await relyingParty(gh, plainClient);
    const context = await browser.newContext();
    const page = await context.newPage();
    const start = await startAuthorization(rp, redirectUri);
    await page.goto(start.url.href);
    await signInWithPassword(page, 'totp@example.com');
    await page.getByRole('link', { name: /recovery code/i }).click();
    await page.getByLabel(/recovery code/i).waitFor();
    await shoot(page, screenshots, 'sign-in-recovery-code');
    await page.getByLabel(/recovery code/i).fill(recoveryCodes[0].toUpperCase());
    await page.getByRole('button', { name: /verify|continue|sign in/i }).click();
    await allowAndReturn(page);
    const claims = await redeem(rp, page, start);
    assert.equal(claims.acr, 'urn:gatehouse:mfa');
    await context.close();

    const second = await browser.newContext();
    const page2 = await second.newPage();
    const start2 = await startAuthorization(rp, redirectUri);
    await page2.goto(start2.url.href);
    await signInWithPassword(page2, 'totp@example.com');
    await page2.getByRole('link', { name: /recovery code/i }).click();
    await page2.getByLabel(/recovery code/i).fill(recoveryCodes[0]);
    await page2.getByRole('button', { name: /verify|continue|sign in/i }).click();
    await page2.getByText('already used').waitFor();
    await shoot(page2, screenshots, 'sign-in-recovery-code-used');
    await second.close();

    const listed = await gh.cliJson<{ users: { email: string; factors: { recovery_codes_left: number } }[] }>(['user', 'list']);
    assert.equal(listed.users.find((u) => u.email === 'totp@example.com')?.factors.recovery_codes_left, 9);
  });

  test('acr_values=urn:gatehouse:mfa is enforced, even over a session signed in with a password alone', async () => {
    const discovery = await (await fetch(`${gh.issuer}/.well-known/openid-configuration`)).json() as { acr_values_supported?: string[] };
    assert.deepEqual(discovery.acr_values_supported, ['urn:gatehouse:sfa', 'urn:gatehouse:mfa']);
    const rp = await relyingParty(gh, plainClient);
    const context = await browser.newContext();
    const page = await context.newPage();
    const start = await startAuthorization(rp, redirectUri);
    await page.goto(start.url.href);
    await signInWithPassword(page, 'acr@example.com');
    await allowAndReturn(page);
    const claims = await redeem(rp, page, start);
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(claims.acr, 'urn:gatehouse:sfa');

    const strict = await startAuthorization(rp, redirectUri, { acr_values: 'urn:gatehouse:mfa' });
    await page.goto(strict.url.href);
    // The password-only session does not do: sign in again, and set up a factor.
    await signInWithPassword(page, 'acr@example.com');
    await page.getByRole('heading', { name: 'Set up an authenticator app' }).waitFor();
    const uri = new URL((await page.getByRole('link', { name: /open it in your authenticator app/i }).getAttribute('href'))!);
    await page.getByLabel(/code/i).fill(totpCode(uri.searchParams.get('secret')!));
    await page.getByRole('button', { name: /verify|confirm|turn on/i }).click();
    await page.getByRole('list', { name: /recovery codes/i }).waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.href.startsWith(redirectUri));
    const strictClaims = await redeem(rp, page, strict);
    assert.equal(strictClaims.acr, 'urn:gatehouse:mfa');
    assert.deepEqual(strictClaims.amr, ['pwd', 'otp', 'mfa']);
    await context.close();
  });

  test('passkeys through the virtual authenticator: enrolment, second factor, passwordless', async () => {
    const context: BrowserContext = await browser.newContext();
    const page = await context.newPage();
    const problems = watchProblems(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    const strictRp = await relyingParty(gh, mfaClient);
    const start = await startAuthorization(strictRp, redirectUri);
    await page.goto(start.url.href);
    await signInWithPassword(page, 'passkey@example.com');
    await page.getByRole('button', { name: 'Use a passkey instead' }).waitFor();
    await page.getByLabel('Passkey name').fill('Test laptop');
    await page.getByRole('button', { name: 'Use a passkey instead' }).click();
    await page.getByRole('list', { name: /recovery codes/i }).waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await allowAndReturn(page);
    const enrolled = await redeem(strictRp, page, start);
    assert.deepEqual(enrolled.amr, ['pwd', 'hwk', 'mfa']);
    assert.equal(enrolled.acr, 'urn:gatehouse:mfa');

    // As the second factor after the password.
    await context.clearCookies();
    const rp = await relyingParty(gh, plainClient);
    const second = await startAuthorization(rp, redirectUri);
    await page.goto(second.url.href);
    await signInWithPassword(page, 'passkey@example.com');
    await page.getByRole('button', { name: 'Use a passkey', exact: true }).waitFor();
    await shoot(page, screenshots, 'sign-in-passkey');
    await page.getByRole('button', { name: 'Use a passkey', exact: true }).click();
    await allowAndReturn(page);
    const asFactor = await redeem(rp, page, second);
    assert.deepEqual(asFactor.amr, ['pwd', 'hwk', 'mfa']);

    // Passwordless: the passkey alone, verified by the authenticator (UV), is multi-factor.
    await context.clearCookies();
    const alone = await startAuthorization(strictRp, redirectUri);
    await page.goto(alone.url.href);
    await page.getByRole('button', { name: 'Use a passkey', exact: true }).click();
    await allowAndReturn(page);
    const passwordless = await redeem(strictRp, page, alone);
    assert.deepEqual(passwordless.amr, ['hwk', 'user', 'mfa']);
    assert.equal(passwordless.acr, 'urn:gatehouse:mfa');
    assert.deepEqual(problems, [], 'no CSP violations or script errors');

    const listed = await gh.cliJson<{ users: { email: string; factors: { passkeys: number } }[] }>(['user', 'list']);
    assert.equal(listed.users.find((u) => u.email === 'passkey@example.com')?.factors.passkeys, 1);
    await context.close();
  });

  test('wrong codes are throttled like passwords: 429 with Retry-After, even for the right code', async () => {
    // Failures the earlier tests left on this account would lock it sooner than this test counts.
    await gh.cliJson(['user', 'unlock', 'totp@example.com']);
    const rp = await relyingParty(gh, plainClient);
    const context = await browser.newContext();
    const page = await context.newPage();
    const start = await startAuthorization(rp, redirectUri);
    await page.goto(start.url.href);
    await signInWithPassword(page, 'totp@example.com');
    const wrong = totpCode(secret) === '123456' ? '654321' : '123456';
    for (let i = 0; i < MAX_FAILURES; i += 1) {
      await page.getByLabel(/code/i).fill(wrong);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/totp') && r.request().method() === 'POST'),
        page.getByRole('button', { name: /verify|continue|sign in/i }).click(),
      ]);
      assert.equal(response.status(), 401);
      await page.getByText('That code is not right').waitFor();
    }
    await page.getByLabel(/code/i).fill(totpCode(secret, Date.now() + 30_000));
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/totp') && r.request().method() === 'POST'),
      page.getByRole('button', { name: /verify|continue|sign in/i }).click(),
    ]);
    assert.equal(refused.status(), 429);
    assert.match(refused.headers()['retry-after'] ?? '', /^\d+$/);
    await page.getByText('Too many sign-in attempts').waitFor();
    await shoot(page, screenshots, 'sign-in-code-throttled');

    const audit = await gh.cliJson<{ events: { type: string; detail: Record<string, unknown> | null }[] }>(['audit', 'list', '--type', 'login.failure']);
    assert.ok(audit.events.some((e) => e.detail?.reason === 'wrong_code'));
    assert.ok(audit.events.some((e) => e.detail?.reason === 'throttled' && e.detail.factor === 'code'));
    await context.close();
  });
});
