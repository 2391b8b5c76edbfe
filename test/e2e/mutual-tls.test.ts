// Mutual TLS (RFC 8705) with real TLS only: certificates made with openssl, Debian's nginx
// terminating TLS (ssl_verify_client optional_no_ca) and forwarding the certificate in
// X-SSL-Client-Cert, and Gatehouse terminating TLS itself. Clients are curl (--cert/--key) and
// openid-client with an undici Agent carrying the client certificate.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch, setGlobalDispatcher } from 'undici';
import { decodeJwt } from 'jose';
import { freePort, startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { startUpstream, type Upstream } from '../support/gateways.js';
import { daysFromNow, jwksOf, selfSigned, TestCa, type Certificate } from '../support/certificates.js';
import { CERTIFICATE_HEADER, startMtlsNginx, type TlsProxy } from '../support/mtls-nginx.js';
import { startMtlsCaddy } from '../support/mtls-caddy.js';
import { createClient, createUser, type CreatedClient } from '../support/relying-party.js';
import { approveOnPhone } from '../support/device-approval.js';
import { oauthError } from '../support/oauth-error.js';

const EMAIL = 'mtls-user@example.com';

interface CurlResult {
  status: number;
  body: string;
  headers: string;
}

/** curl with the test CA trusted; `cert` adds --cert/--key. Never throws on an HTTP error status. */
function curl(url: string, options: { cert?: Certificate | undefined; ca: string; form?: Record<string, string>; headers?: Record<string, string>; user?: string; json?: unknown }): Promise<CurlResult> {
  const args = ['-s', '-i', '--cacert', options.ca, '-w', '\n%{http_code}'];
  if (options.cert) args.push('--cert', options.cert.certFile, '--key', options.cert.keyFile);
  for (const [name, value] of Object.entries(options.form ?? {})) args.push('--data-urlencode', `${name}=${value}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (options.user) args.push('-u', options.user);
  if (options.json !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', JSON.stringify(options.json));
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile('curl', args, { maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error && !stdout) return reject(error);
      const statusAt = stdout.lastIndexOf('\n');
      const status = Number(stdout.slice(statusAt + 1));
      const response = stdout.slice(0, statusAt);
      // -i writes every header block first (a 100 Continue too); the body follows the last one.
      const split = response.lastIndexOf('\r\n\r\n');
      resolve({ status, headers: response.slice(0, split), body: response.slice(split + 4) });
    });
  });
}

const json = (result: CurlResult) => JSON.parse(result.body) as Record<string, unknown>;

/** openid-client talking through an undici Agent that trusts the test CA and presents `cert`. */
async function mtlsClient(issuer: string, ca: string, clientId: string, cert: Certificate | undefined, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
  const agent = new Agent({ connect: { ca, ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}) } });
  const config = await oidc.discovery(new URL(issuer), clientId, undefined, auth, {
    [oidc.customFetch]: (url, options) => undiciFetch(url, { ...options, dispatcher: agent } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>,
  });
  return config;
}

async function certificates(dir: string) {
  const ca = await TestCa.create(join(dir, 'ca'));
  const rogue = await TestCa.create(join(dir, 'rogue'), '/O=Example/CN=Rogue CA');
  return {
    ca,
    server: await ca.issue('server', { subject: '/O=Example/CN=127.0.0.1', san: 'IP:127.0.0.1,DNS:localhost', usage: 'serverAuth' }),
    /** Certificates A and B: the same subject, different keys (what a rotation looks like). */
    a: await ca.issue('svc-a', { subject: '/O=Example/CN=svc', san: 'DNS:svc.example.com' }),
    b: await ca.issue('svc-b', { subject: '/O=Example/CN=svc' }),
    other: await ca.issue('other', { subject: '/O=Example/CN=other' }),
    web: await ca.issue('web', { subject: '/O=Example/CN=web' }),
    serverOnly: await ca.issue('server-only', { subject: '/O=Example/CN=svc', usage: 'serverAuth' }),
    expired: await ca.issue('expired', { subject: '/O=Example/CN=svc', notBefore: daysFromNow(-10), notAfter: daysFromNow(-1) }),
    notYetValid: await ca.issue('not-yet', { subject: '/O=Example/CN=svc', notBefore: daysFromNow(1), notAfter: daysFromNow(10) }),
    rogueSvc: await rogue.issue('rogue-svc', { subject: '/O=Example/CN=svc' }),
    selfA: await selfSigned(dir, 'self-a', '/CN=self-signed service'),
    selfB: await selfSigned(dir, 'self-b', '/CN=self-signed service'),
  };
}

type Certs = Awaited<ReturnType<typeof certificates>>;

describe('mutual TLS behind nginx (ssl_verify_client optional_no_ca, X-SSL-Client-Cert)', () => {
  let dir: string;
  let certs: Certs;
  let gh: Gatehouse;
  let nginx: TlsProxy;
  let upstream: Upstream;
  let issuer: string;
  /** Gatehouse's own port, reached without nginx. */
  let direct: string;
  let orders: string;
  let ledger: string;
  let pki: CreatedClient;
  let bySan: CreatedClient;
  let selfSignedClient: CreatedClient;
  let resourceServer: CreatedClient;
  let web: CreatedClient;

  const at = (path: string) => `${issuer}${path}`;
  const ca = () => certs.ca.root.certFile;
  const clientCredentials = (clientId: string, cert: Certificate | undefined, extra: Record<string, string> = {}) =>
    curl(at('/token'), { ca: ca(), cert, form: { grant_type: 'client_credentials', client_id: clientId, ...extra } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-mtls-'));
    certs = await certificates(dir);
    const nginxPort = await freePort();
    issuer = `https://127.0.0.1:${nginxPort}`;
    gh = await startGatehouse({
      ISSUER: issuer,
      TRUST_PROXY: 'true',
      MTLS_CERTIFICATE_HEADER: CERTIFICATE_HEADER,
      TLS_CLIENT_CA_FILE: certs.ca.root.certFile,
    });
    direct = `http://127.0.0.1:${gh.env.PORT}`;
    upstream = await startUpstream();
    nginx = await startMtlsNginx(nginxPort, certs.server, direct, upstream.url);
    // The browser that approves the device code trusts the test CA (and presents no certificate).
    setGlobalDispatcher(new Agent({ connect: { ca: certs.ca.root.certPem } }));

    orders = `${issuer}/orders`;
    ledger = `${issuer}/ledger`;
    await gh.cliJson(['resource', 'create', '--identifier', orders, '--scope', 'orders:read']);
    await gh.cliJson(['resource', 'create', '--identifier', ledger, '--scope', 'ledger:read', '--format', 'opaque']);
    pki = await createClient(gh, ['--name', 'Payments service', '--grant', 'client_credentials', '--scope', 'orders:read ledger:read',
      '--auth', 'tls_client_auth', '--tls-subject-dn', 'CN=svc,O=Example', '--cert-bound-tokens']);
    bySan = await createClient(gh, ['--name', 'SAN service', '--grant', 'client_credentials', '--scope', 'orders:read',
      '--auth', 'tls_client_auth', '--tls-san-dns', 'svc.example.com']);
    const jwksFile = join(dir, 'self-a.jwks.json');
    await writeFile(jwksFile, JSON.stringify(jwksOf(certs.selfA)));
    selfSignedClient = await createClient(gh, ['--name', 'Self-signed service', '--grant', 'client_credentials', '--scope', 'orders:read',
      '--auth', 'self_signed_tls_client_auth', '--jwks', jwksFile, '--cert-bound-tokens']);
    resourceServer = await createClient(gh, ['--name', 'Ledger API', '--grant', 'client_credentials']);
    web = await createClient(gh, ['--name', 'Web app', '--grant', 'authorization_code', '--redirect-uri', 'https://app.example.com/cb',
      '--auth', 'tls_client_auth', '--tls-subject-dn', 'CN=web,O=Example']);
    await createUser(gh, EMAIL);
  });

  after(async () => {
    await nginx?.stop();
    await upstream?.close();
    await gh?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('discovery advertises both methods and certificate-bound tokens', async () => {
    const meta = json(await curl(at('/.well-known/openid-configuration'), { ca: ca() }));
    assert.equal(meta.tls_client_certificate_bound_access_tokens, true);
    const methods = meta.token_endpoint_auth_methods_supported as string[];
    assert.ok(methods.includes('tls_client_auth') && methods.includes('self_signed_tls_client_auth'), methods.join(' '));
    assert.equal(meta.mtls_endpoint_aliases, undefined, 'no aliases without MTLS_BASE_URL');
  });

  test('the CLI prints no client_secret for certificate-authenticated clients', () => {
    for (const client of [pki, bySan, selfSignedClient, web]) assert.equal(client.client_secret, undefined);
  });

  test('tls_client_auth by subject DN: client credentials with curl --cert, token bound to the certificate', async () => {
    const response = await clientCredentials(pki.client_id, certs.a, { resource: orders, scope: 'orders:read' });
    assert.equal(response.status, 200, response.body);
    const token = json(response);
    assert.equal(token.token_type, 'Bearer');
    assert.deepEqual(decodeJwt(token.access_token as string).cnf, { 'x5t#S256': certs.a.thumbprint });
  });

  test('tls_client_auth with openid-client (TlsClientAuth, undici Agent with the certificate)', async () => {
    const rp = await mtlsClient(issuer, certs.ca.root.certPem, pki.client_id, certs.b, oidc.TlsClientAuth());
    const tokens = await oidc.clientCredentialsGrant(rp, { resource: orders, scope: 'orders:read' });
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { 'x5t#S256': certs.b.thumbprint }, 'B has the same subject, so it authenticates, and the token is bound to B');
  });

  test('tls_client_auth by SAN (DNS name)', async () => {
    const ok = await clientCredentials(bySan.client_id, certs.a, { resource: orders, scope: 'orders:read' });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(decodeJwt(json(ok).access_token as string).cnf, undefined, 'not bound without --cert-bound-tokens');
    const noSan = await clientCredentials(bySan.client_id, certs.b, { resource: orders, scope: 'orders:read' });
    assert.equal(noSan.status, 401);
    assert.equal(json(noSan).error, 'invalid_client');
  });

  test('tls_client_auth refuses other subjects, other CAs, self-signed and server-only certificates', async () => {
    for (const cert of [certs.other, certs.rogueSvc, certs.selfA]) {
      const response = await clientCredentials(pki.client_id, cert);
      assert.equal(response.status, 401, `${cert.certFile}: ${response.body}`);
      assert.equal(json(response).error, 'invalid_client');
    }
    // nginx itself turns away a certificate whose extendedKeyUsage excludes clientAuth; a proxy that
    // forwards it anyway gets the same answer from Gatehouse.
    assert.equal((await clientCredentials(pki.client_id, certs.serverOnly)).status, 400);
    const serverOnly = await curl(`${direct}/token`, { ca: ca(), headers: { [CERTIFICATE_HEADER]: certs.serverOnly.escaped }, form: { grant_type: 'client_credentials', client_id: pki.client_id } });
    assert.equal(serverOnly.status, 401, serverOnly.body);
    assert.equal(json(serverOnly).error, 'invalid_client');
  });

  test('self_signed_tls_client_auth: curl and openid-client with the registered certificate; another one is refused', async () => {
    const response = await clientCredentials(selfSignedClient.client_id, certs.selfA, { resource: orders, scope: 'orders:read' });
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(decodeJwt(json(response).access_token as string).cnf, { 'x5t#S256': certs.selfA.thumbprint });

    const rp = await mtlsClient(issuer, certs.ca.root.certPem, selfSignedClient.client_id, certs.selfA, oidc.TlsClientAuth());
    const tokens = await oidc.clientCredentialsGrant(rp, { resource: orders, scope: 'orders:read' });
    assert.ok(tokens.access_token);

    const wrong = await clientCredentials(selfSignedClient.client_id, certs.selfB);
    assert.equal(wrong.status, 401);
    assert.equal(json(wrong).error, 'invalid_client');
    const rpB = await mtlsClient(issuer, certs.ca.root.certPem, selfSignedClient.client_id, certs.selfB, oidc.TlsClientAuth());
    await assert.rejects(oidc.clientCredentialsGrant(rpB, { resource: orders, scope: 'orders:read' }), (error) => oauthError(error) === 'invalid_client');
  });

  test('a missing certificate is invalid_client', async () => {
    for (const client of [pki, selfSignedClient]) {
      const response = await clientCredentials(client.client_id, undefined);
      assert.equal(response.status, 401);
      assert.equal(json(response).error, 'invalid_client');
    }
  });

  test('a forged X-SSL-Client-Cert sent through nginx is replaced by what nginx saw', async () => {
    const forged = await curl(at('/token'), { ca: ca(), headers: { [CERTIFICATE_HEADER]: certs.a.escaped }, form: { grant_type: 'client_credentials', client_id: pki.client_id } });
    assert.equal(forged.status, 401, forged.body);
    assert.equal(json(forged).error, 'invalid_client');
    const underAnother = await curl(at('/token'), { ca: ca(), cert: certs.other, headers: { [CERTIFICATE_HEADER]: certs.a.escaped }, form: { grant_type: 'client_credentials', client_id: pki.client_id } });
    assert.equal(underAnother.status, 401, underAnother.body);
  });

  test('expired and not-yet-valid certificates: nginx refuses them itself; sent on in the header, Gatehouse answers 400', async () => {
    for (const cert of [certs.expired, certs.notYetValid]) {
      const viaNginx = await clientCredentials(pki.client_id, cert);
      assert.equal(viaNginx.status, 400, viaNginx.body);
      assert.match(viaNginx.body, /SSL certificate error/);
    }
    const expired = await curl(`${direct}/token`, { ca: ca(), headers: { [CERTIFICATE_HEADER]: certs.expired.escaped }, form: { grant_type: 'client_credentials', client_id: pki.client_id } });
    assert.equal(expired.status, 400);
    assert.deepEqual(json(expired).error, 'invalid_request');
    assert.match(json(expired).error_description as string, /the client certificate expired at/);
    const early = await curl(`${direct}/token`, { ca: ca(), headers: { [CERTIFICATE_HEADER]: certs.notYetValid.escaped }, form: { grant_type: 'client_credentials', client_id: pki.client_id } });
    assert.equal(early.status, 400);
    assert.match(json(early).error_description as string, /is not valid before/);
  });

  test('a header with garbage is 400 invalid_request, never a 500', async () => {
    const garbage = ['not a certificate', '%ZZ%', encodeURIComponent('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), 'x'.repeat(10_000)];
    for (const value of garbage) {
      const response = await curl(`${direct}/token`, { ca: ca(), headers: { [CERTIFICATE_HEADER]: value }, form: { grant_type: 'client_credentials', client_id: pki.client_id } });
      assert.equal(response.status, 400, `${value.slice(0, 30)}: ${response.body}`);
      assert.equal(json(response).error, 'invalid_request');
    }
    const tooLarge = await curl(`${direct}/token`, { ca: ca(), headers: { [CERTIFICATE_HEADER]: 'x'.repeat(20_000) }, form: { grant_type: 'client_credentials', client_id: pki.client_id } });
    assert.equal(tooLarge.status, 431, 'Node refuses header blocks over 16 KiB before Gatehouse sees them');
  });

  test('revocation and PAR authenticate tls_client_auth clients too', async () => {
    const issued = json(await clientCredentials(pki.client_id, certs.a, { resource: ledger, scope: 'ledger:read' }));
    const anonymous = await curl(at('/token/revocation'), { ca: ca(), form: { client_id: pki.client_id, token: issued.access_token as string } });
    assert.equal(anonymous.status, 401);
    const revoked = await curl(at('/token/revocation'), { ca: ca(), cert: certs.a, form: { client_id: pki.client_id, token: issued.access_token as string } });
    assert.equal(revoked.status, 200, revoked.body);
    const check = json(await curl(at('/token/introspection'), { ca: ca(), user: `${resourceServer.client_id}:${resourceServer.client_secret}`, form: { token: issued.access_token as string } }));
    assert.equal(check.active, false);

    const par = {
      client_id: web.client_id, response_type: 'code', redirect_uri: 'https://app.example.com/cb', scope: 'openid',
      code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'), code_challenge_method: 'S256',
    };
    const withoutCert = await curl(at('/request'), { ca: ca(), form: par });
    assert.equal(withoutCert.status, 401);
    const pushed = await curl(at('/request'), { ca: ca(), cert: certs.web, form: par });
    assert.equal(pushed.status, 201, pushed.body);
    assert.match(json(pushed).request_uri as string, /^urn:ietf:params:oauth:request_uri:/);
  });

  test('introspection: the binding is reported, and the own client with certificate B is told the token is inactive', async () => {
    const token = json(await clientCredentials(pki.client_id, certs.a, { resource: ledger, scope: 'ledger:read' })).access_token as string;
    const byApi = json(await curl(at('/token/introspection'), { ca: ca(), user: `${resourceServer.client_id}:${resourceServer.client_secret}`, form: { token } }));
    assert.equal(byApi.active, true);
    assert.deepEqual(byApi.cnf, { 'x5t#S256': certs.a.thumbprint });
    assert.notEqual((byApi.cnf as Record<string, string>)['x5t#S256'], certs.b.thumbprint, 'an API comparing with certificate B refuses the call');

    const ownWithB = await curl(at('/token/introspection'), { ca: ca(), cert: certs.b, form: { client_id: pki.client_id, token } });
    assert.equal(ownWithB.status, 200);
    assert.equal(json(ownWithB).active, false);
    const ownWithA = json(await curl(at('/token/introspection'), { ca: ca(), cert: certs.a, form: { client_id: pki.client_id, token } }));
    assert.equal(ownWithA.active, true);
  });

  test('the gateway check passes a bound token only with the same certificate, forwarded by nginx', async () => {
    for (const api of [orders, ledger]) {
      const scope = api === orders ? 'orders:read' : 'ledger:read';
      const token = json(await clientCredentials(pki.client_id, certs.a, { resource: api, scope })).access_token as string;
      const path = `${api}/items`;
      const withA = await curl(path, { ca: ca(), cert: certs.a, headers: { authorization: `Bearer ${token}` } });
      assert.equal(withA.status, 200, withA.body);
      assert.equal((JSON.parse(withA.body) as { headers: Record<string, string> }).headers['x-gatehouse-client-id'], pki.client_id);

      const withB = await curl(path, { ca: ca(), cert: certs.b, headers: { authorization: `Bearer ${token}` } });
      assert.equal(withB.status, 401);
      assert.match(withB.headers, /bound to another client certificate/);
      const without = await curl(path, { ca: ca(), headers: { authorization: `Bearer ${token}` } });
      assert.equal(without.status, 401);
      assert.match(without.headers, /forwarded none/);
      const forged = await curl(path, { ca: ca(), headers: { authorization: `Bearer ${token}`, [CERTIFICATE_HEADER]: certs.a.escaped } });
      assert.equal(forged.status, 401, 'nginx replaces the header with the (absent) certificate');
    }
    const unbound = json(await clientCredentials(bySan.client_id, certs.a, { resource: orders, scope: 'orders:read' })).access_token as string;
    const anyCaller = await curl(`${orders}/items`, { ca: ca(), headers: { authorization: `Bearer ${unbound}` } });
    assert.equal(anyCaller.status, 200, 'an unbound token needs no certificate');
  });

  test('a public client: device flow tokens bound to certificate A; userinfo and refresh refuse certificate B', async () => {
    const device = await createClient(gh, ['--name', 'Kiosk', '--public', '--grant', 'device_code', '--grant', 'refresh_token', '--cert-bound-tokens']);
    const rpA = await mtlsClient(issuer, certs.ca.root.certPem, device.client_id, certs.a, oidc.None());
    const rpB = await mtlsClient(issuer, certs.ca.root.certPem, device.client_id, certs.b, oidc.None());
    const rpNone = await mtlsClient(issuer, certs.ca.root.certPem, device.client_id, undefined, oidc.None());

    const auth = await oidc.initiateDeviceAuthorization(rpA, { scope: 'openid offline_access' });
    await approveOnPhone(gh, auth.user_code, EMAIL);
    const tokens = await oidc.pollDeviceAuthorizationGrant(rpA, auth);
    const sub = tokens.claims()?.sub;
    assert.ok(sub && tokens.refresh_token);

    const info = await oidc.fetchUserInfo(rpA, tokens.access_token, sub);
    assert.equal(info.sub, sub);
    await assert.rejects(oidc.fetchUserInfo(rpB, tokens.access_token, sub), (error) => oauthError(error) === 'invalid_token');
    await assert.rejects(oidc.fetchUserInfo(rpNone, tokens.access_token, sub), (error) => oauthError(error) === 'invalid_token');
    const garbled = await curl(`${direct}/me`, { ca: ca(), headers: { [CERTIFICATE_HEADER]: 'garbage', authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(garbled.status, 400, garbled.body);
    assert.match(garbled.headers, /invalid_request/);

    await assert.rejects(oidc.refreshTokenGrant(rpB, tokens.refresh_token), (error) => oauthError(error) === 'invalid_grant');
    const refreshed = await oidc.refreshTokenGrant(rpA, tokens.refresh_token);
    const again = await oidc.fetchUserInfo(rpA, refreshed.access_token, sub);
    assert.equal(again.sub, sub);
  });

  test('dynamic registration: tls_client_auth and self_signed_tls_client_auth, no secret, bad metadata refused', async () => {
    const { initial_access_token: iat } = await gh.cliJson<{ initial_access_token: string }>(['iat', 'create']);
    const register = (body: unknown) => curl(at('/reg'), { ca: ca(), headers: { authorization: `Bearer ${iat}` }, json: body });

    const created = await register({
      client_name: 'Registered PKI service', grant_types: ['client_credentials'], scope: 'orders:read',
      token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'cn=SVC, o=Example', tls_client_certificate_bound_access_tokens: true,
    });
    assert.equal(created.status, 201, created.body);
    const registered = json(created);
    assert.equal(registered.client_secret, undefined);
    assert.equal(registered.tls_client_certificate_bound_access_tokens, true);
    const issued = await clientCredentials(registered.client_id as string, certs.a, { resource: orders, scope: 'orders:read' });
    assert.equal(issued.status, 200, issued.body);
    assert.deepEqual(decodeJwt(json(issued).access_token as string).cnf, { 'x5t#S256': certs.a.thumbprint });

    const selfRegistered = await register({
      client_name: 'Registered self-signed', grant_types: ['client_credentials'], token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: jwksOf(certs.selfB),
    });
    assert.equal(selfRegistered.status, 201, selfRegistered.body);
    assert.equal((await clientCredentials(json(selfRegistered).client_id as string, certs.selfB)).status, 200);

    const refusals: [unknown, RegExp][] = [
      [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth' }, /exactly one certificate subject/],
      [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'no equals sign' }, /RFC 4514/],
      [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=a', tls_client_auth_san_dns: 'a.example' }, /exactly one/],
      [{ grant_types: ['client_credentials'], tls_client_auth_subject_dn: 'CN=a' }, /only applies to clients authenticating with tls_client_auth/],
      [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] } }, /x5c/],
      [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_ip: 'not-an-ip' }, /not an IPv4 or IPv6 address/],
      [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=a', tls_client_certificate_bound_access_tokens: 'yes' }, /true or false/],
    ];
    for (const [body, message] of refusals) {
      const refused = await register(body);
      assert.equal(refused.status, 400, `${JSON.stringify(body)}: ${refused.body}`);
      assert.equal(json(refused).error, 'invalid_client_metadata');
      assert.match(json(refused).error_description as string, message);
    }
  });
});

describe('certificates in a header without TRUST_PROXY, and mtls_endpoint_aliases', () => {
  let dir: string;
  let certs: Certs;
  let gh: Gatehouse;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-mtls-'));
    certs = await certificates(dir);
    gh = await startGatehouse({ MTLS_CERTIFICATE_HEADER: CERTIFICATE_HEADER, TLS_CLIENT_CA_FILE: certs.ca.root.certFile, MTLS_BASE_URL: 'https://mtls.auth.example.com' });
  });
  after(async () => {
    await gh?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a certificate sent straight to Gatehouse in the header authenticates no one, and start-up says the header is ignored', async () => {
    const client = await createClient(gh, ['--name', 'svc', '--grant', 'client_credentials', '--auth', 'tls_client_auth', '--tls-subject-dn', 'CN=svc,O=Example']);
    const forged = await curl(`${gh.issuer}/token`, { ca: certs.ca.root.certFile, headers: { [CERTIFICATE_HEADER]: certs.a.escaped }, form: { grant_type: 'client_credentials', client_id: client.client_id } });
    assert.equal(forged.status, 401);
    assert.equal(json(forged).error, 'invalid_client');
    assert.match(gh.output(), /MTLS_CERTIFICATE_HEADER \(x-ssl-client-cert\) is ignored/);
  });

  test('discovery lists the mTLS endpoints under MTLS_BASE_URL', async () => {
    const meta = json(await curl(`${gh.issuer}/.well-known/oauth-authorization-server`, { ca: certs.ca.root.certFile }));
    assert.deepEqual(meta.mtls_endpoint_aliases, {
      token_endpoint: 'https://mtls.auth.example.com/token',
      revocation_endpoint: 'https://mtls.auth.example.com/token/revocation',
      introspection_endpoint: 'https://mtls.auth.example.com/token/introspection',
      pushed_authorization_request_endpoint: 'https://mtls.auth.example.com/request',
      device_authorization_endpoint: 'https://mtls.auth.example.com/device/auth',
      userinfo_endpoint: 'https://mtls.auth.example.com/me',
    });
    assert.equal(meta.token_endpoint, `${gh.issuer}/token`);
  });
});

describe('Gatehouse terminating TLS itself (TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE)', () => {
  let dir: string;
  let certs: Certs;
  let gh: Gatehouse;
  let pki: CreatedClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-mtls-'));
    certs = await certificates(dir);
    const port = await freePort();
    gh = await startGatehouse({
      PORT: String(port),
      ISSUER: `https://127.0.0.1:${port}`,
      TLS_CERT_FILE: certs.server.certFile,
      TLS_KEY_FILE: certs.server.keyFile,
      TLS_CLIENT_CA_FILE: certs.ca.root.certFile,
      // Over its own TLS, Gatehouse uses the connection's certificate only, whatever the headers say.
      TRUST_PROXY: 'true',
      MTLS_CERTIFICATE_HEADER: CERTIFICATE_HEADER,
    });
    pki = await createClient(gh, ['--name', 'svc', '--grant', 'client_credentials', '--auth', 'tls_client_auth', '--tls-subject-dn', 'CN=svc,O=Example', '--cert-bound-tokens']);
  });
  after(async () => {
    await gh?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const token = (cert: Certificate | undefined, headers: Record<string, string> = {}) =>
    curl(`${gh.issuer}/token`, { ca: certs.ca.root.certFile, cert, headers, form: { grant_type: 'client_credentials', client_id: pki.client_id } });

  test('curl --cert authenticates and binds; no certificate, or one only in a header, does not', async () => {
    const ok = await token(certs.a);
    assert.equal(ok.status, 200, ok.body);
    assert.equal(json(ok).token_type, 'Bearer');
    const missing = await token(undefined);
    assert.equal(missing.status, 401);
    const headerOnly = await token(undefined, { [CERTIFICATE_HEADER]: certs.a.escaped });
    assert.equal(headerOnly.status, 401);
  });

  test('expired, not-yet-valid and unverifiable certificates are refused cleanly', async () => {
    for (const cert of [certs.expired, certs.notYetValid]) {
      const response = await token(cert);
      assert.equal(response.status, 400, response.body);
      assert.equal(json(response).error, 'invalid_request');
    }
    const rogue = await token(certs.rogueSvc);
    assert.equal(rogue.status, 401);
    assert.equal(json(rogue).error, 'invalid_client');
  });

  test('subjects match as LDAP compares them (escapes, multi-valued RDNs, case), SANs by kind (URI, IPv6, email)', async () => {
    const escaped = await certs.ca.issue('escaped', { subject: '/O=Example, Inc/CN=svc+serialNumber=42', multiValued: true });
    const sans = await certs.ca.issue('sans', { subject: '/CN=mesh', san: 'URI:spiffe://example.com/ns/pay/sa/svc,IP:::1,email:svc@example.com' });
    const cases: [string[], Certificate, Certificate][] = [
      [['--tls-subject-dn', 'SERIALNUMBER=42 + cn=SVC, o=Example\\, Inc'], escaped, certs.a],
      [['--tls-san-uri', 'spiffe://example.com/ns/pay/sa/svc'], sans, certs.a],
      [['--tls-san-ip', '0:0:0:0:0:0:0:1'], sans, certs.a],
      [['--tls-san-email', 'SVC@example.com'], sans, certs.a],
    ];
    for (const [subject, matching, other] of cases) {
      const client = await createClient(gh, ['--name', 'matched', '--grant', 'client_credentials', '--auth', 'tls_client_auth', ...subject]);
      const request = (cert: Certificate) => curl(`${gh.issuer}/token`, { ca: certs.ca.root.certFile, cert, form: { grant_type: 'client_credentials', client_id: client.client_id } });
      assert.equal((await request(matching)).status, 200, subject.join(' '));
      assert.equal((await request(other)).status, 401, subject.join(' '));
    }
  });

  test('the device authorization endpoint authenticates a tls_client_auth client', async () => {
    const tv = await createClient(gh, ['--name', 'TV', '--grant', 'device_code', '--auth', 'tls_client_auth', '--tls-subject-dn', 'CN=svc,O=Example']);
    const ask = (cert: Certificate | undefined) => curl(`${gh.issuer}/device/auth`, { ca: certs.ca.root.certFile, cert, form: { client_id: tv.client_id, scope: 'openid' } });
    const started = await ask(certs.a);
    assert.equal(started.status, 200, started.body);
    assert.ok(json(started).device_code);
    const refused = await ask(undefined);
    assert.equal(refused.status, 401);
    assert.equal(json(refused).error, 'invalid_client');
  });

  test('openid-client with an undici Agent, straight to Gatehouse', async () => {
    const rp = await mtlsClient(gh.issuer, certs.ca.root.certPem, pki.client_id, certs.a, oidc.TlsClientAuth());
    const tokens = await oidc.clientCredentialsGrant(rp, {});
    assert.ok(tokens.access_token);
    const introspected = json(await curl(`${gh.issuer}/token/introspection`, { ca: certs.ca.root.certFile, cert: certs.a, form: { client_id: pki.client_id, token: tokens.access_token } }));
    assert.equal(introspected.active, true);
    assert.deepEqual(introspected.cnf, { 'x5t#S256': certs.a.thumbprint });
  });
});

describe('mutual TLS behind Caddy (client_auth mode request, certificate_der_base64)', () => {
  let dir: string;
  let certs: Certs;
  let gh: Gatehouse;
  let caddy: TlsProxy;
  let upstream: Upstream;
  let pki: CreatedClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-mtls-'));
    certs = await certificates(dir);
    const port = await freePort();
    // Caddy enforces SNI when it asks for client certificates, so its host is a name.
    gh = await startGatehouse({ ISSUER: `https://localhost:${port}`, TRUST_PROXY: 'true', MTLS_CERTIFICATE_HEADER: CERTIFICATE_HEADER, TLS_CLIENT_CA_FILE: certs.ca.root.certFile });
    upstream = await startUpstream();
    caddy = await startMtlsCaddy(port, certs.server, `http://127.0.0.1:${gh.env.PORT}`, upstream.url);
    await gh.cliJson(['resource', 'create', '--identifier', `${caddy.url}/orders`, '--scope', 'orders:read']);
    pki = await createClient(gh, ['--name', 'svc', '--grant', 'client_credentials', '--scope', 'orders:read', '--auth', 'tls_client_auth', '--tls-subject-dn', 'CN=svc,O=Example', '--cert-bound-tokens']);
  });
  after(async () => {
    await caddy?.stop();
    await upstream?.close();
    await gh?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const token = (cert: Certificate | undefined, headers: Record<string, string> = {}) =>
    curl(`${caddy.url}/token`, { ca: certs.ca.root.certFile, cert, headers, form: { grant_type: 'client_credentials', client_id: pki.client_id } });

  test('curl and openid-client authenticate with their certificate; the token is bound to it', async () => {
    const ok = await token(certs.a);
    assert.equal(ok.status, 200, ok.body);
    const rp = await mtlsClient(caddy.url, certs.ca.root.certPem, pki.client_id, certs.b, oidc.TlsClientAuth());
    const tokens = await oidc.clientCredentialsGrant(rp, {});
    const introspected = json(await curl(`${caddy.url}/token/introspection`, { ca: certs.ca.root.certFile, cert: certs.b, form: { client_id: pki.client_id, token: tokens.access_token } }));
    assert.deepEqual(introspected.cnf, { 'x5t#S256': certs.b.thumbprint });
  });

  test('a forged header without a certificate is removed; an expired certificate Caddy lets through is refused by Gatehouse', async () => {
    const forged = await token(undefined, { [CERTIFICATE_HEADER]: certs.a.escaped });
    assert.equal(forged.status, 401, forged.body);
    assert.equal(json(forged).error, 'invalid_client');
    const expired = await token(certs.expired);
    assert.equal(expired.status, 400, expired.body);
    assert.match(json(expired).error_description as string, /expired at/);
  });

  test('forward_auth: a bound token passes with its certificate, not with another one or a forged header', async () => {
    const token = json(await curl(`${caddy.url}/token`, { ca: certs.ca.root.certFile, cert: certs.a, form: { grant_type: 'client_credentials', client_id: pki.client_id, resource: `${caddy.url}/orders`, scope: 'orders:read' } })).access_token as string;
    const call = (cert: Certificate | undefined, headers: Record<string, string> = {}) =>
      curl(`${caddy.url}/orders/items`, { ca: certs.ca.root.certFile, cert, headers: { authorization: `Bearer ${token}`, ...headers } });
    const withA = await call(certs.a);
    assert.equal(withA.status, 200, withA.body);
    const withB = await call(certs.b);
    assert.equal(withB.status, 401);
    assert.equal(json(withB).error_description, 'the access token is bound to another client certificate');
    const forged = await call(undefined, { [CERTIFICATE_HEADER]: certs.a.escaped });
    assert.equal(forged.status, 401);
    assert.equal(json(forged).error_description, 'the access token is bound to a client certificate, and the gateway forwarded none');
  });
});
