// Reads and validates every environment variable Gatehouse uses, once, at start-up. A bad value
// throws a ConfigError naming the variable, so the process stops before it serves anything.
import { SCOPES } from '../oidc/scopes.js';

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
  /** Seconds in-flight requests get to finish after SIGTERM/SIGINT before connections are cut. */
  shutdownTimeoutSeconds: number;
  /** Honour X-Forwarded-* headers from a TLS-terminating proxy in front of Gatehouse. */
  trustProxy: boolean;
  /** Private JWKS supplied by the operator; when absent keys are generated and stored. */
  jwks: { keys: Record<string, unknown>[] } | undefined;
  /** Cookie signing keys supplied by the operator; when absent they are generated and stored. */
  cookieKeys: string[] | undefined;
  /** Scopes our APIs define, offered to clients beside the OpenID Connect scopes. */
  apiScopes: string[];
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
  devicePollInterval: number;
  sweepIntervalSeconds: number;
  logLevel: 'silent' | 'error' | 'info' | 'debug';
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

const OIDC_SCOPES: ReadonlySet<string> = new Set(SCOPES);

function parseApiScopes(raw: string | undefined): string[] {
  const scopes = [...new Set((raw ?? '').split(/\s+/).filter(Boolean))];
  for (const scope of scopes) {
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)) {
      throw new ConfigError(`API_SCOPES: "${scope}" is not a valid scope token (RFC 6749 section 3.3)`);
    }
    if (OIDC_SCOPES.has(scope)) {
      throw new ConfigError(`API_SCOPES: "${scope}" is an OpenID Connect scope, always offered; list only API scopes`);
    }
  }
  return scopes;
}

const LOG_LEVELS = ['silent', 'error', 'info', 'debug'] as const;

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST?.trim() || '0.0.0.0';
  const issuer = parseIssuer(env.ISSUER?.trim() || `http://localhost:${port}`);
  const databaseUrl = parseDatabaseUrl(env.DATABASE_URL?.trim() || 'file:./data/gatehouse.db');
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
    shutdownTimeoutSeconds: integer(env, 'SHUTDOWN_TIMEOUT', 10, 1, 600),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    jwks: parseJwks(env.JWKS),
    cookieKeys: parseCookieKeys(env.COOKIE_KEYS),
    apiScopes: parseApiScopes(env.API_SCOPES),
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
    devicePollInterval: integer(env, 'DEVICE_POLL_INTERVAL', 5, 1, 60),
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL', 300, 1, 86400),
    logLevel,
  };
}
