// Reads and validates every environment variable Gatehouse uses, once, at start-up. A bad value
// throws a ConfigError naming the variable, so the process stops before it serves anything.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { splitPemCertificates } from '../mtls/trusted-issuers.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Argon2Settings {
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
}

export interface Config {
  port: number;
  host: string;
  issuer: string;
  databaseUrl: string;
  /** Most connections to PostgreSQL per instance; SQLite uses one connection. */
  databasePoolSize: number;
  /** Apply pending migrations at start; false when operators run `gatehouse db migrate` before rollout. */
  migrateOnStart: boolean;
  /** Worker processes serving the one port (node:cluster); 1 serves from the process itself. */
  workers: number;
  /** Seconds in-flight requests get to finish after SIGTERM/SIGINT before connections are cut. */
  shutdownTimeoutSeconds: number;
  /** Honour X-Forwarded-* headers from a TLS-terminating proxy in front of Gatehouse. */
  trustProxy: boolean;
  /** Private JWKS supplied by the operator; when absent keys are generated and stored. */
  jwks: { keys: Record<string, unknown>[] } | undefined;
  /** Cookie signing keys supplied by the operator; when absent they are generated and stored. */
  cookieKeys: string[] | undefined;
  /** Anyone may register a client without an initial access token (RFC 7591 open registration). */
  openRegistration: boolean;
  /** Client registrations allowed per IP address per hour. */
  registrationRateLimit: number;
  /**
   * Let the server call client URLs (jwks_uri, backchannel_logout_uri) on loopback and private
   * addresses. Off, oidc-provider refuses them to prevent server-side request forgery.
   */
  allowPrivateNetworkFetch: boolean;
  argon2: Argon2Settings;
  ttl: {
    accessToken: number;
    clientCredentials: number;
    idToken: number;
    refreshToken: number;
    authorizationCode: number;
    deviceCode: number;
    session: number;
    interaction: number;
    grant: number;
  };
  /** Whether confidential clients rotate their refresh tokens on every use too. */
  rotateConfidentialRefreshTokens: boolean;
  /** Seconds after a rotation in which the rotated refresh token still answers with its child; 0: off. */
  refreshTokenRetryGrace: number;
  devicePollInterval: number;
  sweepIntervalSeconds: number;
  loginThrottle: LoginThrottleSettings;
  rateLimits: RateLimitSettings;
  /** Encrypts private signing keys and API keys' signing secrets stored in the database when set. */
  keyEncryptionSecret: string | undefined;
  /** Seconds a signed request's created time may lie before or after now (RFC 9421). */
  signatureMaxSkew: number;
  /** Keys the hashes of client secrets (HMAC-SHA-256) when set. */
  clientSecretPepper: string | undefined;
  /** MFA_REQUIRED: every sign-in needs a second factor; users without one set it up at their next sign-in. */
  mfaRequired: boolean;
  auditRetentionDays: number;
  logLevel: 'silent' | 'error' | 'info' | 'debug';
  /** Bearer token Prometheus presents at /metrics; when absent the endpoint is off. */
  metricsToken: string | undefined;
  /** Mutual TLS (RFC 8705): where client certificates come from and which CAs issue them. */
  mtls: MtlsSettings;
  /** Gatehouse terminates TLS itself (TLS_CERT_FILE, TLS_KEY_FILE); undefined: plain HTTP. */
  tls: TlsSettings | undefined;
  mail: MailSettings;
  /** SIGNUP: whether anyone may create an account at /signup. */
  signup: 'closed' | 'open';
  /** STEP_UP_MAX_AGE: how recent a sign-in must be for the account page's sensitive actions. */
  stepUpMaxAgeSeconds: number;
}

export interface MtlsSettings {
  /** Lower-case header a TLS-terminating proxy puts the client certificate in; only with TRUST_PROXY. */
  certificateHeader: string | undefined;
  /** MTLS_CERTIFICATE_HEADER as given without TRUST_PROXY=true: not trusted, named in a start-up warning. */
  ignoredCertificateHeader: string | undefined;
  /** PEM certificates of the CAs that issue tls_client_auth certificates (TLS_CLIENT_CA_FILE). */
  clientCaPems: string[];
  /** Base URL where the mTLS endpoints live when not on the issuer's host (mtls_endpoint_aliases). */
  baseUrl: string | undefined;
}

export interface TlsSettings {
  certPem: string;
  keyPem: string;
}

