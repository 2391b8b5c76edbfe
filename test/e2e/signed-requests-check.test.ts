// Signed requests at the gateway check's own endpoints, as the gateways that forward the body call
// them (Traefik forwardAuth with forwardBody, Envoy ext_authz with with_request_body): the check
// verifies the body against Content-Digest itself. Also: a nonce is single-use across two
// instances on one database, signing secrets are stored encrypted under KEY_ENCRYPTION_SECRET,
// and without that secret every start warns that a database copy can sign requests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createClient, type CreatedClient } from '../support/relying-party.js';
import { queryRows } from '../support/database-rows.js';
import { contentDigestOf, signRequest, type SigningKey } from '../support/http-signature-signer.js';

interface CreatedKey {
  id: string;
  signing_secret: string;
}

const API = 'https://api.example.com/signed';
const KEY_ENCRYPTION_SECRET = 'key-encryption-secret-for-signed-requests-0123456789';
const WARNING = /signing secret\(s\) are stored unencrypted because KEY_ENCRYPTION_SECRET is not set/;

/** Traefik forwardAuth: the original request in X-Forwarded-*, with forwardBody its body too. */
function forwardAuth(gh: Gatehouse, method: string, url: string, headers: Record<string, string>, body?: string) {
  const original = new URL(url);
  return fetch(`${gh.issuer}/api/authz/forward-auth`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      'x-forwarded-method': method, 'x-forwarded-proto': original.protocol.slice(0, -1), 'x-forwarded-host': original.host,
      'x-forwarded-uri': original.pathname + original.search, ...headers,
    },
    body,
  });
}

/** Envoy ext_authz (HTTP service): the original method, path after the prefix, Host and, with with_request_body, the body. */
function extAuthz(gh: Gatehouse, method: string, url: string, headers: Record<string, string>, body?: string) {
  const original = new URL(url);
  return fetch(`${gh.issuer}/api/authz/ext-authz${original.pathname}${original.search}`, {
    method,
    headers: { 'x-forwarded-host': original.host, 'x-forwarded-proto': 'https', ...headers },
    body,
  });
}

const description = (response: Response) => /error_description="([^"]*)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1] ?? '';

async function setUp(gh: Gatehouse): Promise<{ service: CreatedClient; key: SigningKey }> {
  await gh.cliJson(['resource', 'create', '--identifier', API, '--scope', 'signed:write', '--require', 'signature']);
  const service = await createClient(gh, ['--name', 'body signer', '--grant', 'client_credentials', '--scope', 'signed:write']);
  const key = await gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', API]);
  return { service, key: { id: key.id, secret: key.signing_secret } };
}

