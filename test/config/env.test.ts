// Start-up configuration: defaults a newcomer gets, and bad values stopped with a message naming
// the variable.
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { TestCa } from '../support/certificates.js';

test('defaults: port 3000, issuer on localhost, embedded SQLite, OWASP argon2id minimum', () => {
  const config = loadConfig({});
  assert.equal(config.port, 3000);
  assert.equal(config.issuer, 'http://localhost:3000');
  assert.equal(config.databaseUrl, 'file:./data/gatehouse.db');
  assert.deepEqual(config.argon2, { memoryKiB: 19456, timeCost: 2, parallelism: 1 });
  assert.equal(config.jwks, undefined);
  assert.equal(config.openRegistration, false);
  assert.equal(config.registrationRateLimit, 10);
});

test('defense defaults: 5 failures in 15 minutes, 30 s lockout up to 15 minutes, 50 requests/s per client', () => {
  const config = loadConfig({});
  assert.deepEqual(config.loginThrottle, { maxFailures: 5, windowSeconds: 900, lockoutBaseSeconds: 30, lockoutMaxSeconds: 900, ipMaxFailures: 50 });
  assert.deepEqual(config.rateLimits, { disabled: false, clientPerSecond: 50, ipPerSecond: 20 });
  assert.equal(config.keyEncryptionSecret, undefined);
  assert.equal(config.auditRetentionDays, 90);
  assert.equal(config.signatureMaxSkew, 300);
  assert.equal(loadConfig({ RATE_LIMIT_DISABLED: '1' }).rateLimits.disabled, true);
});

test('the issuer follows PORT unless ISSUER is set', () => {
  assert.equal(loadConfig({ PORT: '8080' }).issuer, 'http://localhost:8080');
  assert.equal(loadConfig({ ISSUER: 'https://id.example.com/' }).issuer, 'https://id.example.com');
});

test('plain http is allowed only for loopback issuers', () => {
  for (const issuer of ['http://localhost:3000', 'http://127.0.0.1:4000', 'http://[::1]:3000']) {
    assert.equal(loadConfig({ ISSUER: issuer }).issuer, issuer);
  }
  assert.throws(() => loadConfig({ ISSUER: 'http://id.example.com' }), /ISSUER must use https/);
});