export interface MailSettings {
  /** SMTP_URL; undefined: every message is written to the server log instead. */
  smtpUrl: string | undefined;
  /** MAIL_FROM: the From address of every message. */
  from: string;
}

export interface LoginThrottleSettings {
  /** Failed sign-ins per account within the window before the account is locked. */
  maxFailures: number;
  windowSeconds: number;
  /** The first lockout; each further failure doubles it, up to lockoutMaxSeconds. */
  lockoutBaseSeconds: number;
  lockoutMaxSeconds: number;
  /** Failed sign-ins per client IP within the window, across all accounts. */
  ipMaxFailures: number;
}

export interface RateLimitSettings {
  /** RATE_LIMIT_DISABLED: no per-client or per-IP limits at the token, device and introspection endpoints. */
  disabled: boolean;
  /** Requests per second per client when the client has no limit of its own. */
  clientPerSecond: number;
  /** Requests per second per IP that authenticate no client. */
  ipPerSecond: number;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function parseIssuer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`ISSUER must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`ISSUER must use https, got "${raw}"`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ConfigError(`ISSUER must use https unless it is a loopback address, got "${raw}"`);
  }
  if (url.search || url.hash) {
    throw new ConfigError(`ISSUER must not have a query or fragment, got "${raw}"`);
  }
  return url.href.replace(/\/$/, '');
}

/** A URL in an error message without its password. */
function redacted(raw: string): string {
  return raw.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

function parseDatabaseUrl(raw: string): string {
  if (/^postgres(ql)?:\/\//.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`DATABASE_URL is not a valid PostgreSQL URL, got "${redacted(raw)}"`);
    }
    if (!url.hostname) throw new ConfigError(`DATABASE_URL names no PostgreSQL host, got "${redacted(raw)}"`);
    if (url.pathname.length <= 1) throw new ConfigError(`DATABASE_URL names no PostgreSQL database, got "${redacted(raw)}"`);
    return raw;
  }
  if (!raw.startsWith('file:')) {
    throw new ConfigError(`DATABASE_URL must be a file: URL for SQLite or a postgres:// URL, got "${redacted(raw)}"`);
  }
  if (raw.length <= 'file:'.length) {
    throw new ConfigError('DATABASE_URL names no file');
  }
  return raw;
}

function parseJwks(raw: string | undefined): Config['jwks'] {
  if (raw === undefined || raw.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('JWKS must be a JSON Web Key Set ({"keys":[...]}) of private keys');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError('JWKS must contain a non-empty "keys" array');
  }
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || !('d' in key) || !('kty' in key)) {
      throw new ConfigError('JWKS must contain private keys only (each with "kty" and "d")');
    }
  }
  return { keys: keys as Record<string, unknown>[] };
}

function parseCookieKeys(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const keys = raw.split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.some((k) => k.length < 32)) {
    throw new ConfigError('COOKIE_KEYS must be a comma-separated list of secrets of at least 32 characters each');
  }
  return keys;
}

function parseServerSecret(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 32) throw new ConfigError(`${name} must be at least 32 characters (e.g. openssl rand -base64 32)`);
  return raw;
}

function parseMetricsToken(raw: string | undefined): string | undefined {
  const token = raw?.trim();
  if (!token) return undefined;
  if (token.length < 32 || !/^[\x21-\x7E]+$/.test(token)) {
    throw new ConfigError('METRICS_TOKEN must be at least 32 printable characters without spaces');
  }
  return token;
}

function readPemFile(env: Env, name: string): string | undefined {
  const path = env[name]?.trim();
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${name}: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

function parseTls(env: Env): TlsSettings | undefined {
  const certPem = readPemFile(env, 'TLS_CERT_FILE');
  const keyPem = readPemFile(env, 'TLS_KEY_FILE');
  if (certPem === undefined && keyPem === undefined) return undefined;
  if (certPem === undefined || keyPem === undefined) throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certPem);
  } catch {
    throw new ConfigError('TLS_CERT_FILE must hold a PEM certificate (the server\'s first, then any intermediates)');
  }
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    throw new ConfigError('TLS_KEY_FILE must hold an unencrypted PEM private key');
  }
  if (!matches) throw new ConfigError('TLS_KEY_FILE does not hold the private key of the certificate in TLS_CERT_FILE');
  return { certPem, keyPem };
}

