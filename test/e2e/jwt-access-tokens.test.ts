// API_RESOURCE: client-credentials tokens become ES256 JWTs for the API's audience that an API can
// verify against /jwks alone, while sign-in flows keep opaque tokens for userinfo.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, createUser, relyingParty, signInAndDecide, startAuthorization, type CreatedClient } from '../support/relying-party.js';

const API = 'https://reports.example.com';
const REDIRECT = 'http://127.0.0.1:9400/cb';

describe('JWT access tokens for API_RESOURCE', () => {
  let gh: Gatehouse;
  let job: CreatedClient;

  before(async () => {
    gh = await startGatehouse({ API_SCOPES: 'reports:read reports:write', API_RESOURCE: API });
    job = await createClient(gh, ['--name', 'Job', '--grant', 'client_credentials', '--scope', 'reports:read']);
  });
  after(async () => gh?.stop());

  test('a client-credentials token is an ES256 JWT for the API, verifiable with the JWKS', async () => {
    const tokens = await oidc.clientCredentialsGrant(await relyingParty(gh, job), { scope: 'reports:read' });
    assert.equal(decodeProtectedHeader(tokens.access_token).alg, 'ES256');
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${gh.issuer}/jwks`)), {
      issuer: gh.issuer,
      audience: API,
    });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload.client_id, job.client_id);
    assert.equal(payload.scope, 'reports:read');
    assert.equal(tokens.scope, 'reports:read');
  });

  test('asking for a scope the client was not registered with is still refused', async () => {
    await assert.rejects(oidc.clientCredentialsGrant(await relyingParty(gh, job), { scope: 'reports:write' }),
      (err: oidc.ResponseBodyError) => err.error === 'invalid_scope');
  });

  test('an unknown resource is refused with invalid_target', async () => {
    await assert.rejects(oidc.clientCredentialsGrant(await relyingParty(gh, job), { scope: 'reports:read', resource: 'https://other.example.com' }),
      (err: oidc.ResponseBodyError) => err.error === 'invalid_target');
  });

  test('a sign-in without API scopes still gets an opaque token that works at userinfo', async () => {
    await createUser(gh, 'jo@example.com');
    const web = await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--redirect-uri', REDIRECT]);
    const rp = await relyingParty(gh, web);
    const start = await startAuthorization(rp, REDIRECT);
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, 'jo@example.com');
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    assert.equal(tokens.access_token.split('.').length, 1, 'opaque');
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    assert.equal(info.email, 'jo@example.com');
  });
});
