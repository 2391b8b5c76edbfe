// The clients, user and scopes both benchmark servers get, so Gatehouse and the ceiling answer the
// very same requests. Secrets here are throwaway values for a throwaway local database.
export const API_SCOPE = 'reports:read';
export const API_RESOURCE = 'https://reports.bench.invalid';
/** How the benchmark API's tokens are issued: BENCH_RESOURCE_FORMAT=jwt or opaque (the default). */
export function benchResourceFormat(env: Record<string, string | undefined>): 'jwt' | 'opaque' {
  return env.BENCH_RESOURCE_FORMAT === 'jwt' ? 'jwt' : 'opaque';
}

export const REFRESH_SCOPE = 'openid offline_access';
export const REDIRECT_URI = 'http://127.0.0.1:9999/cb';
/**
 * One account takes at most LOGIN_MAX_FAILURES sign-ins at the very same moment (the throttle
 * counts attempts in progress as failures), so concurrent flows spread over this many accounts:
 * four per account at the benchmark's 64 connections.
 */
export const BENCH_USERS = 16;
/** The account flow number `i` signs in as. */
export function benchUser(i: number): { email: string; password: string } {
  return { email: `bench-${i % BENCH_USERS}@example.com`, password: 'a long bench passphrase' };
}

interface BenchClient {
  /** Arguments for `gatehouse client create`. */
  cli: string[];
  /** The same client as static oidc-provider metadata, for the ceiling. */
  metadata: { client_id: string; client_secret?: string } & Record<string, unknown>;
}

export type ClientName = 'job' | 'spa' | 'tv';

export const BENCH_CLIENTS: Record<ClientName, BenchClient> = {
  job: {
    cli: ['--name', 'Bench job', '--grant', 'client_credentials', '--scope', API_SCOPE],
    metadata: {
      client_id: 'benchjob', client_secret: 'bench-job-secret-0123456789', grant_types: ['client_credentials'],
      response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic', api_scope: API_SCOPE,
    },
  },
  spa: {
    cli: ['--name', 'Bench SPA', '--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT_URI],
    metadata: {
      client_id: 'benchspa', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', application_type: 'web',
    },
  },
  tv: {
    cli: ['--name', 'Bench TV', '--public', '--grant', 'device_code'],
    metadata: {
      client_id: 'benchtv', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [],
      redirect_uris: [], token_endpoint_auth_method: 'none', application_type: 'native',
    },
  },
};

/** Client id and secret as each server knows them (Gatehouse generates its own). */
export type Credentials = Record<ClientName, { client_id: string; client_secret?: string }>;

/**
 * What the gateway-check scenarios ask about: API_RESOURCE (opaque tokens; API keys under
 * CHECK_KEY_PATH) and a second API with JWT access tokens, called by a client of their own.
 */
export const CHECK_JWT_RESOURCE = 'https://jwt-reports.bench.invalid';
export const CHECK_JWT_SCOPE = 'jwt-reports:read';
export const CHECK_KEY_PATH = '/keyed';
/** Limits on and counting every call, set far above what the benchmark sends: it measures their cost. */
export const CHECK_LIMITS = ['--rate-limit', '1000000/s', '--quota', '999999999/day'];