describe('signed requests where the gateway forwards the body, and on two instances', () => {
  let a: Gatehouse;
  let b: Gatehouse;
  let key: SigningKey;

  before(async () => {
    a = await startGatehouse({ KEY_ENCRYPTION_SECRET });
    b = await startGatehouse({ DATABASE_URL: a.databaseUrl, KEY_ENCRYPTION_SECRET });
    ({ key } = await setUp(a));
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  for (const [dialect, check] of [['Traefik forwardBody', forwardAuth], ['Envoy with_request_body', extAuthz]] as const) {
    test(`${dialect}: the body must match Content-Digest`, async () => {
      const body = '{"amount":100,"to":"alice"}';
      const url = `${API}/transfers?currency=EUR`;
      const good = await check(a, 'POST', url, signRequest(key, { method: 'POST', url, body }), body);
      assert.equal(good.status, 200, description(good));
      assert.equal(good.headers.get('x-gatehouse-api-key-id'), key.id);

      const swapped = await check(a, 'POST', url, signRequest(key, { method: 'POST', url, body }), '{"amount":9999,"to":"mallory"}');
      assert.equal(swapped.status, 401);
      assert.equal(description(swapped), 'the body does not match its Content-Digest');

      const unsigned = await check(a, 'POST', url, signRequest(key, { method: 'POST', url, components: ['@method', '@authority', '@path', '@query'] }), body);
      assert.equal(unsigned.status, 401);
      assert.match(description(unsigned), /no Content-Digest header/);
    });
  }

  test('malformed signature headers are refused with a 401 that says what is wrong, never a 500', async () => {
    const url = `${API}/orders`;
    const good = signRequest(key, { method: 'GET', url });
    const now = Math.floor(Date.now() / 1000);
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'signature-input': 'sig1=(((', signature: good.signature }, /Signature-Input header is not a valid structured field/],
      [{ 'signature-input': good['signature-input'], signature: 'sig1=:not base64!:' }, /Signature header is not a valid structured field/],
      [{ 'signature-input': good['signature-input'] }, /no Signature header/],
      [{ 'signature-input': good['signature-input'], signature: 'sig1="not bytes"' }, /no byte sequence for sig1/],
      [{ 'signature-input': good['signature-input'], signature: 'other=:AAAA:' }, /no byte sequence for sig1/],
      [{ 'signature-input': 'sig1="@method"', signature: good.signature }, /must be an inner list/],
      [{ 'signature-input': 'sig1=("@method");created="yesterday";keyid="x"', signature: good.signature }, /created parameter must be an integer/],
      [{ 'signature-input': 'sig1=("@method" "@authority");created=1', signature: good.signature }, /no signature in Signature-Input has a keyid/],
      [{ 'signature-input': good['signature-input'].replace('"@method"', '"@method";sf'), signature: good.signature }, /component parameters/],
      [{ 'signature-input': good['signature-input'].replace('"@method"', '"@method" "@method"'), signature: good.signature }, /lists a component twice/],
      [{ 'signature-input': `sig1=("@method" "@authority" "@path" "@query" "@status");created=${now};nonce="s-${now}";keyid="${key.id}"`, signature: good.signature }, /@status is not supported/],
      [{ 'signature-input': `sig1=("@method" "@authority" "@path" "@query" "x-missing");created=${now};nonce="n-${now}";keyid="${key.id}"`, signature: good.signature }, /covers the x-missing header, which the request does not carry/],
      [signRequest(key, { method: 'GET', url, contentDigest: 'sha-256=:AAAA:' }), /sha-256 value must be a 32-byte byte sequence/],
      [signRequest(key, { method: 'GET', url, contentDigest: 'md5=:AAAA:' }), /Content-Digest header has no sha-256 value/],
    ];
    for (const [headers, expected] of cases) {
      const response = await forwardAuth(a, 'GET', url, headers);
      assert.equal(response.status, 401, JSON.stringify(headers));
      const json = (await response.json()) as { error: string; error_description: string };
      assert.equal(json.error, 'invalid_signature');
      assert.match(json.error_description, expected, JSON.stringify(headers));
      assert.equal(description(response), json.error_description);
    }
  });

  test('Envoy: a body cut at max_request_bytes cannot prove its digest', async () => {
    const body = '{"amount":100}';
    const url = `${API}/transfers`;
    const partial = await extAuthz(a, 'POST', url, { ...signRequest(key, { method: 'POST', url, body }), 'x-envoy-auth-partial-body': 'true' }, body);
    assert.equal(partial.status, 401);
    assert.match(description(partial), /only part of the body/);
  });

  test('a nonce used on one instance is refused on the other', async () => {
    const url = `${API}/orders`;
    const headers = signRequest(key, { method: 'GET', url });
    assert.equal((await forwardAuth(a, 'GET', url, headers)).status, 200);
    const replayed = await forwardAuth(b, 'GET', url, headers);
    assert.equal(replayed.status, 401);
    assert.match(description(replayed), /nonce was already used/);
    // And the other way round, with a fresh nonce.
    const fresh = signRequest(key, { method: 'GET', url });
    assert.equal((await forwardAuth(b, 'GET', url, fresh)).status, 200);
    assert.equal((await forwardAuth(a, 'GET', url, fresh)).status, 401);
  });

  test('the signing secret is stored encrypted under KEY_ENCRYPTION_SECRET, bound to its key', async () => {
    const [row] = await queryRows<{ signingSecret: string }>(a.databaseUrl, 'SELECT "signingSecret" FROM "ApiKey" WHERE "id" = ?', key.id);
    assert.ok(row);
    assert.match(row.signingSecret, /^enc:v1:/);
    assert.ok(!row.signingSecret.includes(key.secret));
    assert.doesNotMatch(a.output(), /signing secret\(s\)/, 'no warning when the secrets are encrypted');
  });
});

describe('signing secrets without KEY_ENCRYPTION_SECRET, and SIGNATURE_MAX_SKEW=60', () => {
  let gh: Gatehouse;

  before(async () => {
    gh = await startGatehouse({ SIGNATURE_MAX_SKEW: '60' });
  });
  after(async () => {
    await gh?.stop();
  });

  test('are stored as they are, work within the configured skew, and every start warns what a database copy exposes', async () => {
    assert.doesNotMatch(gh.output(), WARNING, 'no warning while there are no signing secrets');
    const { key } = await setUp(gh);
    const [row] = await queryRows<{ signingSecret: string }>(gh.databaseUrl, 'SELECT "signingSecret" FROM "ApiKey" WHERE "id" = ?', key.id);
    assert.equal(row?.signingSecret, key.secret);
    const url = `${API}/orders`;
    assert.equal((await forwardAuth(gh, 'GET', url, signRequest(key, { method: 'GET', url }))).status, 200);

    const now = Math.floor(Date.now() / 1000);
    const late = await forwardAuth(gh, 'GET', url, signRequest(key, { method: 'GET', url, created: now - 120 }));
    assert.equal(late.status, 401);
    assert.equal(description(late), 'the signature was created more than 60 s ago');
    assert.equal((await forwardAuth(gh, 'GET', url, signRequest(key, { method: 'GET', url, created: now - 30 }))).status, 200);

    await gh.restart();
    assert.match(gh.output(), WARNING);
    assert.match(gh.output(), /a copy of the database can sign requests as those keys/);
    assert.equal((await forwardAuth(gh, 'GET', url, signRequest(key, { method: 'GET', url }))).status, 200);
  });
});

test('the Content-Digest the test signer writes is RFC 9530 sha-256', () => {
  assert.equal(contentDigestOf('{"hello": "world"}'), 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
});
