// The calls every gateway test sends through a real gateway (nginx, Caddy) to a real Gatehouse and
// an upstream that echoes what it got: keys, JWT and opaque tokens, DPoP, limits, revocation and
// forged identity headers. Each gateway's test file runs them against its own gateway.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { startGatehouse, type Gatehouse } from './gatehouse-process.js';
import { startUpstream, type Echo, type Gateway, type Upstream } from './gateways.js';
import {
  browserFor, createClient, createUser, relyingParty, signInAndDecide, startAuthorization, type CreatedClient,
} from './relying-party.js';

type StartGateway = (gatehouse: string, upstream: string) => Promise<Gateway>;

interface CreatedKey {
  id: string;
  api_key: string;
}

const EMAIL = 'gateway-user@example.com';
const REDIRECT = 'http://127.0.0.1:9711/cb';
/** The check caches keys and policy for at most this long (the documented bound). */
const PROPAGATION_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The echo the upstream sent back, or undefined when the gateway answered itself. */
async function echoOf(response: Response): Promise<Echo | undefined> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as Partial<Echo>;
    return typeof body.method === 'string' && body.headers ? (body as Echo) : undefined;
  } catch {
    return undefined;
  }
}

/** The JSON error the caller got, checking it is one (not the upstream's echo, not an HTML page). */
async function errorOf(response: Response): Promise<{ error: string; error_description: string }> {
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(await response.text()) as { error: string; error_description: string; method?: string };
  assert.equal(body.method, undefined, 'answered by the gateway, not the upstream');
  assert.equal(typeof body.error, 'string');
  return body;
}

