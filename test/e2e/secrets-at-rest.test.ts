// A copy of the database must not hand out working credentials: after every grant has run, no
// token, code, device code, session id, client secret (current or in its rotation grace period) or
// private signing key appears in the SQLite files in clear.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dumpRows } from '../support/database-rows.js';
import { existsSync } from 'node:fs';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { Browser } from '../support/browser.js';
import { browserFor, createClient, createUser, PASSWORD, relyingParty, signInAndDecide, startAuthorization } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9500/cb';

describe('secrets at rest', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse({ KEY_ENCRYPTION_SECRET: 'a-key-encryption-secret-of-32-chars-or-more' });
  });
  after(async () => gh?.stop());

  test('no credential is stored in clear', async () => {
    const secrets: Record<string, string> = {};
    await createUser(gh, 'vault@example.com');
    const web = await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]);
    secrets.client_secret = web.client_secret!;
    const rp = await relyingParty(gh, web);
    const browser = browserFor(REDIRECT);
    const start = await startAuthorization(rp, REDIRECT, { scope: 'openid offline_access', prompt: 'consent' });
    const landed = new URL((await signInAndDecide(browser, start.url, 'vault@example.com')).url);
    secrets.code = landed.searchParams.get('code')!;
    const tokens = await oidc.authorizationCodeGrant(rp, landed, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    secrets.access_token = tokens.access_token;
    secrets.refresh_token = tokens.refresh_token!;
    const rotated = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    secrets.rotated_refresh_token = rotated.refresh_token!;
    for (const [name, value] of browser.cookies(gh.issuer)) {
      if (!name.endsWith('.sig')) secrets[`cookie ${name}`] = value;
    }

    const svc = await createClient(gh, ['--name', 'svc', '--grant', 'client_credentials']);
    secrets.svc_secret = svc.client_secret!;
    secrets.cc_token = (await oidc.clientCredentialsGrant(await relyingParty(gh, svc))).access_token;
    const rotatedSecret = await gh.cliJson<{ client_secret: string }>(['client', 'rotate-secret', svc.client_id, '--grace', '1h']);
    secrets.svc_rotated_secret = rotatedSecret.client_secret;
    secrets.cc_token_new_secret = (await oidc.clientCredentialsGrant(await relyingParty(gh, { ...svc, client_secret: rotatedSecret.client_secret }))).access_token;
    secrets.cc_token_old_secret = (await oidc.clientCredentialsGrant(await relyingParty(gh, svc))).access_token;

    const tv = await createClient(gh, ['--name', 'tv', '--public', '--grant', 'device_code', '--grant', 'refresh_token']);
    const tvRp = await relyingParty(gh, tv);
    const device = await oidc.initiateDeviceAuthorization(tvRp, { scope: 'openid offline_access' });
    secrets.device_code = device.device_code;
    const phone = new Browser();
    const confirm = await phone.submit(await phone.request(`${gh.issuer}/device`), 'Continue', { user_code: device.user_code });
    const signIn = await phone.submit(confirm, 'Continue');
    await phone.submit(await phone.submit(signIn, 'Sign in', { email: 'vault@example.com', password: PASSWORD }), 'Allow');
    const deviceTokens = await oidc.pollDeviceAuthorizationGrant(tvRp, device);
    secrets.device_access_token = deviceTokens.access_token;
    secrets.device_refresh_token = deviceTokens.refresh_token!;
    for (const [name, value] of phone.cookies(gh.issuer)) {
      if (!name.endsWith('.sig')) secrets[`phone cookie ${name}`] = value;
    }

    await gh.halt();
    assert.ok(Object.keys(secrets).some((k) => k.startsWith('cookie _session')), 'the session cookie was captured');
    // On SQLite the raw files (committed or still in the WAL); on PostgreSQL every stored row.
    let stored = gh.databaseFile ? '' : await dumpRows(gh.databaseUrl);
    for (const suffix of gh.databaseFile ? ['', '-wal'] : []) {
      const file = gh.databaseFile + suffix;
      if (existsSync(file)) stored += (await readFile(file)).toString('latin1');
    }
    assert.ok(stored.length > 0);
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(value && value.length >= 16, `${name} was captured`);
      assert.ok(!stored.includes(value), `${name} is stored in clear`);
    }
    assert.ok(!/"d"\s*:\s*"/.test(stored), 'no private key material (a JWK "d") is stored in clear');
  });
});
