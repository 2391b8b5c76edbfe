// Refresh tokens: issued with offline_access, rotated on every use for public clients, and, with
// the retry window off (REFRESH_TOKEN_RETRY_GRACE=0), a replayed (already rotated) token revokes the
// whole grant, the newest refresh token included. The window itself: refresh-retry.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, createUser, relyingParty, signInAndDecide, startAuthorization, type CreatedClient } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9100/spa/callback';
const EMAIL = 'rita@example.com';

describe('refresh tokens with the retry window off', () => {
  let gh: Gatehouse;
  let spa: CreatedClient;
  let api: CreatedClient;
  let rp: oidc.Configuration;
  let introspector: oidc.Configuration;

  before(async () => {
    gh = await startGatehouse({ REFRESH_TOKEN_RETRY_GRACE: '0' });
    await createUser(gh, EMAIL);
    spa = await createClient(gh, ['--name', 'SPA', '--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]);
    api = await createClient(gh, ['--name', 'Orders API', '--grant', 'client_credentials']);
    rp = await relyingParty(gh, spa);
    introspector = await relyingParty(gh, api);
  });
  after(async () => gh?.stop());

  async function signIn(): Promise<oidc.TokenEndpointResponse> {
    const start = await startAuthorization(rp, REDIRECT, { scope: 'openid offline_access', prompt: 'consent' });
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL);
    return oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
  }

  test('a public client rotates its refresh token on every use', async () => {
    const first = await signIn();
    assert.ok(first.refresh_token);
    const second = await oidc.refreshTokenGrant(rp, first.refresh_token);
    assert.ok(second.refresh_token);
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.ok(second.access_token);
    assert.ok(second.id_token, 'an ID token comes back on refresh for openid grants');
    const third = await oidc.refreshTokenGrant(rp, second.refresh_token);
    assert.notEqual(third.refresh_token, second.refresh_token);
  });

  test('reusing a rotated refresh token is refused and revokes the whole grant', async () => {
    const first = await signIn();
    const second = await oidc.refreshTokenGrant(rp, first.refresh_token!);
    assert.equal((await oidc.tokenIntrospection(introspector, second.access_token)).active, true);

    await assert.rejects(oidc.refreshTokenGrant(rp, first.refresh_token!), (err: oidc.ResponseBodyError) => err.error === 'invalid_grant');

    await assert.rejects(oidc.refreshTokenGrant(rp, second.refresh_token!), (err: oidc.ResponseBodyError) => err.error === 'invalid_grant',
      'the newest refresh token of the grant no longer works');
    assert.equal((await oidc.tokenIntrospection(introspector, second.access_token)).active, false, 'its access tokens are revoked too');
    assert.equal((await oidc.tokenIntrospection(introspector, second.refresh_token!)).active, false);
  });

  test('a refresh token presented by several requests at once rotates for one, and the grant is revoked', async () => {
    const reuses = async () => (await gh.cliJson<{ events: unknown[] }>(['audit', 'list', '--type', 'refresh_token.reuse'])).events.length;
    const reusesBefore = await reuses();
    const first = await signIn();
    // Raw requests, built before any is sent, so they reach the server together.
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: spa.client_id }).toString();
    const answers = await Promise.all(Array.from({ length: 12 }, async () => {
      const response = await fetch(`${gh.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      return { status: response.status, body: (await response.json()) as { error?: string; access_token: string; refresh_token?: string } };
    }));
    const won = answers.filter((a) => a.status === 200).map((a) => a.body);
    assert.equal(won.length, 1, 'exactly one request gets a new refresh token');
    assert.ok(answers.every((a) => a.status === 200 || (a.status === 400 && a.body.error === 'invalid_grant')));
    await assert.rejects(oidc.refreshTokenGrant(rp, won[0].refresh_token!), (err: oidc.ResponseBodyError) => err.error === 'invalid_grant',
      'the one that got through holds a revoked grant too');
    assert.equal((await oidc.tokenIntrospection(introspector, won[0].access_token)).active, false);
    assert.ok(await reuses() > reusesBefore, 'the reuse is in the audit trail');
  });

  test('another client cannot use the refresh token', async () => {
    const tokens = await signIn();
    const other = await createClient(gh, ['--name', 'Other SPA', '--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', 'http://127.0.0.1:9101/cb']);
    await assert.rejects(oidc.refreshTokenGrant(await relyingParty(gh, other), tokens.refresh_token!), (err: oidc.ResponseBodyError) => err.error === 'invalid_grant');
  });

  test('revoking a refresh token ends it', async () => {
    const tokens = await signIn();
    await oidc.tokenRevocation(rp, tokens.refresh_token!);
    await assert.rejects(oidc.refreshTokenGrant(rp, tokens.refresh_token!), (err: oidc.ResponseBodyError) => err.error === 'invalid_grant');
  });
});
