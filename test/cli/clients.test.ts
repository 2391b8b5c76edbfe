// `gatehouse client ...` run as the real command: the metadata it stores, the secrets it shows once
// and never stores, and the clients it refuses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashClientSecret } from '../../src/oidc/client-secrets.js';
import { assertFails, createSandbox, type CliSandbox } from './harness.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jwksOf, selfSigned } from '../support/certificates.js';

const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

const CLIENT_KEYS = [
  'application_type', 'client_id', 'client_name', 'created_at', 'grant_types', 'post_logout_redirect_uris',
  'redirect_uris', 'response_types', 'scope', 'token_endpoint_auth_method', 'updated_at',
];

describe('gatehouse client', () => {
  let cli: CliSandbox;
  before(async () => {
    cli = await createSandbox();
  });
  after(async () => cli?.close());

  async function storedRow(id: string) {
    const [row] = await cli.query<{ name: string; metadata: string; secretHash: string | null }>(
      'SELECT "name", "metadata", "secretHash" FROM "Client" WHERE "id" = ?', id,
    );
    assert.ok(row, `client ${id} is stored`);
    return { ...row, metadata: JSON.parse(row.metadata) as Record<string, unknown> };
  }

  test('a confidential web client: metadata, and a secret shown once and stored only as a hash', async () => {
    const created = await cli.json([
      'client', 'create', '--name', 'Web App', '--grant', 'authorization_code', '--grant', 'refresh_token',
      '--redirect-uri', 'https://app.example.com/callback', '--post-logout-redirect-uri', 'https://app.example.com/',
    ]);
    assert.deepEqual(Object.keys(created).sort(), [...CLIENT_KEYS, 'client_secret'].sort());
    assert.match(created.client_id, /^[A-Za-z0-9]{24}$/, 'alphanumeric, so it never reads as an option');
    assert.match(created.client_secret, /^[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');
    assert.equal(created.client_name, 'Web App');
    assert.deepEqual(created.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(created.response_types, ['code']);
    assert.deepEqual(created.redirect_uris, ['https://app.example.com/callback']);
    assert.deepEqual(created.post_logout_redirect_uris, ['https://app.example.com/']);
    assert.equal(created.token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(created.application_type, 'web');
    assert.equal(created.scope, 'openid profile email offline_access');

    const row = await storedRow(created.client_id);
    const hash = hashClientSecret(created.client_secret);
    assert.equal(row.secretHash, hash);
    assert.equal(row.name, 'Web App');
    assert.deepEqual(row.metadata, {
      client_id: created.client_id,
      client_name: 'Web App',
      application_type: 'web',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['https://app.example.com/callback'],
      post_logout_redirect_uris: ['https://app.example.com/'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid profile email offline_access',
      client_secret: hash,
    });

    assert.ok(!(await cli.dumpDatabase()).includes(created.client_secret), 'no table holds the secret');
    assert.ok(!(await cli.rawDatabase()).includes(created.client_secret), 'the database files do not hold the secret');

    for (const args of [['client', 'show', created.client_id], ['client', 'list']]) {
      for (const json of [true, false]) {
        const result = await cli.run(json ? [...args, '--json'] : args);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, new RegExp(created.client_id));
        assert.ok(!result.stdout.includes(created.client_secret), `${args.join(' ')} does not print the secret`);
        assert.ok(!result.stdout.includes(hash) && !result.stdout.includes('sha256:'), `${args.join(' ')} does not print the hash`);
        assert.doesNotMatch(result.stdout, /"client_secret"|client_secret:/);
      }
    }
  });

  test('the human summary of create shows the secret once with a warning', async () => {
    const result = await cli.run(['client', 'create', '--name', 'Human', '--grant', 'client_credentials']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /client_secret: +[A-Za-z0-9_-]{43}\n/);
    assert.match(result.stdout, /shown only once/);
  });

  test('a public native client with a loopback redirect URI has no secret and is native', async () => {
    const created = await cli.json([
      'client', 'create', '--name', 'Desktop', '--public', '--grant', 'authorization_code', '--grant', 'refresh_token',
      '--redirect-uri', 'http://127.0.0.1:8400/callback', '--redirect-uri', 'http://[::1]:8400/callback',
      '--redirect-uri', 'http://localhost/callback',
    ]);
    assert.deepEqual(Object.keys(created).sort(), CLIENT_KEYS);
    assert.equal(created.token_endpoint_auth_method, 'none');
    assert.equal(created.application_type, 'native');
    const row = await storedRow(created.client_id);
    assert.equal(row.secretHash, null);
    assert.equal('client_secret' in row.metadata, false);
  });

  test('a confidential client on loopback stays a web client', async () => {
    const created = await cli.json([
      'client', 'create', '--name', 'Web app in development', '--grant', 'authorization_code', '--redirect-uri', 'http://localhost:3000/callback',
    ]);
    assert.equal(created.application_type, 'web');
    assert.equal(created.token_endpoint_auth_method, 'client_secret_basic');
  });

  test('a private-use scheme makes a native client; https alone a web client (SPA)', async () => {
    const mobile = await cli.json([
      'client', 'create', '--name', 'Mobile', '--public', '--grant', 'authorization_code', '--redirect-uri', 'com.example.app:/oauth2redirect',
    ]);
    assert.equal(mobile.application_type, 'native');
    assert.equal(mobile.scope, 'openid profile email', 'no offline_access without refresh_token');
    const spa = await cli.json([
      'client', 'create', '--name', 'SPA', '--public', '--grant', 'authorization_code', '--redirect-uri', 'https://spa.example.com/cb',
    ]);
    assert.equal(spa.application_type, 'web');
    assert.equal(spa.token_endpoint_auth_method, 'none');
  });

  test('a client_credentials-only client has no redirect URIs, response types or scope', async () => {
    const created = await cli.json(['client', 'create', '--name', 'Nightly job', '--grant', 'client_credentials']);
    assert.deepEqual(created.grant_types, ['client_credentials']);
    assert.deepEqual(created.response_types, []);
    assert.deepEqual(created.redirect_uris, []);
    assert.equal(created.scope, '');
    assert.equal('scope' in (await storedRow(created.client_id)).metadata, false, 'oidc-provider refuses an empty scope string');
    assert.ok(created.client_secret);
  });

  test('device_code is accepted as an alias of the device grant URN', async () => {
    const created = await cli.json(['client', 'create', '--name', 'TV', '--public', '--grant', 'device_code', '--grant', 'refresh_token']);
    assert.deepEqual(created.grant_types, ['refresh_token', DEVICE_CODE]);
    assert.deepEqual(created.response_types, []);
    assert.equal(created.scope, 'openid profile email offline_access');
    const urn = await cli.json(['client', 'create', '--name', 'TV 2', '--public', '--grant', DEVICE_CODE]);
    assert.deepEqual(urn.grant_types, [DEVICE_CODE]);
  });

  test('an explicit scope is kept', async () => {
    const created = await cli.json([
      'client', 'create', '--name', 'Scoped', '--grant', 'authorization_code', '--redirect-uri', 'https://a.example.com/cb', '--scope', 'openid  email',
    ]);
    assert.equal(created.scope, 'openid email');
  });

  const refused: [string, string[], RegExp][] = [
    ['an unknown grant', ['--grant', 'magic'], /unknown grant type "magic"/],
    ['the implicit grant', ['--grant', 'implicit', '--redirect-uri', 'https://a.example.com/cb'], /implicit grant is not supported/],
    ['the password grant', ['--grant', 'password'], /password grant is not supported/],
    ['a public client with client_credentials', ['--public', '--grant', 'client_credentials'], /public client cannot use the client_credentials grant/],
    ['refresh_token alone', ['--grant', 'refresh_token'], /refresh_token grant needs authorization_code or device_code/],
    ['refresh_token with client_credentials', ['--grant', 'client_credentials', '--grant', 'refresh_token'], /refresh_token grant needs/],
    ['authorization_code without a redirect URI', ['--grant', 'authorization_code'], /needs at least one redirect URI/],
    ['http on a public host', ['--grant', 'authorization_code', '--redirect-uri', 'http://app.example.com/cb'], /must use https/],
    ['http on a non-loopback private address', ['--grant', 'authorization_code', '--redirect-uri', 'http://10.0.0.1/cb'], /must use https/],
    ['a redirect URI with a fragment', ['--grant', 'authorization_code', '--redirect-uri', 'https://a.example.com/cb#x'], /must not contain a fragment/],
    ['a relative redirect URI', ['--grant', 'authorization_code', '--redirect-uri', '/callback'], /not an absolute URI/],
    ['a redirect URI with a newline', ['--grant', 'authorization_code', '--redirect-uri', 'https://a.example.com/c\nb'], /must not contain spaces or control characters/],
    ['a grant with a newline, reported on one line', ['--grant', 'magic\ngrant'], /unknown grant type "magic\\ngrant"/],
    ['a wildcard redirect URI', ['--grant', 'authorization_code', '--redirect-uri', 'https://*.example.com/cb'], /wildcards/],
    ['a private-use scheme that is not a reverse domain', ['--grant', 'authorization_code', '--redirect-uri', 'myapp:/cb'], /reverse-domain private-use scheme/],
    ['a javascript: redirect URI', ['--grant', 'authorization_code', '--redirect-uri', 'javascript:alert(1)'], /must use https/],
    ['an http post-logout URI', ['--grant', 'authorization_code', '--redirect-uri', 'https://a.example.com/cb', '--post-logout-redirect-uri', 'http://a.example.com/'], /post-logout redirect URI .* must use https/],
    ['redirect URIs without authorization_code', ['--grant', 'client_credentials', '--redirect-uri', 'https://a.example.com/cb'], /only used by the authorization_code grant/],
    ['claimed https on loopback beside a native URI', ['--public', '--grant', 'authorization_code', '--redirect-uri', 'http://127.0.0.1/cb', '--redirect-uri', 'https://localhost/cb'], /cannot be combined/],
    ['an unknown scope', ['--grant', 'authorization_code', '--redirect-uri', 'https://a.example.com/cb', '--scope', 'openid admin'], /unknown scope "admin"/],
    ['user scopes on a client_credentials client', ['--grant', 'client_credentials', '--scope', 'openid'], /acts only for itself/],
    ['offline_access without refresh_token', ['--grant', 'authorization_code', '--redirect-uri', 'https://a.example.com/cb', '--scope', 'openid offline_access'], /offline_access needs the refresh_token grant/],
    ['tls_client_auth without a certificate subject', ['--grant', 'client_credentials', '--auth', 'tls_client_auth'], /needs exactly one certificate subject/],
    ['tls_client_auth with two certificate subjects', ['--grant', 'client_credentials', '--auth', 'tls_client_auth', '--tls-subject-dn', 'CN=a', '--tls-san-dns', 'a.example.com'], /exactly one certificate subject/],
    ['a subject DN that is not RFC 4514', ['--grant', 'client_credentials', '--auth', 'tls_client_auth', '--tls-subject-dn', 'svc'], /not an RFC 4514 DN/],
    ['a subject DN with a hex-encoded value', ['--grant', 'client_credentials', '--auth', 'tls_client_auth', '--tls-subject-dn', 'CN=#0403737663'], /hex-encoded/],
    ['a SAN IP that is no address', ['--grant', 'client_credentials', '--auth', 'tls_client_auth', '--tls-san-ip', '300.1.1.1'], /not an IPv4 or IPv6 address/],
    ['a certificate subject without tls_client_auth', ['--grant', 'client_credentials', '--tls-subject-dn', 'CN=svc'], /only applies to clients authenticating with tls_client_auth/],
    ['self_signed_tls_client_auth without keys', ['--grant', 'client_credentials', '--auth', 'self_signed_tls_client_auth'], /needs the client's public keys/],
    ['an unknown --auth', ['--grant', 'client_credentials', '--auth', 'client_secret_jwt'], /not supported/],
    ['a public client with tls_client_auth', ['--public', '--grant', 'device_code', '--auth', 'tls_client_auth', '--tls-subject-dn', 'CN=a'], /public client authenticates with "none"/],
    ['no grant at all', [], /--grant is required/],
  ];
  for (const [what, args, message] of refused) {
    test(`refuses ${what} (exit 2, nothing stored)`, async () => {
      const before = (await cli.query('SELECT "id" FROM "Client"')).length;
      assertFails(await cli.run(['client', 'create', '--name', 'Refused', ...args, '--json']), 2, message);
      assert.equal((await cli.query('SELECT "id" FROM "Client"')).length, before);
    });
  }

  test('refuses a missing or empty name and unknown options (exit 2)', async () => {
    assertFails(await cli.run(['client', 'create', '--grant', 'client_credentials']), 2, /--name is required/);
    assertFails(await cli.run(['client', 'create', '--name', '  ', '--grant', 'client_credentials']), 2, /name must not be empty/);
    assertFails(await cli.run(['client', 'create', '--name', 'x', '--grant', 'client_credentials', '--secret', 's']), 2, /unknown option --secret/);
  });

  test('show, delete and rotate-secret of an unknown client fail with exit 1', async () => {
    for (const command of ['show', 'delete', 'rotate-secret']) {
      assertFails(await cli.run(['client', command, 'no-such-client']), 1, /no client with id "no-such-client"/);
    }
  });

  test('show prints the stored metadata', async () => {
    const created = await cli.json(['client', 'create', '--name', 'Shown', '--grant', 'client_credentials']);
    const { client_secret: _secret, ...expected } = created;
    const limits = { rate_limit_per_second: 50, rate_limit_is_default: true, daily_quota: null, rate_limits_disabled: false };
    assert.deepEqual(await cli.json(['client', 'show', created.client_id]), { ...expected, limits });
    await cli.json(['client', 'update', created.client_id, '--rate-limit', '7/s', '--quota', '900/day']);
    const updated = await cli.json<{ limits: typeof limits; updated_at: string }>(['client', 'show', created.client_id]);
    assert.deepEqual(updated.limits, { ...limits, rate_limit_per_second: 7, rate_limit_is_default: false, daily_quota: 900 });
  });

  test('list prints every client in creation order', async () => {
    const { clients } = await cli.json<{ clients: { client_id: string; client_name: string }[] }>(['client', 'list']);
    const ids = (await cli.query<{ id: string }>('SELECT "id" FROM "Client" ORDER BY "createdAt", "id"')).map((r) => r.id);
    assert.deepEqual(clients.map((c) => c.client_id), ids);
    assert.ok(clients.length >= 8);
  });

  test('rotate-secret shows a new secret once and replaces the stored hash', async () => {
    const created = await cli.json(['client', 'create', '--name', 'Rotating', '--grant', 'client_credentials']);
    const rotated = await cli.json(['client', 'rotate-secret', created.client_id]);
    assert.deepEqual(Object.keys(rotated).sort(), ['client_id', 'client_secret', 'previous_secret_expires_at']);
    assert.equal(rotated.previous_secret_expires_at, null, 'without --grace the old secret has no grace period');
    assert.equal(rotated.client_id, created.client_id);
    assert.notEqual(rotated.client_secret, created.client_secret);

    const row = await storedRow(created.client_id);
    assert.equal(row.secretHash, hashClientSecret(rotated.client_secret));
    assert.equal(row.metadata.client_secret, hashClientSecret(rotated.client_secret), 'the hash the provider compares against changed too');
    assert.notEqual(row.secretHash, hashClientSecret(created.client_secret));
    const raw = await cli.rawDatabase();
    assert.ok(!raw.includes(rotated.client_secret) && !(await cli.dumpDatabase()).includes(rotated.client_secret), 'the new secret is not stored');
  });

  test('rotate-secret refuses a public client (exit 1)', async () => {
    const spa = await cli.json(['client', 'create', '--name', 'No secret', '--public', '--grant', 'device_code']);
    assertFails(await cli.run(['client', 'rotate-secret', spa.client_id]), 1, /public client/);
    assert.equal((await storedRow(spa.client_id)).secretHash, null);
  });

  test('delete removes the client with its grants, refresh tokens and grant tokens, and nothing else', async () => {
    const doomed = await cli.json(['client', 'create', '--name', 'Doomed', '--grant', 'client_credentials']);
    const kept = await cli.json(['client', 'create', '--name', 'Kept', '--grant', 'client_credentials']);
    await cli.seedGrant({ id: 'grant-doomed-1', accountId: 'user-1', clientId: doomed.client_id });
    await cli.seedGrant({ id: 'grant-doomed-2', accountId: 'user-2', clientId: doomed.client_id });
    await cli.seedGrant({ id: 'grant-kept', accountId: 'user-1', clientId: kept.client_id });

    const deleted = await cli.json(['client', 'delete', doomed.client_id]);
    assert.deepEqual(deleted, {
      client_id: doomed.client_id,
      deleted: true,
      revoked: { grants: 2, refresh_tokens: 2, grant_tokens: 2, api_keys: 0 },
    });
    assert.equal((await cli.query('SELECT "id" FROM "Client" WHERE "id" = ?', doomed.client_id)).length, 0);
    assert.equal((await cli.query('SELECT "id" FROM "Client" WHERE "id" = ?', kept.client_id)).length, 1);
    assert.deepEqual((await cli.query('SELECT "id" FROM "Grant"')).map((r) => r.id), ['grant-kept']);
    assert.deepEqual((await cli.query('SELECT "grantId" FROM "RefreshToken"')).map((r) => r.grantId), ['grant-kept']);
    assert.deepEqual((await cli.query('SELECT "grantId" FROM "OidcPayload"')).map((r) => r.grantId), ['grant-kept']);

    assertFails(await cli.run(['client', 'delete', doomed.client_id]), 1, /no client/);
  });
});

describe('gatehouse client with stored APIs', () => {
  let cli: CliSandbox;
  before(async () => {
    cli = await createSandbox();
    await cli.json(['resource', 'create', '--identifier', 'https://reports.example.com', '--scope', 'reports']);
    await cli.json(['resource', 'create', '--identifier', 'https://orders.example.com', '--scope', 'orders:write']);
  });
  after(async () => cli?.close());

  test('a client_credentials client may have API scopes, and only those', async () => {
    const job = await cli.json(['client', 'create', '--name', 'Job', '--grant', 'client_credentials', '--scope', 'reports orders:write']);
    assert.equal(job.scope, 'reports orders:write');
    assertFails(
      await cli.run(['client', 'create', '--name', 'Job', '--grant', 'client_credentials', '--scope', 'reports email']),
      2,
      /scope "email" describes a user/,
    );
    assertFails(
      await cli.run(['client', 'create', '--name', 'Job', '--grant', 'client_credentials', '--scope', 'admin']),
      2,
      /unknown scope "admin" \(supported: openid profile email offline_access reports orders:write\)/,
    );
  });

  test('a client that signs users in may have API scopes beside the OpenID ones', async () => {
    const web = await cli.json([
      'client', 'create', '--name', 'Web', '--grant', 'authorization_code', '--redirect-uri', 'https://a.example.com/cb', '--scope', 'openid reports',
    ]);
    assert.equal(web.scope, 'openid reports');
  });

  test('tls_client_auth: the subject DN or SAN is stored as given, there is no secret, tokens are bound with --cert-bound-tokens', async () => {
    const created = await cli.json([
      'client', 'create', '--name', 'Payments', '--grant', 'client_credentials',
      '--auth', 'tls_client_auth', '--tls-subject-dn', 'CN=svc+serialNumber=1,O=Example\\, Inc', '--cert-bound-tokens',
    ]);
    assert.equal(created.client_secret, undefined);
    assert.equal(created.token_endpoint_auth_method, 'tls_client_auth');
    assert.equal(created.tls_client_auth_subject_dn, 'CN=svc+serialNumber=1,O=Example\\, Inc');
    assert.equal(created.tls_client_certificate_bound_access_tokens, true);
    const [row] = await cli.query<{ metadata: string; secretHash: string | null }>('SELECT "metadata", "secretHash" FROM "Client" WHERE "id" = ?', created.client_id);
    assert.equal(row.secretHash, null);
    const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
    assert.equal(metadata.client_secret, undefined);
    assert.equal(metadata.tls_client_auth_subject_dn, 'CN=svc+serialNumber=1,O=Example\\, Inc');

    const bySan = await cli.run(['client', 'create', '--name', 'Mesh', '--grant', 'client_credentials', '--auth', 'tls_client_auth', '--tls-san-uri', 'spiffe://example.com/mesh']);
    assert.equal(bySan.code, 0, bySan.stderr);
    assert.match(bySan.stdout, /certificate SAN \(URI\): +spiffe:\/\/example\.com\/mesh/);
    assert.doesNotMatch(bySan.stdout, /client_secret/);
    assert.equal((await cli.json(['client', 'create', '--name', 'Mesh IP', '--grant', 'client_credentials', '--auth', 'tls_client_auth', '--tls-san-ip', '::0001'])).tls_client_auth_san_ip, '::0001');
  });

  test('self_signed_tls_client_auth: --jwks FILE with the certificate in x5c; a key that does not match its certificate is refused', async () => {
    const own = await selfSigned(cli.dir, 'own', '/CN=own');
    const stranger = await selfSigned(cli.dir, 'stranger', '/CN=stranger');
    const file = join(cli.dir, 'own.jwks');
    await writeFile(file, JSON.stringify(jwksOf(own)));
    const created = await cli.json(['client', 'create', '--name', 'Self-signed', '--grant', 'client_credentials', '--auth', 'self_signed_tls_client_auth', '--jwks', file]);
    assert.equal(created.client_secret, undefined);
    assert.equal(created.token_endpoint_auth_method, 'self_signed_tls_client_auth');
    assert.deepEqual(created.jwks.keys[0].x5c, jwksOf(own).keys[0].x5c);

    const mixed = { keys: [{ ...jwksOf(own).keys[0], x5c: jwksOf(stranger).keys[0].x5c }] };
    await writeFile(file, JSON.stringify(mixed));
    assertFails(await cli.run(['client', 'create', '--name', 'Mixed', '--grant', 'client_credentials', '--auth', 'self_signed_tls_client_auth', '--jwks', file]), 2, /holds another public key/);
    const { x5c: _x5c, ...bare } = jwksOf(own).keys[0];
    await writeFile(file, JSON.stringify({ keys: [bare] }));
    assertFails(await cli.run(['client', 'create', '--name', 'Bare', '--grant', 'client_credentials', '--auth', 'self_signed_tls_client_auth', '--jwks', file]), 2, /"x5c"/);
  });
});
