// Envoy's HTTP ext_authz dialect, asked exactly as Envoy asks (Envoy itself is not packaged for
// Debian): the original method, the check's path prefix followed by the original path and query,
// the original Host, Content-Length 0 and no body, plus the headers docs/gateways.md allows
// through (Authorization, X-API-Key, DPoP, X-Forwarded-Proto). Envoy copies the allowed answer's
// headers upstream, and sends a refusal's status, headers and body to the caller as they are.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createClient, relyingParty, type CreatedClient } from '../support/relying-party.js';

const HOST = 'api.example.com';
const ORDERS = `https://${HOST}/orders`;
const ROOT_API = 'https://root.example.com';

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

/** One ext_authz check as Envoy's HTTP service sends it. */
function envoyCheck(gh: Gatehouse, method: string, host: string, originalPath: string, headers: Record<string, string> = {}): Promise<Answer> {
  const target = new URL(gh.url);
  return new Promise((resolve, reject) => {
    const req = request({
      host: target.hostname,
      port: target.port,
      method,
      path: `/api/authz/ext-authz${originalPath}`,
      headers: { host, 'content-length': '0', 'x-forwarded-proto': 'https', 'x-request-id': randomUUID(), ...headers },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

async function dpopProof(keys: { publicKey: CryptoKey; privateKey: CryptoKey }, method: string, url: string, accessToken: string, nonce?: string): Promise<string> {
  return new SignJWT({ htm: method, htu: url, jti: randomUUID(), ath: createHash('sha256').update(accessToken).digest('base64url'), ...(nonce ? { nonce } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
    .setIssuedAt()
    .sign(keys.privateKey);
}

describe("Envoy's HTTP ext_authz dialect, asked as Envoy asks", () => {
  let gh: Gatehouse;
  let shop: CreatedClient;
  let key: { id: string; api_key: string };

  before(async () => {
    gh = await startGatehouse();
    await gh.cliJson(['resource', 'create', '--identifier', ORDERS, '--scope', 'orders:read orders:write', '--require', 'api_key']);
    await gh.cliJson(['resource', 'rule', 'add', ORDERS, '--path', '/orders/admin/**', '--require', 'access_token', '--scope', 'orders:write']);
    await gh.cliJson(['resource', 'create', '--identifier', ROOT_API, '--scope', 'root:read']);
    shop = await createClient(gh, ['--name', 'Shop', '--grant', 'client_credentials', '--scope', 'orders:read orders:write root:read']);
    key = await gh.cliJson(['apikey', 'create', '--client', shop.client_id, '--resource', ORDERS, '--rate-limit', '2/s']);
  });
  after(async () => {
    await gh?.stop();
  });

  test('an allowed call: 200 with the identity headers, for any original method, path and query', async () => {
    for (const method of ['GET', 'POST', 'DELETE', 'PATCH']) {
      const answer = await envoyCheck(gh, method, HOST, '/orders/42?expand=lines', { 'x-api-key': key.api_key });
      assert.equal(answer.status, 200, `${method}: ${answer.body}`);
      assert.equal(answer.headers['x-gatehouse-client-id'], shop.client_id);
      assert.equal(answer.headers['x-gatehouse-api-key-id'], key.id);
      assert.equal(answer.headers['x-gatehouse-scope'], 'orders:read orders:write');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });

  test('the original Host decides the API: another host is refused (403), never allowed', async () => {
    const answer = await envoyCheck(gh, 'GET', 'evil.example.com', '/orders/42', { 'x-api-key': key.api_key });
    assert.equal(answer.status, 403);
    assert.equal((JSON.parse(answer.body) as { error: string }).error, 'insufficient_scope');
  });

  test("refusals carry what the caller needs, as Envoy passes them on: 401 challenge and JSON, 403 scope", async () => {
    const missing = await envoyCheck(gh, 'GET', HOST, '/orders/42');
    assert.equal(missing.status, 401);
    assert.match(String(missing.headers['www-authenticate']), /^ApiKey .*error="invalid_token"/);
    assert.match(String(missing.headers['content-type']), /^application\/json/);
    assert.equal((JSON.parse(missing.body) as { error: string }).error, 'invalid_token');

    const rp = await relyingParty(gh, shop);
    const readOnly = (await oidc.clientCredentialsGrant(rp, { resource: ORDERS, scope: 'orders:read' })).access_token;
    const admin = await envoyCheck(gh, 'POST', HOST, '/orders/admin/refunds', { authorization: `Bearer ${readOnly}` });
    assert.equal(admin.status, 403);
    assert.match(String(admin.headers['www-authenticate']), /^Bearer .*error="insufficient_scope".*scope="orders:write"/);

    const inQuery = await envoyCheck(gh, 'GET', HOST, `/orders/42?api_key=${key.api_key}`);
    assert.equal(inQuery.status, 401);
    assert.match(inQuery.body, /X-API-Key header/);
  });

  test('over the limit: 429 with Retry-After and the RateLimit fields', async () => {
    let throttled: Answer | undefined;
    for (let i = 0; i < 6 && !throttled; i += 1) {
      const answer = await envoyCheck(gh, 'GET', HOST, '/orders', { 'x-api-key': key.api_key });
      if (answer.status === 429) throttled = answer;
    }
    assert.ok(throttled, 'a call was throttled');
    assert.ok(Number(throttled.headers['retry-after']) >= 1);
    assert.equal(throttled.headers['ratelimit-limit'], '2');
    assert.equal(throttled.headers['ratelimit-remaining'], '0');
    assert.equal((JSON.parse(throttled.body) as { error: string }).error, 'rate_limit_exceeded');
  });

  test('the root path, and a DPoP proof for the original https URL the caller used', async () => {
    const keys = await generateKeyPair('ES256', { extractable: true });
    const rp = await relyingParty(gh, shop);
    const bound = (await oidc.clientCredentialsGrant(rp, { resource: ROOT_API, scope: 'root:read' }, { DPoP: oidc.getDPoPHandle(rp, keys) })).access_token;
    const first = await envoyCheck(gh, 'GET', 'root.example.com', '/', { authorization: `DPoP ${bound}`, dpop: await dpopProof(keys, 'GET', `${ROOT_API}/`, bound) });
    assert.equal(first.status, 401);
    const nonce = String(first.headers['dpop-nonce']);
    assert.ok(nonce, 'a DPoP nonce for the caller');
    const passed = await envoyCheck(gh, 'GET', 'root.example.com', '/', { authorization: `DPoP ${bound}`, dpop: await dpopProof(keys, 'GET', `${ROOT_API}/`, bound, nonce) });
    assert.equal(passed.status, 200, passed.body);
    assert.equal(passed.headers['x-gatehouse-client-id'], shop.client_id);

    const plainHttp = await envoyCheck(gh, 'GET', 'root.example.com', '/', {
      authorization: `DPoP ${bound}`, dpop: await dpopProof(keys, 'GET', `${ROOT_API}/`, bound, nonce), 'x-forwarded-proto': 'http',
    });
    assert.equal(plainHttp.status, 403, 'http://root.example.com is not the registered https API');
  });
});
