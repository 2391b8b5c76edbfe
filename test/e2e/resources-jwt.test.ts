// APIs registered with `gatehouse resource`: tokens for one API carry it as audience and only its
// scopes (RFC 8707), as RFC 9068 JWTs an API verifies with jose and the JWKS, or opaque.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Browser } from '../support/browser.js';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { oauthError } from '../support/oauth-error.js';
import {
  browserFor, createClient, createUser, PASSWORD, relyingParty, signInAndDecide, startAuthorization, type CreatedClient,
} from '../support/relying-party.js';

const ORDERS = 'https://orders.example.com';
const BILLING = 'https://billing.example.com';
const REDIRECT = 'http://127.0.0.1:9700/cb';

describe('APIs and JWT access tokens', () => {
  let gh: Gatehouse;
  let service: CreatedClient;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  before(async () => {
    gh = await startGatehouse();
    await gh.cliJson(['resource', 'create', '--identifier', ORDERS, '--scope', 'orders:read orders:write', '--ttl', '300']);
    await gh.cliJson(['resource', 'create', '--identifier', BILLING, '--scope', 'billing:read', '--format', 'opaque']);
    service = await createClient(gh, ['--name', 'Orders job', '--grant', 'client_credentials', '--scope', 'orders:read billing:read']);
    jwks = createRemoteJWKSet(new URL(`${gh.issuer}/jwks`));
  });
  after(async () => gh?.stop());

  test('resource list and the CLI refusals', async () => {
    const { resources } = await gh.cliJson<{ resources: { identifier: string; format: string; alg: string | null; ttl: number | null }[] }>(['resource', 'list']);
    assert.deepEqual(resources.map((r) => [r.identifier, r.format, r.alg, r.ttl]), [[ORDERS, 'jwt', 'ES256', 300], [BILLING, 'opaque', null, null]]);
    const duplicate = await gh.cli(['resource', 'create', '--identifier', ORDERS, '--scope', 'x']);
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /already exists/);
    for (const [args, message] of [
      [['--identifier', 'not a uri', '--scope', 'a'], /absolute URI/],
      [['--identifier', 'http://api.example.com', '--scope', 'a'], /https/],
      [['--identifier', 'https://x.example.com#f', '--scope', 'a'], /fragment/],
      [['--identifier', 'https://x.example.com', '--scope', 'openid'], /OpenID Connect scope/],
      [['--identifier', 'https://x.example.com', '--scope', 'a', '--format', 'paseto'], /format/],
      [['--identifier', 'https://x.example.com', '--scope', 'a', '--alg', 'HS256'], /alg/],
    ] as const) {
      const result = await gh.cli(['resource', 'create', ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    }
  });

  test('a client_credentials token for one API is an RFC 9068 JWT the API verifies with jose', async () => {
    const rp = await relyingParty(gh, service);
    const tokens = await oidc.clientCredentialsGrant(rp, { resource: ORDERS, scope: 'orders:read' });
    assert.equal(tokens.scope, 'orders:read');
    assert.ok(tokens.expires_in && tokens.expires_in <= 300, 'the API\'s own lifetime');
    assert.equal(decodeProtectedHeader(tokens.access_token).alg, 'ES256');

    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: gh.issuer, audience: ORDERS, typ: 'at+jwt', algorithms: ['ES256'],
    });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload.client_id, service.client_id);
    assert.equal(payload.sub, service.client_id);
    assert.equal(payload.scope, 'orders:read');
    assert.ok(typeof payload.jti === 'string' && typeof payload.exp === 'number' && typeof payload.iat === 'number');

    await assert.rejects(jwtVerify(tokens.access_token, jwks, { issuer: gh.issuer, audience: BILLING, typ: 'at+jwt' }), /aud/,
      'another API refuses a token with the wrong audience');
  });

  test('scopes of other APIs, unknown APIs and scopes the client lacks are refused', async () => {
    const rp = await relyingParty(gh, service);
    const mixed = await oidc.clientCredentialsGrant(rp, { resource: ORDERS, scope: 'orders:read billing:read' });
    assert.equal(mixed.scope, 'orders:read', 'only the audience\'s scopes are in the token');
    await assert.rejects(oidc.clientCredentialsGrant(rp, { resource: 'https://unknown.example.com', scope: 'orders:read' }),
      (err: Error) => oauthError(err) === 'invalid_target');
    await assert.rejects(oidc.clientCredentialsGrant(rp, { resource: ORDERS, scope: 'orders:write' }),
      (err: Error) => oauthError(err) === 'invalid_scope');
    await assert.rejects(oidc.clientCredentialsGrant(rp, { scope: 'nobody:defines' }),
      (err: Error) => oauthError(err) === 'invalid_scope');
  });

  test('an opaque-token API: not a JWT, audience and scope through introspection', async () => {
    const rp = await relyingParty(gh, service);
    const tokens = await oidc.clientCredentialsGrant(rp, { resource: BILLING, scope: 'billing:read' });
    assert.equal(tokens.access_token.split('.').length, 1);
    const introspected = await oidc.tokenIntrospection(rp, tokens.access_token);
    assert.equal(introspected.active, true);
    assert.equal(introspected.aud, BILLING);
    assert.equal(introspected.scope, 'billing:read');
  });

  test('device flow and refresh: a TV gets JWTs for the API, and refreshed ones for the same API', async () => {
    await createUser(gh, 'tv-owner@example.com');
    const tv = await createClient(gh, ['--name', 'TV', '--public', '--grant', 'device_code', '--grant', 'refresh_token', '--scope', 'openid offline_access orders:read']);
    const rp = await relyingParty(gh, tv);
    const auth = await oidc.initiateDeviceAuthorization(rp, { scope: 'openid offline_access orders:read', resource: ORDERS });
    const phone = new Browser();
    const confirm = await phone.submit(await phone.request(auth.verification_uri_complete!), 'Continue');
    const login = await phone.submit(confirm, 'Continue');
    const consent = await phone.submit(login, 'Sign in', { email: 'tv-owner@example.com', password: PASSWORD });
    assert.match(consent.html, /orders:read/);
    await phone.submit(consent, 'Allow');
    const tokens = await oidc.pollDeviceAuthorizationGrant(rp, auth);
    const first = await jwtVerify(tokens.access_token, jwks, { issuer: gh.issuer, audience: ORDERS, typ: 'at+jwt' });
    assert.equal(first.payload.scope, 'orders:read');
    assert.ok(tokens.refresh_token);

    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token);
    const second = await jwtVerify(refreshed.access_token, jwks, { issuer: gh.issuer, audience: ORDERS, typ: 'at+jwt' });
    assert.equal(second.payload.scope, 'orders:read');
    assert.notEqual(second.payload.jti, first.payload.jti);
    await assert.rejects(oidc.fetchUserInfo(rp, refreshed.access_token, first.payload.sub!), 'a token for the API is no userinfo token');
  });

  test('a user grants a web app access to an API: consent lists the API scope, the token is for that API', async () => {
    await createUser(gh, 'api-user@example.com');
    const web = await createClient(gh, ['--name', 'Shop', '--grant', 'authorization_code', '--redirect-uri', REDIRECT, '--scope', 'openid orders:read']);
    const rp = await relyingParty(gh, web);
    const start = await startAuthorization(rp, REDIRECT, { scope: 'openid orders:read', resource: ORDERS });
    const browser = browserFor(REDIRECT);
    let page = await browser.request(start.url.href);
    page = await browser.submit(page, 'Sign in', { email: 'api-user@example.com', password: PASSWORD });
    assert.match(page.html, /orders:read/, 'the consent page names the API permission');
    const landed = await browser.submit(page, 'Allow');
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: gh.issuer, audience: ORDERS, typ: 'at+jwt' });
    assert.equal(payload.scope, 'orders:read');
    assert.equal(payload.client_id, web.client_id);
    assert.equal(payload.sub, tokens.claims()?.sub);

    await gh.cliJson(['resource', 'delete', ORDERS]);
    const again = await startAuthorization(rp, REDIRECT, { scope: 'openid orders:read', resource: ORDERS });
    const refused = new URL((await signInAndDecide(browserFor(REDIRECT), again.url, 'api-user@example.com')).url);
    assert.equal(refused.searchParams.get('error'), 'invalid_target', 'a deleted API gets no more tokens');
  });
});
