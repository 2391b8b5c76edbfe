// The Device Authorization Grant (RFC 8628) end to end: a device asks for a code, polls, and a user
// approves or denies it on our pages; polling answers authorization_pending, slow_down,
// access_denied and expired_token as the RFC says.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { Browser, labels } from '../support/browser.js';
import { approveOnPhone as approve } from '../support/device-approval.js';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createClient, createUser, relyingParty, type CreatedClient } from '../support/relying-party.js';

const EMAIL = 'tv-owner@example.com';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

async function poll(gh: Gatehouse, clientId: string, deviceCode: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gh.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const approveOnPhone = (gh: Gatehouse, userCode: string, decision: 'Allow' | 'Deny') => approve(gh, userCode, EMAIL, decision);

describe('device authorization grant', () => {
  let gh: Gatehouse;
  let tv: CreatedClient;
  let rp: oidc.Configuration;

  before(async () => {
    gh = await startGatehouse();
    await createUser(gh, EMAIL);
    tv = await createClient(gh, ['--name', 'Living Room TV', '--public', '--grant', 'device_code', '--grant', 'refresh_token']);
    rp = await relyingParty(gh, tv);
  });
  after(async () => gh?.stop());

  test('the device gets an easy code and verification URIs at ISSUER/device', async () => {
    const auth = await oidc.initiateDeviceAuthorization(rp, { scope: 'openid' });
    assert.match(auth.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(auth.verification_uri, `${gh.issuer}/device`);
    assert.equal(auth.verification_uri_complete, `${gh.issuer}/device?user_code=${auth.user_code}`);
    assert.equal(auth.interval, 1);
    assert.ok(auth.expires_in > 0);
  });

  test('polling: pending, slow_down when too fast, then tokens once the user allows', async () => {
    const auth = await oidc.initiateDeviceAuthorization(rp, { scope: 'openid offline_access' });
    const first = await poll(gh, tv.client_id, auth.device_code);
    assert.equal(first.status, 400);
    assert.equal(first.body.error, 'authorization_pending');
    const tooFast = await poll(gh, tv.client_id, auth.device_code);
    assert.equal(tooFast.body.error, 'slow_down');

    const done = await approveOnPhone(gh, auth.user_code, 'Allow');
    assert.match(done, /return to your device|go back to your device/i);

    const tokens = await oidc.pollDeviceAuthorizationGrant(rp, { ...auth, interval: 7 });
    assert.ok(tokens.access_token);
    assert.ok(tokens.id_token);
    assert.ok(tokens.refresh_token);
    assert.equal(tokens.claims()?.aud, tv.client_id);
  });

  test('a denied request answers access_denied', async () => {
    const auth = await oidc.initiateDeviceAuthorization(rp, { scope: 'openid' });
    await approveOnPhone(gh, auth.user_code, 'Deny');
    await sleep(1100);
    const answer = await poll(gh, tv.client_id, auth.device_code);
    assert.equal(answer.body.error, 'access_denied');
  });

  test('verification_uri_complete pre-fills the code and needs no script', async () => {
    const auth = await oidc.initiateDeviceAuthorization(rp, { scope: 'openid' });
    const page = await new Browser().request(auth.verification_uri_complete!);
    assert.equal(page.status, 200);
    assert.match(page.html, new RegExp(`value="${auth.user_code}"`));
    assert.doesNotMatch(page.html, /<script/i);
  });

  test('a wrong code is refused on the page', async () => {
    const browser = new Browser();
    const entry = await browser.request(`${gh.issuer}/device`);
    const page = await browser.submit(entry, 'Continue', { user_code: 'BBBB-BBBB' });
    assert.equal(page.status, 400);
    assert.match(page.html, /not valid/i);
  });

  test('an unknown device code is refused with invalid_grant', async () => {
    const answer = await poll(gh, tv.client_id, 'not-a-device-code');
    assert.equal(answer.body.error, 'invalid_grant');
  });
});

describe('device codes expire', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse({ DEVICE_CODE_TTL: '5' });
  });
  after(async () => gh?.stop());

  test('polling after expiry answers expired_token', async () => {
    const tv = await createClient(gh, ['--name', 'TV', '--public', '--grant', 'device_code']);
    const auth = await oidc.initiateDeviceAuthorization(await relyingParty(gh, tv), { scope: 'openid' });
    assert.equal(auth.expires_in, 5);
    await sleep(5500);
    const answer = await poll(gh, tv.client_id, auth.device_code);
    assert.equal(answer.body.error, 'expired_token');
  });
});