test('bad values stop start-up with a message naming the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /^PORT /],
    [{ PORT: '70000' }, /^PORT /],
    [{ ISSUER: 'not a url' }, /^ISSUER /],
    [{ ISSUER: 'https://id.example.com?x=1' }, /^ISSUER /],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL /],
    [{ DATABASE_URL: 'postgres://db.internal' }, /^DATABASE_URL names no PostgreSQL database/],
    [{ DATABASE_URL: 'postgresql://' }, /^DATABASE_URL /],
    [{ DATABASE_POOL_SIZE: '0' }, /^DATABASE_POOL_SIZE /],
    [{ DATABASE_POOL_SIZE: 'many' }, /^DATABASE_POOL_SIZE /],
    [{ MIGRATE_ON_START: 'later' }, /^MIGRATE_ON_START /],
    [{ SHUTDOWN_TIMEOUT: '0' }, /^SHUTDOWN_TIMEOUT /],
    [{ WORKERS: '0' }, /^WORKERS must be "auto" or a whole number from 1 to 256, got "0"/],
    [{ WORKERS: 'all' }, /^WORKERS must be "auto" or a whole number/],
    [{ WORKERS: '2.5' }, /^WORKERS /],
    [{ SIGNATURE_MAX_SKEW: '0' }, /^SIGNATURE_MAX_SKEW /],
    [{ SIGNATURE_MAX_SKEW: '5m' }, /^SIGNATURE_MAX_SKEW /],
    [{ ARGON2_MEMORY_KIB: '1024' }, /^ARGON2_MEMORY_KIB /],
    [{ ARGON2_TIME_COST: '1' }, /^ARGON2_TIME_COST /],
    [{ ACCESS_TOKEN_TTL: '-5' }, /^ACCESS_TOKEN_TTL /],
    [{ JWKS: '{"keys":[{"kty":"EC","x":"public-only"}]}' }, /^JWKS /],
    [{ JWKS: 'nope' }, /^JWKS /],
    [{ COOKIE_KEYS: 'short' }, /^COOKIE_KEYS /],
    [{ TRUST_PROXY: 'maybe' }, /^TRUST_PROXY /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL /],
    [{ API_SCOPES: 'orders:read' }, /^API_SCOPES is no longer read: register each API with `gatehouse resource create/],
    [{ OPEN_REGISTRATION: 'sometimes' }, /^OPEN_REGISTRATION /],
    [{ REGISTRATION_RATE_LIMIT: '0' }, /^REGISTRATION_RATE_LIMIT /],
    [{ ALLOW_PRIVATE_NETWORK_FETCH: 'please' }, /^ALLOW_PRIVATE_NETWORK_FETCH /],
    [{ LOGIN_MAX_FAILURES: '11' }, /^LOGIN_MAX_FAILURES /],
    [{ LOGIN_MAX_FAILURES: '0' }, /^LOGIN_MAX_FAILURES /],
    [{ LOGIN_LOCKOUT_MAX_SECONDS: '10' }, /^LOGIN_LOCKOUT_MAX_SECONDS /],
    [{ LOGIN_IP_MAX_FAILURES: 'many' }, /^LOGIN_IP_MAX_FAILURES /],
    [{ RATE_LIMIT_DISABLED: 'sometimes' }, /^RATE_LIMIT_DISABLED /],
    [{ RATE_LIMIT_CLIENT_PER_SECOND: '0' }, /^RATE_LIMIT_CLIENT_PER_SECOND /],
    [{ RATE_LIMIT_IP_PER_SECOND: '1.5' }, /^RATE_LIMIT_IP_PER_SECOND /],
    [{ KEY_ENCRYPTION_SECRET: 'too-short' }, /^KEY_ENCRYPTION_SECRET /],
    [{ AUDIT_RETENTION_DAYS: '0' }, /^AUDIT_RETENTION_DAYS /],
    [{ CLIENT_SECRET_PEPPER: 'pepper' }, /^CLIENT_SECRET_PEPPER /],
    [{ METRICS_TOKEN: 'too-short' }, /^METRICS_TOKEN /],
    [{ METRICS_TOKEN: 'has spaces in it but is long enough to pass' }, /^METRICS_TOKEN /],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (error: Error) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
  }
});

test('PostgreSQL URLs, pool size, migrate-on-start and shutdown timeout', () => {
  const config = loadConfig({
    DATABASE_URL: 'postgresql://gatehouse:secret@db.internal:5432/gatehouse?sslmode=require',
    DATABASE_POOL_SIZE: '25',
    MIGRATE_ON_START: 'false',
    SHUTDOWN_TIMEOUT: '30',
  });
  assert.equal(config.databaseUrl, 'postgresql://gatehouse:secret@db.internal:5432/gatehouse?sslmode=require');
  assert.equal(config.databasePoolSize, 25);
  assert.equal(config.migrateOnStart, false);
  assert.equal(config.shutdownTimeoutSeconds, 30);
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://h/db' }).databaseUrl, 'postgres://h/db');
  const defaults = loadConfig({});
  assert.equal(defaults.databasePoolSize, 10);
  assert.equal(defaults.migrateOnStart, true);
  assert.equal(defaults.shutdownTimeoutSeconds, 10);
});

test('WORKERS: 1 by default, a number, or auto for one per usable core', () => {
  assert.equal(loadConfig({}).workers, 1);
  assert.equal(loadConfig({ WORKERS: '4' }).workers, 4);
  assert.equal(loadConfig({ WORKERS: ' AUTO ' }).workers, availableParallelism());
});

test('a refused DATABASE_URL is quoted without its password', () => {
  assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://admin:hunter2@db/x' }), (error: Error) => !error.message.includes('hunter2') && /admin:\*\*\*@/.test(error.message));
});

test('mutual TLS: the certificate header only with TRUST_PROXY, TLS files read and checked at start-up', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-env-'));
  try {
    assert.deepEqual(loadConfig({}).mtls, { certificateHeader: undefined, ignoredCertificateHeader: undefined, clientCaPems: [], baseUrl: undefined });
    assert.equal(loadConfig({}).tls, undefined);
    const trusted = loadConfig({ TRUST_PROXY: 'true', MTLS_CERTIFICATE_HEADER: 'X-SSL-Client-Cert' }).mtls;
    assert.equal(trusted.certificateHeader, 'x-ssl-client-cert');
    const untrusted = loadConfig({ MTLS_CERTIFICATE_HEADER: 'X-SSL-Client-Cert' }).mtls;
    assert.equal(untrusted.certificateHeader, undefined);
    assert.equal(untrusted.ignoredCertificateHeader, 'x-ssl-client-cert');
    assert.equal(loadConfig({ MTLS_BASE_URL: 'https://mtls.example.com/' }).mtls.baseUrl, 'https://mtls.example.com');

    const ca = await TestCa.create(join(dir, 'ca'));
    const server = await ca.issue('server', { subject: '/CN=server', usage: 'serverAuth' });
    const other = await ca.issue('other', { subject: '/CN=other' });
    const garbage = join(dir, 'garbage.pem');
    await writeFile(garbage, 'not a certificate');
    const tls = loadConfig({ TLS_CERT_FILE: server.certFile, TLS_KEY_FILE: server.keyFile, TLS_CLIENT_CA_FILE: ca.root.certFile });
    assert.equal(tls.tls?.certPem, server.certPem);
    assert.deepEqual(tls.mtls.clientCaPems, [ca.root.certPem.trim()]);

    const refused: [Record<string, string>, RegExp][] = [
      [{ MTLS_CERTIFICATE_HEADER: 'X SSL' }, /MTLS_CERTIFICATE_HEADER must be an HTTP header name/],
      [{ MTLS_CERTIFICATE_HEADER: 'Authorization' }, /MTLS_CERTIFICATE_HEADER must name a header of its own/],
      [{ MTLS_CERTIFICATE_HEADER: 'X-Forwarded-Client-Cert' }, /MTLS_CERTIFICATE_HEADER must name a header of its own/],
      [{ TLS_CERT_FILE: server.certFile }, /TLS_CERT_FILE and TLS_KEY_FILE must be set together/],
      [{ TLS_CERT_FILE: join(dir, 'missing.pem'), TLS_KEY_FILE: server.keyFile }, /TLS_CERT_FILE: cannot read .*ENOENT/],
      [{ TLS_CERT_FILE: garbage, TLS_KEY_FILE: server.keyFile }, /TLS_CERT_FILE must hold a PEM certificate/],
      [{ TLS_CERT_FILE: server.certFile, TLS_KEY_FILE: garbage }, /TLS_KEY_FILE must hold an unencrypted PEM private key/],
      [{ TLS_CERT_FILE: server.certFile, TLS_KEY_FILE: other.keyFile }, /TLS_KEY_FILE does not hold the private key/],
      [{ TLS_CLIENT_CA_FILE: garbage }, /TLS_CLIENT_CA_FILE must hold one or more PEM CA certificates/],
      [{ TLS_CLIENT_CA_FILE: other.certFile }, /TLS_CLIENT_CA_FILE holds "CN=other", which is not a CA certificate/],
      [{ MTLS_BASE_URL: 'http://mtls.example.com' }, /MTLS_BASE_URL must be an https URL/],
      [{ MTLS_BASE_URL: 'https://mtls.example.com/?x=1' }, /MTLS_BASE_URL must not have a query/],
    ];
    for (const [env, message] of refused) {
      assert.throws(() => loadConfig(env), (error: Error) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