function parseClientCas(env: Env): string[] {
  const pem = readPemFile(env, 'TLS_CLIENT_CA_FILE');
  if (pem === undefined) return [];
  const blocks = splitPemCertificates(pem);
  if (blocks.length === 0) throw new ConfigError('TLS_CLIENT_CA_FILE must hold one or more PEM CA certificates');
  for (const block of blocks) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch {
      throw new ConfigError('TLS_CLIENT_CA_FILE holds a certificate that does not parse');
    }
    if (!certificate.ca) throw new ConfigError(`TLS_CLIENT_CA_FILE holds "${certificate.subject.replace(/\n/g, ', ')}", which is not a CA certificate`);
  }
  return blocks;
}

function parseCertificateHeader(raw: string | undefined): string | undefined {
  const name = raw?.trim();
  if (!name) return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(name)) throw new ConfigError(`MTLS_CERTIFICATE_HEADER must be an HTTP header name such as X-SSL-Client-Cert, got "${raw}"`);
  const lower = name.toLowerCase();
  if (['authorization', 'cookie', 'host', 'dpop', 'content-type', 'content-length'].includes(lower) || lower.startsWith('x-forwarded-')) {
    throw new ConfigError(`MTLS_CERTIFICATE_HEADER must name a header of its own, not ${name}`);
  }
  return lower;
}

function parseMtlsBaseUrl(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))) {
    throw new ConfigError(`MTLS_BASE_URL must be an https URL (http only on loopback), got "${raw}"`);
  }
  if (url.search || url.hash) throw new ConfigError(`MTLS_BASE_URL must not have a query or fragment, got "${raw}"`);
  return url.href.replace(/\/$/, '');
}

function parseMtls(env: Env, trustProxy: boolean): MtlsSettings {
  const header = parseCertificateHeader(env.MTLS_CERTIFICATE_HEADER);
  return {
    certificateHeader: trustProxy ? header : undefined,
    ignoredCertificateHeader: trustProxy ? undefined : header,
    clientCaPems: parseClientCas(env),
    baseUrl: parseMtlsBaseUrl(env.MTLS_BASE_URL),
  };
}

/** WORKERS=auto: one worker per core this process may use (cgroup and affinity limits included). */
function parseWorkers(env: Env): number {
  if (env.WORKERS?.trim().toLowerCase() === 'auto') return availableParallelism();
  try {
    return integer(env, 'WORKERS', 1, 1, 256);
  } catch (error) {
    throw new ConfigError(`WORKERS must be "auto" or a whole number from 1 to 256, got "${env.WORKERS}"`, { cause: error });
  }
}

function parseSmtpUrl(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`SMTP_URL must be an smtp:// or smtps:// URL, got "${redacted(value)}"`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError(`SMTP_URL must be an smtp:// or smtps:// URL, got "${redacted(value)}"`);
  if (!url.hostname) throw new ConfigError(`SMTP_URL names no host, got "${redacted(value)}"`);
  return value;
}

/** A bare address or "Name <address>", the forms nodemailer accepts for From. */
function parseMailFrom(raw: string | undefined, issuer: string): string {
  const value = raw?.trim();
  if (!value) return `Gatehouse <no-reply@${new URL(issuer).hostname}>`;
  if (!/^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(value)) {
    throw new ConfigError(`MAIL_FROM must be an email address or "Name <address>", got "${value}"`);
  }
  return value;
}

function parseSignup(raw: string | undefined): Config['signup'] {
  const value = raw?.trim().toLowerCase() || 'closed';
  if (value !== 'closed' && value !== 'open') throw new ConfigError(`SIGNUP must be closed or open, got "${raw}"`);
  return value;
}

