// JWT access tokens are verified offline at the gateway check, yet revoking one must stop it on
// every instance within a second, as for opaque tokens and API keys: revoked at /token/revocation
// (which oidc-provider alone refuses for JWTs), its grant revoked (here through its refresh
// token), or its client deleted. Two instances share one database; revocations go to one and the
// check is asked at the other, in nginx's auth_request dialect.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, createUser, relyingParty, signInAndDecide, startAuthorization, type CreatedClient } from '../support/relying-party.js';

const REPORTS = 'https://reports.example.com';
const EMAIL = 'jwt-revocation@example.com';
const REDIRECT = 'http://127.0.0.1:9712/cb';
/** The documented bound on revocation at the check. */
const BOUND_MS = 1000;

interface Check { status: number; challenge: string; body: string }

async function check(gh: Gatehouse, token: string): Promise<Check> {
  const response = await fetch(`${gh.url}/api/authz/auth-request`, {
    headers: { 'x-original-method': 'GET', 'x-original-url': `${REPORTS}/daily`, authorization: `Bearer ${token}` },
  });
  return { status: response.status, challenge: response.headers.get('www-authenticate') ?? '', body: await response.text() };
}

async function assertAccepted(gh: Gatehouse, token: string, message?: string): Promise<void> {
  const answer = await check(gh, token);
  assert.equal(answer.status, 200, `${message ?? 'accepted'}: ${answer.body}`);
}

/** Asks until the check refuses, failing if that takes longer than the bound (plus slack for a busy machine). */
async function refusedWithin(gh: Gatehouse, token: string): Promise<Check> {
  const start = Date.now();
  for (;;) {
    const answer = await check(gh, token);
    if (answer.status !== 200) return answer;
    assert.ok(Date.now() - start < BOUND_MS + 1500, `still accepted ${Date.now() - start} ms after revocation`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function revoke(gh: Gatehouse, client: CreatedClient, token: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${gh.issuer}/token/revocation`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret ?? ''}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }),
  });
  return { status: response.status, body: await response.text() };
}

describe('JWT access tokens at the gateway check are refused within a second of revocation, on every instance', () => {
  let a: Gatehouse;
  let b: Gatehouse;
  let job: CreatedClient;
  let other: CreatedClient;

  const jwtFor = async (client: CreatedClient) => {
    const rp = await relyingParty(a, client);
    const token = (await oidc.clientCredentialsGrant(rp, { resource: REPORTS, scope: 'reports' })).access_token;
    assert.equal(token.split('.').length, 3, 'a JWT');
    return token;
  };

  before(async () => {
    a = await startGatehouse();
    // One issuer for both, as behind a load balancer: a JWT names the issuer that signed it.
    b = await startGatehouse({ DATABASE_URL: a.databaseUrl, ISSUER: a.issuer });
    await a.cliJson(['resource', 'create', '--identifier', REPORTS, '--scope', 'reports', '--format', 'jwt']);
    job = await createClient(a, ['--name', 'Nightly job', '--grant', 'client_credentials', '--scope', 'reports']);
    other = await createClient(a, ['--name', 'Other job', '--grant', 'client_credentials', '--scope', 'reports']);
    await createUser(a, EMAIL);
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  test('revoked at /token/revocation: 200 there, refused at the other instance, others untouched', async () => {
    const token = await jwtFor(job);
    const sibling = await jwtFor(job);
    await assertAccepted(b, token);

    const foreign = await revoke(a, other, token);
    assert.equal(foreign.status, 400, 'another confidential client may not revoke it');
    assert.equal((JSON.parse(foreign.body) as { error: string }).error, 'invalid_request');
    await assertAccepted(b, token, 'still good after a refused revocation');

    const revoked = await revoke(a, job, token);
    assert.equal(revoked.status, 200, revoked.body);
    assert.equal(revoked.body, '');
    const refused = await refusedWithin(b, token);
    assert.equal(refused.status, 401);
    assert.match(refused.challenge, /error="invalid_token".*has been revoked/);
    assert.equal((JSON.parse(refused.body) as { error: string }).error, 'invalid_token');
    assert.equal((await check(a, token)).status, 401, 'and at the instance that revoked it');

    await assertAccepted(b, sibling, 'another token of the same client still works');
    assert.equal((await revoke(a, job, token)).status, 200, 'revoking twice is fine');
  });

  test('a token that is not ours, or not a token, is answered 200 as RFC 7009 asks', async () => {
    const token = await jwtFor(job);
    const forged = `${token.split('.').slice(0, 2).join('.')}.${'A'.repeat(86)}`;
    assert.equal((await revoke(a, job, forged)).status, 200);
    assert.equal((await revoke(a, job, 'not-a-token')).status, 200);
    await assertAccepted(b, token);
  });

  test("its grant revoked (by revoking the user's refresh token): the user's JWT is refused", async () => {
    const app = await createClient(a, ['--name', 'Reports web', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT, '--scope', 'reports']);
    const rp = await relyingParty(a, app);
    const start = await startAuthorization(rp, REDIRECT, { scope: 'openid offline_access reports', prompt: 'consent', resource: REPORTS });
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce }, { resource: REPORTS });
    assert.ok(tokens.refresh_token, 'a refresh token');
    assert.equal(tokens.access_token.split('.').length, 3, 'a JWT');
    await assertAccepted(b, tokens.access_token);

    await oidc.tokenRevocation(rp, tokens.refresh_token);
    const refused = await refusedWithin(b, tokens.access_token);
    assert.equal(refused.status, 401);
    assert.match(refused.challenge, /authorization the access token was issued under has been revoked/);
  });

  test('its client deleted: refused at the other instance', async () => {
    const doomed = await createClient(a, ['--name', 'Doomed job', '--grant', 'client_credentials', '--scope', 'reports']);
    const token = await jwtFor(doomed);
    await assertAccepted(b, token);
    await a.cliJson(['client', 'delete', doomed.client_id]);
    const refused = await refusedWithin(b, token);
    assert.equal(refused.status, 401);
    assert.match(refused.challenge, /client that no longer exists/);
  });
});
