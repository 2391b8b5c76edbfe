// Dynamic client registration (RFC 7591) with initial access tokens, management by registration
// access token (RFC 7592), open registration with its rate limit, and the metadata documents.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { queryRows } from '../support/database-rows.js';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { oauthError } from '../support/oauth-error.js';
import { browserFor, createUser, signInAndDecide, startAuthorization } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9720/cb';
const EMAIL = 'registered@example.com';
const insecure = { execute: [oidc.allowInsecureRequests] };

type Registered = { client_id: string; client_secret?: string; registration_access_token: string; registration_client_uri: string };

async function register(gh: Gatehouse, metadata: Record<string, unknown>, token?: string): Promise<Response> {
  return fetch(`${gh.issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(metadata),
  });
}

async function iat(gh: Gatehouse, args: string[] = []): Promise<string> {
  return (await gh.cliJson<{ initial_access_token: string }>(['iat', 'create', ...args])).initial_access_token;
}

describe('dynamic client registration with initial access tokens', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse({ REGISTRATION_RATE_LIMIT: '100' });
    await createUser(gh, EMAIL);
    await gh.cliJson(['resource', 'create', '--identifier', 'https://mcp.example.com', '--scope', 'tools:call']);
  });
  after(async () => gh?.stop());

  test('discovery and RFC 8414 metadata advertise registration, PAR, DPoP and back-channel logout', async () => {
    const openid = (await (await fetch(`${gh.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const oauth = await fetch(`${gh.issuer}/.well-known/oauth-authorization-server`);
    assert.equal(oauth.status, 200);
    assert.deepEqual(await oauth.json(), openid);
    assert.equal(openid.issuer, gh.issuer);
    assert.equal(openid.registration_endpoint, `${gh.issuer}/reg`);
    assert.equal(openid.pushed_authorization_request_endpoint, `${gh.issuer}/request`);
    assert.ok(Array.isArray(openid.dpop_signing_alg_values_supported));
    assert.equal(openid.backchannel_logout_supported, true);
    assert.equal(openid.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(openid.response_types_supported, ['code']);
    assert.deepEqual(openid.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(openid.grant_types_supported, ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code']);
    assert.deepEqual(openid.scopes_supported, ['openid', 'profile', 'email', 'offline_access', 'tools:call'], 'API scopes are listed too');
    assert.equal(openid.require_pushed_authorization_requests, undefined, 'PAR is on but only required per client');
  });

  test('a client registers with openid-client, signs a user in, and its secret is stored only as a hash', async () => {
    const token = await iat(gh);
    const config = await oidc.dynamicClientRegistration(new URL(gh.issuer), {
      client_name: 'Registered web app', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid email offline_access tools:call',
    }, undefined, { initialAccessToken: token, ...insecure });
    const metadata = config.clientMetadata() as unknown as Registered & { api_scope?: string; scope?: string };
    assert.match(metadata.client_id, /^[A-Za-z0-9]{24}$/);
    assert.ok(metadata.client_secret && metadata.registration_access_token);
    assert.equal(metadata.api_scope, 'tools:call');

    const elsewhere = await startAuthorization(config, `${REDIRECT}/other`, { scope: 'openid email' });
    const refused = await browserFor(REDIRECT).request(elsewhere.url.href);
    assert.equal(refused.status, 400, 'a redirect_uri that is not exactly the registered one gets an error page, no redirect');
    assert.match(refused.html, /redirect_uri/);

    const start = await startAuthorization(config, REDIRECT, { scope: 'openid email' });
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    assert.ok(tokens.claims()?.sub);

    await gh.halt();
    try {
      const [row] = await queryRows<{ metadata: string; secretHash: string }>(gh.databaseUrl, 'SELECT "metadata", "secretHash" FROM "Client" WHERE "id" = ?', metadata.client_id);
      assert.ok(!row.metadata.includes(metadata.client_secret!), 'no clear secret in the client row');
      assert.match(row.secretHash, /^sha256:/);
      assert.equal((JSON.parse(row.metadata) as { client_secret: string }).client_secret, row.secretHash);
      const dump = JSON.stringify(await queryRows(gh.databaseUrl, 'SELECT * FROM "OidcPayload"'));
      assert.ok(!dump.includes(metadata.registration_access_token) && !dump.includes(token), 'registration and initial access tokens are sealed');
    } finally {
      await gh.restart();
    }
    const again = await oidc.discovery(new URL(gh.issuer), metadata.client_id, metadata.client_secret, undefined, insecure);
    assert.equal((await oidc.tokenIntrospection(again, tokens.access_token)).active, true, 'the clear secret authenticates against the hash');
    const wrong = await oidc.discovery(new URL(gh.issuer), metadata.client_id, `${metadata.client_secret}x`, undefined, insecure);
    await assert.rejects(oidc.tokenIntrospection(wrong, tokens.access_token), (err: Error) => oauthError(err) === 'invalid_client');
  });

  test('the registration access token reads, updates and deletes the client; the hash is never shown', async () => {
    const created = (await (await register(gh, { client_name: 'Managed', redirect_uris: [REDIRECT] }, await iat(gh))).json()) as Registered;
    const auth = (rat: string) => ({ authorization: `Bearer ${rat}` });
    const read = await fetch(created.registration_client_uri, { headers: auth(created.registration_access_token) });
    assert.equal(read.status, 200);
    const readBody = (await read.json()) as Record<string, unknown>;
    assert.equal(readBody.client_name, 'Managed');
    assert.equal(readBody.client_secret, undefined, 'neither the secret nor its hash is returned');

    const update = await fetch(created.registration_client_uri, {
      method: 'PUT',
      headers: { ...auth(created.registration_access_token), 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: created.client_id, client_name: 'Managed v2', redirect_uris: [REDIRECT, 'https://app.example.com/cb'] }),
    });
    assert.equal(update.status, 200);
    const updated = (await update.json()) as Registered & { client_name: string; redirect_uris: string[] };
    assert.equal(updated.client_name, 'Managed v2');
    assert.equal(updated.client_secret, undefined);
    assert.notEqual(updated.registration_access_token, created.registration_access_token, 'the token rotates on update');
    const secretStillWorks = await fetch(`${gh.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${created.client_id}:${created.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.notEqual(((await secretStillWorks.json()) as { error?: string }).error, 'invalid_client', 'the update kept the secret');

    const badUpdate = await fetch(created.registration_client_uri, {
      method: 'PUT',
      headers: { ...auth(updated.registration_access_token), 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: created.client_id, redirect_uris: ['http://evil.example.com/cb'] }),
    });
    assert.equal(badUpdate.status, 400);
    assert.equal(((await badUpdate.json()) as { error: string }).error, 'invalid_redirect_uri');

    assert.equal((await fetch(created.registration_client_uri, { headers: auth(created.registration_access_token) })).status, 401, 'the old token is gone');
    const removed = await fetch(created.registration_client_uri, { method: 'DELETE', headers: auth(updated.registration_access_token) });
    assert.equal(removed.status, 204);
    assert.equal((await gh.cli(['client', 'show', created.client_id])).code, 1);
  });

  test('a client that deletes itself loses the tokens it was issued', async () => {
    const job = (await (await register(gh, { client_name: 'Job', grant_types: ['client_credentials'] }, await iat(gh))).json()) as Registered;
    const config = await oidc.discovery(new URL(gh.issuer), job.client_id, job.client_secret, undefined, insecure);
    const { access_token: token } = await oidc.clientCredentialsGrant(config);
    const rs = await gh.cliJson<{ client_id: string; client_secret: string }>(['client', 'create', '--name', 'RS', '--grant', 'client_credentials']);
    const rsConfig = await oidc.discovery(new URL(gh.issuer), rs.client_id, rs.client_secret, undefined, insecure);
    assert.equal((await oidc.tokenIntrospection(rsConfig, token)).active, true);
    const removed = await fetch(job.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${job.registration_access_token}` } });
    assert.equal(removed.status, 204);
    assert.equal((await oidc.tokenIntrospection(rsConfig, token)).active, false);
  });

  test('registration without a valid initial access token is refused', async () => {
    const metadata = { client_name: 'Sneaky', redirect_uris: [REDIRECT] };
    for (const token of [undefined, 'not-a-token']) {
      const response = await register(gh, metadata, token);
      assert.equal(response.status, 401, String(token));
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_token');
    }
    await assert.rejects(oidc.dynamicClientRegistration(new URL(gh.issuer), metadata, undefined, { initialAccessToken: 'wrong', ...insecure }),
      (err: Error) => oauthError(err) === 'invalid_token');
  });

  test('an initial access token with --uses stops working after that many registrations', async () => {
    const token = await iat(gh, ['--uses', '2', '--expires', '1h']);
    assert.equal((await register(gh, { client_name: 'Typo', redirect_uris: ['http://typo.example.com/cb'] }, token)).status, 400);
    assert.equal((await register(gh, { client_name: 'Use 1', redirect_uris: [REDIRECT] }, token)).status, 201, 'a refused request spent no use');
    assert.equal((await register(gh, { client_name: 'Use 2', redirect_uris: [REDIRECT] }, token)).status, 201);
    const spent = await register(gh, { client_name: 'Use 3', redirect_uris: [REDIRECT] }, token);
    assert.equal(spent.status, 401);
    assert.equal(((await spent.json()) as { error: string }).error, 'invalid_token');

    const once = await iat(gh, ['--uses', '1']);
    const racing = await Promise.all(Array.from({ length: 5 }, (_, i) => register(gh, { client_name: `Race ${i}`, redirect_uris: [REDIRECT] }, once)));
    assert.deepEqual(racing.map((r) => r.status).sort(), [201, 401, 401, 401, 401], 'concurrent registrations never share the last use');
    for (const [args, message] of [[['--uses', '0'], /--uses/], [['--expires', 'soon'], /--expires/], [['--expires', '10s'], /between/]] as const) {
      const result = await gh.cli(['iat', 'create', ...args]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
    }
  });

  test('registration metadata follows the same rules as the CLI', async () => {
    const token = await iat(gh);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ redirect_uris: ['http://app.example.com/cb'] }, 'invalid_redirect_uri', /https/],
      [{ redirect_uris: ['https://*.example.com/cb'] }, 'invalid_redirect_uri', /wildcards/],
      [{ redirect_uris: ['https://app.example.com/cb#x'] }, 'invalid_redirect_uri', /fragment/],
      [{ redirect_uris: [REDIRECT], grant_types: ['implicit'] }, 'invalid_client_metadata', /implicit/],
      [{ redirect_uris: [REDIRECT], response_types: ['token'] }, 'invalid_client_metadata', /implicit/],
      [{ redirect_uris: [REDIRECT], grant_types: ['password'] }, 'invalid_client_metadata', /password/],
      [{ redirect_uris: [REDIRECT], scope: 'openid admin' }, 'invalid_client_metadata', /unknown scope "admin"/],
      [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, 'invalid_client_metadata', /public client/],
      [{ redirect_uris: 'https://app.example.com/cb' }, 'invalid_client_metadata', /array/],
    ];
    for (const [metadata, error, description] of cases) {
      const response = await register(gh, { client_name: 'Bad', ...metadata }, token);
      assert.equal(response.status, 400, JSON.stringify(metadata));
      const body = (await response.json()) as { error: string; error_description: string };
      assert.equal(body.error, error, JSON.stringify(metadata));
      assert.match(body.error_description, description);
    }
    const broken = await fetch(`${gh.issuer}/reg`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"client_name":' });
    assert.equal(broken.status, 400);

    const native = (await (await register(gh, {
      client_name: 'Native', redirect_uris: ['com.example.app:/cb', 'http://127.0.0.1/cb'], token_endpoint_auth_method: 'none',
    }, token)).json()) as Registered & { application_type: string };
    assert.equal(native.application_type, 'native');
    assert.equal(native.client_secret, undefined);
  });
});

describe('open registration', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse({ OPEN_REGISTRATION: 'true', REGISTRATION_RATE_LIMIT: '3' });
  });
  after(async () => gh?.stop());

  test('an MCP-style public client registers without a token, until the per-address limit', async () => {
    const config = await oidc.dynamicClientRegistration(new URL(gh.issuer), {
      client_name: 'Agent', redirect_uris: ['http://127.0.0.1:33418/callback'], token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'], scope: 'openid offline_access',
    }, oidc.None(), insecure);
    assert.equal(config.clientMetadata().token_endpoint_auth_method, 'none');
    assert.equal((await register(gh, { client_name: 'Second', redirect_uris: [REDIRECT] })).status, 201);
    assert.equal((await register(gh, { client_name: 'Bad', redirect_uris: ['http://x.example.com/'] })).status, 400, 'refused attempts count too');
    const limited = await register(gh, { client_name: 'Fourth', redirect_uris: [REDIRECT] });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3600');
    assert.equal(((await limited.json()) as { error: string }).error, 'temporarily_unavailable');
  });
});