const LOG_LEVELS = ['silent', 'error', 'info', 'debug'] as const;

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST?.trim() || '0.0.0.0';
  const issuer = parseIssuer(env.ISSUER?.trim() || `http://localhost:${port}`);
  const databaseUrl = parseDatabaseUrl(env.DATABASE_URL?.trim() || 'file:./data/gatehouse.db');
  if (env.API_SCOPES?.trim()) {
    throw new ConfigError('API_SCOPES is no longer read: register each API with `gatehouse resource create --identifier URI --scope "..."`');
  }
  const trustProxy = bool(env, 'TRUST_PROXY', false);
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }

  return {
    port,
    host,
    issuer,
    databaseUrl,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    migrateOnStart: bool(env, 'MIGRATE_ON_START', true),
    workers: parseWorkers(env),
    shutdownTimeoutSeconds: integer(env, 'SHUTDOWN_TIMEOUT', 10, 1, 600),
    trustProxy,
    jwks: parseJwks(env.JWKS),
    cookieKeys: parseCookieKeys(env.COOKIE_KEYS),
    openRegistration: bool(env, 'OPEN_REGISTRATION', false),
    registrationRateLimit: integer(env, 'REGISTRATION_RATE_LIMIT', 10, 1, 100000),
    allowPrivateNetworkFetch: bool(env, 'ALLOW_PRIVATE_NETWORK_FETCH', false),
    argon2: {
      memoryKiB: integer(env, 'ARGON2_MEMORY_KIB', 19456, 19456, 4 * 1024 * 1024),
      timeCost: integer(env, 'ARGON2_TIME_COST', 2, 2, 100),
      parallelism: integer(env, 'ARGON2_PARALLELISM', 1, 1, 64),
    },
    ttl: {
      accessToken: integer(env, 'ACCESS_TOKEN_TTL', 600, 30, 86400),
      clientCredentials: integer(env, 'CLIENT_CREDENTIALS_TTL', 600, 30, 86400),
      idToken: integer(env, 'ID_TOKEN_TTL', 3600, 30, 86400),
      refreshToken: integer(env, 'REFRESH_TOKEN_TTL', 14 * 86400, 60, 365 * 86400),
      authorizationCode: integer(env, 'AUTHORIZATION_CODE_TTL', 60, 10, 600),
      deviceCode: integer(env, 'DEVICE_CODE_TTL', 600, 5, 3600),
      session: integer(env, 'SESSION_TTL', 14 * 86400, 60, 365 * 86400),
      interaction: integer(env, 'INTERACTION_TTL', 3600, 60, 86400),
      grant: integer(env, 'GRANT_TTL', 14 * 86400, 60, 365 * 86400),
    },
    rotateConfidentialRefreshTokens: bool(env, 'ROTATE_CONFIDENTIAL_REFRESH_TOKENS', true),
    refreshTokenRetryGrace: integer(env, 'REFRESH_TOKEN_RETRY_GRACE', 30, 0, 3600),
    devicePollInterval: integer(env, 'DEVICE_POLL_INTERVAL', 5, 1, 60),
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL', 300, 1, 86400),
    loginThrottle: {
      // At most 10, so no attempt after a 10th consecutive failure reaches the password hash.
      maxFailures: integer(env, 'LOGIN_MAX_FAILURES', 5, 1, 10),
      windowSeconds: integer(env, 'LOGIN_FAILURE_WINDOW', 900, 60, 86400),
      lockoutBaseSeconds: integer(env, 'LOGIN_LOCKOUT_SECONDS', 30, 1, 3600),
      lockoutMaxSeconds: integer(env, 'LOGIN_LOCKOUT_MAX_SECONDS', 900, 60, 86400),
      ipMaxFailures: integer(env, 'LOGIN_IP_MAX_FAILURES', 50, 1, 100000),
    },
    rateLimits: {
      disabled: bool(env, 'RATE_LIMIT_DISABLED', false),
      clientPerSecond: integer(env, 'RATE_LIMIT_CLIENT_PER_SECOND', 50, 1, 1000000),
      ipPerSecond: integer(env, 'RATE_LIMIT_IP_PER_SECOND', 20, 1, 1000000),
    },
    keyEncryptionSecret: parseServerSecret(env, 'KEY_ENCRYPTION_SECRET'),
    signatureMaxSkew: integer(env, 'SIGNATURE_MAX_SKEW', 300, 1, 3600),
    clientSecretPepper: parseServerSecret(env, 'CLIENT_SECRET_PEPPER'),
    mfaRequired: bool(env, 'MFA_REQUIRED', false),
    auditRetentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 90, 1, 3650),
    logLevel,
    metricsToken: parseMetricsToken(env.METRICS_TOKEN),
    mtls: parseMtls(env, trustProxy),
    tls: parseTls(env),
    mail: { smtpUrl: parseSmtpUrl(env.SMTP_URL), from: parseMailFrom(env.MAIL_FROM, issuer) },
    signup: parseSignup(env.SIGNUP),
    stepUpMaxAgeSeconds: integer(env, 'STEP_UP_MAX_AGE', 600, 5, 86400),
  };
}
