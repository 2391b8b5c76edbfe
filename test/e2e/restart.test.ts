// A restart keeps everything a user and a client rely on: the signing keys (same JWKS kids), the
// browser session, and issued access and refresh tokens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, createUser, relyingParty, signInAndDecide, startAuthorization } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9300/cb';
const EMAIL = 'persist@example.com';

async function kids(gh: Gatehouse): Promise<string[]> {
  const jwks = (await (await fetch(`${gh.issuer}/jwks`)).json()) as { keys: { kid: string; alg: string; d?: string }[] };
  assert.ok(jwks.keys.every((k) => k.d === undefined), 'the JWKS publishes no private key material');
  return jwks.keys.map((k) => `${k.alg}:${k.kid}`).sort();
}

describe('restart persistence', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse();
  });
  after(async () => gh?.stop());

  test('keys, sessions and tokens survive a restart', async () => {
    const userId = (await createUser(gh, EMAIL)).id;
    const client = await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]);
    const before = await kids(gh);
    assert.deepEqual(before.map((k) => k.split(':')[0]).sort(), ['ES256', 'EdDSA', 'RS256']);

    const rp = await relyingParty(gh, client);
    const browser = browserFor(REDIRECT);
    const start = await startAuthorization(rp, REDIRECT, { scope: 'openid offline_access', prompt: 'consent' });
    const landed = await signInAndDecide(browser, start.url, EMAIL);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });

    await gh.restart();

    assert.deepEqual(await kids(gh), before, 'the JWKS kids are unchanged');
    const rpAfter = await relyingParty(gh, client);
    const info = await oidc.fetchUserInfo(rpAfter, tokens.access_token, userId);
    assert.equal(info.sub, userId, 'the access token still works');
    const refreshed = await oidc.refreshTokenGrant(rpAfter, tokens.refresh_token!);
    assert.ok(refreshed.access_token, 'the refresh token still works');
    assert.equal(refreshed.claims()?.sub, userId, 'an ID token signed before and after restart verifies against the JWKS');

    const again = await startAuthorization(rpAfter, REDIRECT, { prompt: 'none', scope: 'openid' });
    const silent = await browser.request(again.url.href);
    const callback = new URL(silent.url);
    assert.equal(callback.origin + callback.pathname, REDIRECT, 'the browser session is still signed in');
    assert.ok(callback.searchParams.get('code'), `expected a code, got ${callback.search}`);
  });
});