async function dpopProof(keys: { publicKey: CryptoKey; privateKey: CryptoKey }, method: string, url: string, accessToken: string, nonce?: string): Promise<string> {
  return new SignJWT({ htm: method, htu: url, jti: randomUUID(), ath: createHash('sha256').update(accessToken).digest('base64url'), ...(nonce ? { nonce } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
    .setIssuedAt()
    .sign(keys.privateKey);
}

export function gatewayScenarios(name: string, startGateway: StartGateway): void {
  describe(`${name} in front of an API, asking Gatehouse on every call`, () => {
    let gh: Gatehouse;
    let upstream: Upstream;
    let gateway: Gateway;
    let service: CreatedClient;
    let other: CreatedClient;
    /** APIs behind the gateway, by what they require. */
    let keyApi: string;
    let jwtApi: string;
    let opaqueApi: string;
    let bothApi: string;

    const call = (path: string, headers: Record<string, string> = {}, method = 'GET') => fetch(`${gateway.url}${path}`, { method, headers });

    const token = async (client: CreatedClient, resource: string, scope: string, options?: oidc.DPoPOptions) => {
      const rp = await relyingParty(gh, client);
      return (await oidc.clientCredentialsGrant(rp, { resource, scope }, options)).access_token;
    };

    before(async () => {
      gh = await startGatehouse();
      upstream = await startUpstream();
      gateway = await startGateway(gh.issuer, upstream.url);
      keyApi = `${gateway.url}/keyed`;
      jwtApi = `${gateway.url}/jwt`;
      opaqueApi = `${gateway.url}/opaque`;
      bothApi = `${gateway.url}/both`;
      await gh.cliJson(['resource', 'create', '--identifier', keyApi, '--scope', 'keyed:read keyed:write', '--require', 'api_key']);
      await gh.cliJson(['resource', 'create', '--identifier', jwtApi, '--scope', 'jwt:read jwt:admin']);
      await gh.cliJson(['resource', 'create', '--identifier', opaqueApi, '--scope', 'opaque:read', '--format', 'opaque']);
      await gh.cliJson(['resource', 'create', '--identifier', bothApi, '--scope', 'both:read', '--require', 'api_key,access_token']);
      await gh.cliJson(['resource', 'rule', 'add', jwtApi, '--path', '/jwt/admin/**', '--require', 'access_token', '--scope', 'jwt:admin']);
      const scopes = 'keyed:read keyed:write jwt:read opaque:read both:read';
      service = await createClient(gh, ['--name', `${name} service`, '--grant', 'client_credentials', '--scope', scopes]);
      other = await createClient(gh, ['--name', `${name} other`, '--grant', 'client_credentials', '--scope', scopes]);
      await createUser(gh, EMAIL);
    });
    after(async () => {
      await gateway?.stop();
      await upstream?.close();
      await gh?.stop();
    });

    test('no credentials: 401 with a challenge and the JSON error, and the upstream is never reached', async () => {
      const keyless = await call('/keyed/orders');
      assert.equal(keyless.status, 401);
      assert.match(keyless.headers.get('www-authenticate') ?? '', /^ApiKey /);
      assert.equal(keyless.headers.get('www-authenticate')?.includes(', ApiKey'), false, 'one challenge, not two');
      assert.deepEqual(await errorOf(keyless), { error: 'invalid_token', error_description: 'an API key is required in the X-API-Key header' });

      const tokenless = await call('/jwt/reports');
      assert.equal(tokenless.status, 401);
      assert.match(tokenless.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
      assert.equal((await errorOf(tokenless)).error, 'invalid_token');
    });

    test('a key in the query string is refused with a message to use the header', async () => {
      const key = await gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', keyApi]);
      for (const parameter of ['api_key', 'apikey', 'key']) {
        const response = await call(`/keyed/orders?${parameter}=${key.api_key}`);
        assert.equal(response.status, 401, parameter);
        assert.match(response.headers.get('www-authenticate') ?? '', /X-API-Key header/);
        assert.equal(await echoOf(response), undefined);
      }
      assert.doesNotMatch(gh.output(), new RegExp(key.api_key), 'the key is never logged');
    });

    test('a valid key: the upstream sees who is calling', async () => {
      const key = await gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', keyApi, '--scope', 'keyed:read']);
      const response = await call('/keyed/orders/42?x=1', { 'X-API-Key': key.api_key });
      assert.equal(response.status, 200);
      const echo = await echoOf(response);
      assert.ok(echo, 'the upstream answered');
      assert.equal(echo.url, '/keyed/orders/42?x=1');
      assert.equal(echo.headers['x-gatehouse-client-id'], service.client_id);
      assert.equal(echo.headers['x-gatehouse-api-key-id'], key.id);
      assert.equal(echo.headers['x-gatehouse-scope'], 'keyed:read');
      assert.equal(echo.headers['x-gatehouse-subject'], undefined);
    });

    test('a key for another API is refused with 403', async () => {
      const key = await gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', bothApi]);
      const response = await call('/keyed/orders', { 'X-API-Key': key.api_key });
      assert.equal(response.status, 403);
      assert.equal(await echoOf(response), undefined);
    });

    test('a URL no API covers is refused, never passed on', async () => {
      const key = await gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', keyApi]);
      const response = await call('/nothing-here', { 'X-API-Key': key.api_key });
      assert.equal(response.status, 403);
      assert.equal(await echoOf(response), undefined);
    });

    test('a revoked key, and a key rotated out, are refused within a second', async () => {
      const revoked = await gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', keyApi]);
      const rotated = await gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', keyApi]);
      assert.equal((await call('/keyed/a', { 'X-API-Key': revoked.api_key })).status, 200);
      assert.equal((await call('/keyed/a', { 'X-API-Key': rotated.api_key })).status, 200);

      const revokedCli = await gh.cli(['apikey', 'revoke', revoked.id]);
      assert.equal(revokedCli.code, 0, revokedCli.stderr);
      const replacement = await gh.cliJson<CreatedKey>(['apikey', 'rotate', rotated.id]);
      await sleep(PROPAGATION_MS);

      const afterRevoke = await call('/keyed/a', { 'X-API-Key': revoked.api_key });
      assert.equal(afterRevoke.status, 401);
      assert.match(afterRevoke.headers.get('www-authenticate') ?? '', /revoked/);
      assert.equal((await call('/keyed/a', { 'X-API-Key': rotated.api_key })).status, 401);
      const fresh = await call('/keyed/a', { 'X-API-Key': replacement.api_key });
      assert.equal(fresh.status, 200);
      assert.equal((await echoOf(fresh))?.headers['x-gatehouse-api-key-id'], replacement.id);
    });

    test('over the key\'s rate limit the caller sees 429 with Retry-After and RateLimit fields', async () => {
      const key = await gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', keyApi, '--rate-limit', '2/s']);
      const statuses: number[] = [];
      let throttled: Response | undefined;
      for (let i = 0; i < 6; i += 1) {
        const response = await call('/keyed/burst', { 'X-API-Key': key.api_key });
        statuses.push(response.status);
        if (response.status === 429) throttled ??= response;
        else await response.text();
      }
      assert.ok(statuses.filter((status) => status === 200).length <= 4, `at most two a second pass: ${statuses}`);
      assert.ok(throttled, `a call was throttled: ${statuses}`);
      assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
      assert.equal(throttled.headers.get('ratelimit-limit'), '2');
      assert.equal(throttled.headers.get('ratelimit-remaining'), '0');
      assert.ok(Number(throttled.headers.get('ratelimit-reset')) >= 1);
      assert.equal((await errorOf(throttled)).error, 'rate_limit_exceeded');
    });

    test('token-only API with JWT access tokens: the client, its scope, and a rule\'s scope', async () => {
      const jwt = await token(service, jwtApi, 'jwt:read');
      const response = await call('/jwt/reports', { authorization: `Bearer ${jwt}` });
      assert.equal(response.status, 200);
      const echo = await echoOf(response);
      assert.equal(echo?.headers['x-gatehouse-client-id'], service.client_id);
      assert.equal(echo?.headers['x-gatehouse-scope'], 'jwt:read');
      assert.equal(echo?.headers['x-gatehouse-api-key-id'], undefined);

      const admin = await call('/jwt/admin/users', { authorization: `Bearer ${jwt}` });
      assert.equal(admin.status, 403, 'the admin rule needs jwt:admin');
      assert.match(admin.headers.get('www-authenticate') ?? '', /^Bearer .*error="insufficient_scope".*scope="jwt:admin"/);
      assert.deepEqual(await errorOf(admin), { error: 'insufficient_scope', error_description: 'this call needs the scope jwt:admin' });

      const forOtherApi = await token(service, opaqueApi, 'opaque:read');
      assert.equal((await call('/jwt/reports', { authorization: `Bearer ${forOtherApi}` })).status, 403);
      const tampered = `${jwt.slice(0, -4)}AAAA`;
      assert.equal((await call('/jwt/reports', { authorization: `Bearer ${tampered}` })).status, 401);
    });

    test('a user\'s JWT access token names the user upstream', async () => {
      const app = await createClient(gh, ['--name', `${name} web`, '--grant', 'authorization_code', '--redirect-uri', REDIRECT, '--scope', 'jwt:read']);
      const rp = await relyingParty(gh, app);
      const start = await startAuthorization(rp, REDIRECT, { scope: 'openid jwt:read', resource: jwtApi });
      const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL);
      const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce }, { resource: jwtApi });
      const echo = await echoOf(await call('/jwt/me', { authorization: `Bearer ${tokens.access_token}` }));
      assert.ok(echo, 'the upstream answered');
      assert.equal(echo.headers['x-gatehouse-subject'], tokens.claims()?.sub);
      assert.equal(echo.headers['x-gatehouse-client-id'], app.client_id);
    });

    test('token-only API with opaque access tokens, refused within a second of its revocation', async () => {
      const opaque = await token(service, opaqueApi, 'opaque:read');
      assert.equal(opaque.split('.').length, 1, 'an opaque token');
      const response = await call('/opaque/items', { authorization: `Bearer ${opaque}` });
      assert.equal(response.status, 200);
      assert.equal((await echoOf(response))?.headers['x-gatehouse-client-id'], service.client_id);

      const rp = await relyingParty(gh, service);
      await oidc.tokenRevocation(rp, opaque);
      await sleep(PROPAGATION_MS);
      const revoked = await call('/opaque/items', { authorization: `Bearer ${opaque}` });
      assert.equal(revoked.status, 401);
      assert.match(revoked.headers.get('www-authenticate') ?? '', /invalid_token/);
    });

    test('a JWT revoked at /token/revocation is refused within a second, though checked offline', async () => {
      const jwt = await token(service, jwtApi, 'jwt:read');
      const before = await call('/jwt/reports', { authorization: `Bearer ${jwt}` });
      assert.equal(before.status, 200);
      await before.text();
      await oidc.tokenRevocation(await relyingParty(gh, service), jwt);
      await sleep(PROPAGATION_MS);
      const revoked = await call('/jwt/reports', { authorization: `Bearer ${jwt}` });
      assert.equal(revoked.status, 401);
      assert.match(revoked.headers.get('www-authenticate') ?? '', /error="invalid_token".*has been revoked/);
      assert.equal((await errorOf(revoked)).error_description, 'the access token has been revoked');
    });

    test('an API wanting key and token: both, from the same application', async () => {
      const key = await gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', bothApi]);
      const own = await token(service, bothApi, 'both:read');
      const foreign = await token(other, bothApi, 'both:read');
      assert.equal((await call('/both/x', { 'X-API-Key': key.api_key })).status, 401);
      assert.equal((await call('/both/x', { authorization: `Bearer ${own}` })).status, 401);
      assert.equal((await call('/both/x', { 'X-API-Key': key.api_key, authorization: `Bearer ${foreign}` })).status, 401);
      const both = await call('/both/x', { 'X-API-Key': key.api_key, authorization: `Bearer ${own}` });
      assert.equal(both.status, 200);
      const echo = await echoOf(both);
      assert.equal(echo?.headers['x-gatehouse-api-key-id'], key.id);
      assert.equal(echo?.headers['x-gatehouse-scope'], 'both:read');
    });

    test('a DPoP-bound token passes with a proof for the call, and fails as Bearer', async () => {
      const keys = await generateKeyPair('ES256', { extractable: true });
      const rp = await relyingParty(gh, service);
      const bound = await token(service, jwtApi, 'jwt:read', { DPoP: oidc.getDPoPHandle(rp, keys) });
      const url = `${gateway.url}/jwt/reports?page=2`;

      const asBearer = await call('/jwt/reports?page=2', { authorization: `Bearer ${bound}` });
      assert.equal(asBearer.status, 401);
      assert.match(asBearer.headers.get('www-authenticate') ?? '', /^DPoP /);

      // The first proof has no nonce: the check answers with one, which the gateway passes on.
      const first = await call('/jwt/reports?page=2', { authorization: `DPoP ${bound}`, dpop: await dpopProof(keys, 'GET', url, bound) });
      assert.equal(first.status, 401);
      assert.match(first.headers.get('www-authenticate') ?? '', /use_dpop_nonce/);
      const nonce = first.headers.get('dpop-nonce');
      assert.ok(nonce, 'the caller gets the DPoP nonce');

      const proof = await dpopProof(keys, 'GET', url, bound, nonce);
      const passed = await call('/jwt/reports?page=2', { authorization: `DPoP ${bound}`, dpop: proof });
      assert.equal(passed.status, 200);
      assert.equal((await echoOf(passed))?.headers['x-gatehouse-client-id'], service.client_id);

      assert.equal((await call('/jwt/reports?page=2', { authorization: `DPoP ${bound}`, dpop: proof })).status, 401, 'a proof is good once');
      const wrongMethod = await call('/jwt/reports?page=2', { authorization: `DPoP ${bound}`, dpop: await dpopProof(keys, 'POST', url, bound, nonce) });
      assert.equal(wrongMethod.status, 401, 'a proof for another method');
      const wrongUrl = await call('/jwt/reports?page=2', { authorization: `DPoP ${bound}`, dpop: await dpopProof(keys, 'GET', `${gateway.url}/jwt/other`, bound, nonce) });
      assert.equal(wrongUrl.status, 401, 'a proof for another URL');
      const thief = await generateKeyPair('ES256', { extractable: true });
      assert.equal((await call('/jwt/reports?page=2', { authorization: `DPoP ${bound}`, dpop: await dpopProof(thief, 'GET', url, bound, nonce) })).status, 401, 'a proof from another key');
    });

    test('forged X-Gatehouse-* headers from the caller never reach the upstream', async () => {
      const key = await gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', keyApi]);
      const forged = {
        'X-Gatehouse-Client-Id': 'forged-client',
        'X-Gatehouse-Subject': 'forged-user',
        'X-Gatehouse-Scope': 'keyed:admin',
        'X-Gatehouse-Api-Key-Id': 'forged-key',
      };
      const echo = await echoOf(await call('/keyed/orders', { ...forged, 'X-API-Key': key.api_key }));
      assert.ok(echo, 'the upstream answered');
      assert.equal(echo.headers['x-gatehouse-client-id'], service.client_id);
      assert.equal(echo.headers['x-gatehouse-api-key-id'], key.id);
      assert.equal(echo.headers['x-gatehouse-scope'], 'keyed:read keyed:write');
      assert.equal(echo.headers['x-gatehouse-subject'], undefined, 'no user behind a key: no subject at all');
      assert.doesNotMatch(JSON.stringify(echo.headers), /forged|\{http\./);

      // Nor can a caller point the check at another URL than the one it calls.
      const redirected = await call('/nothing-here', { 'X-API-Key': key.api_key, 'X-Original-URL': `${keyApi}/orders`, 'X-Forwarded-Uri': '/keyed/orders' });
      assert.equal(redirected.status, 403);
    });
  });
}
