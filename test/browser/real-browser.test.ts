// The pages in a real browser (headless Chromium): a person signs in, allows, and the client gets
// its code; a person approves a device from verification_uri_complete. Also proves the pages raise
// no Content-Security-Policy violations, i.e. they need no inline script or style.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import * as oidc from 'openid-client';
import { freePort, startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createClient, createUser, PASSWORD, relyingParty, startAuthorization } from '../support/relying-party.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it`;
const EMAIL = 'browser@example.com';

/** Collects what Chromium reports as CSP violations or script errors (not HTTP statuses such as a 401). */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

describe('in a real browser', { skip }, () => {
  let gh: Gatehouse;
  let browser: Browser;
  let callback: Server;
  let redirectUri: string;

  before(async () => {
    gh = await startGatehouse();
    await createUser(gh, EMAIL);
    const port = await freePort();
    redirectUri = `http://127.0.0.1:${port}/callback`;
    callback = createServer((_req, res) => res.end('signed in')).listen(port, '127.0.0.1');
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

  test('sign in, allow, and the client redeems the code', async () => {
    const client = await createClient(gh, ['--name', 'Browser App', '--grant', 'authorization_code', '--redirect-uri', redirectUri]);
    const rp = await relyingParty(gh, client);
    const start = await startAuthorization(rp, redirectUri);
    const page = await browser.newPage();
    const problems = watchProblems(page);

    await page.goto(start.url.href);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Invalid email or password').waitFor();

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Browser App').first().waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(redirectUri));

    const tokens = await oidc.authorizationCodeGrant(rp, new URL(page.url()), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    assert.ok(tokens.claims()?.sub);
    assert.deepEqual(problems, [], 'no CSP violations or script errors');
    await page.close();
  });

  test('approve a device from verification_uri_complete', async () => {
    const tv = await createClient(gh, ['--name', 'Kitchen TV', '--public', '--grant', 'device_code']);
    const rp = await relyingParty(gh, tv);
    const auth = await oidc.initiateDeviceAuthorization(rp, { scope: 'openid' });
    const page = await browser.newPage();
    const problems = watchProblems(page);

    await page.goto(auth.verification_uri_complete!);
    assert.equal(await page.getByLabel('Code').inputValue(), auth.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText(auth.user_code).first().waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByText(/return to your device|go back to your device/i).first().waitFor();

    const tokens = await oidc.pollDeviceAuthorizationGrant(rp, { ...auth, interval: 1 });
    assert.ok(tokens.access_token);
    assert.deepEqual(problems, [], 'no CSP violations or script errors');
    await page.close();
  });
});
