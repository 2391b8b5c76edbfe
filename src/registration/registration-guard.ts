// Applies Gatehouse's client rules to dynamic registration (RFC 7591) and its updates (RFC 7592)
// before oidc-provider sees them: the same validation as `gatehouse client create` (exact https
// redirect URIs or loopback / private-use schemes for native apps, only our grants, no implicit),
// plus a per-IP limit on registration attempts.
import type { KoaContextWithOIDC } from 'oidc-provider';
import {
  ClientInputError, TLS_SUBJECT_FIELDS, validateClientRequest, type ClientPolicy, type ClientRequest, type TlsSubject,
} from '../clients/validate-client.js';
import { isHashedSecret } from '../oidc/client-secrets.js';
import type { RateLimiter } from './rate-limit.js';
import { handOnProviderBody, readProviderBody } from '../http/provider-body.js';

const DEFAULT_NAME = 'Dynamically registered client';

export interface RegistrationGuardOptions {
  limiter: RateLimiter;
  /** Read per request: APIs can be added while the server runs. */
  policy(): Promise<ClientPolicy>;
  /** Takes one use of the initial access token; false when it has none left. Absent: open registration. */
  takeTokenUse?: ((token: string) => Promise<boolean>) | undefined;
}

type Metadata = Record<string, unknown>;

function fail(ctx: KoaContextWithOIDC, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.set('cache-control', 'no-store');
  ctx.body = { error, error_description: description };
}

function strings(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new ClientInputError(`${field} must be an array of strings`);
  }
  return value;
}

function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ClientInputError(`${field} must be a string`);
  return value;
}

function optionalFlag(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ClientInputError(`${field} must be true or false`);
  return value;
}

/** RFC 7591 metadata to the request `gatehouse client create` would make. */
function toClientRequest(body: Metadata): ClientRequest {
  const responseTypes = strings(body.response_types, 'response_types') ?? ['code'];
  if (responseTypes.some((type) => type !== 'code')) {
    throw new ClientInputError('only the "code" response type is supported (OAuth 2.1 removed the implicit grant)');
  }
  const authMethod = optionalText(body.token_endpoint_auth_method, 'token_endpoint_auth_method');
  const scope = optionalText(body.scope, 'scope');
  const jwksUri = optionalText(body.jwks_uri, 'jwks_uri');
  const backchannelLogoutUri = optionalText(body.backchannel_logout_uri, 'backchannel_logout_uri');
  const tlsSubject: TlsSubject = {};
  for (const field of TLS_SUBJECT_FIELDS) {
    const value = optionalText(body[field], field);
    if (value !== undefined) tlsSubject[field] = value;
  }
  return {
    name: optionalText(body.client_name, 'client_name') ?? DEFAULT_NAME,
    public: authMethod === 'none',
    grantTypes: strings(body.grant_types, 'grant_types') ?? ['authorization_code'],
    redirectUris: strings(body.redirect_uris, 'redirect_uris') ?? [],
    postLogoutRedirectUris: strings(body.post_logout_redirect_uris, 'post_logout_redirect_uris') ?? [],
    ...(scope === undefined ? {} : { scope }),
    ...(authMethod === undefined ? {} : { authMethod }),
    ...(jwksUri === undefined ? {} : { jwksUri }),
    ...(body.jwks === undefined ? {} : { jwks: body.jwks }),
    requireDpop: body.dpop_bound_access_tokens === true,
    requirePar: body.require_pushed_authorization_requests === true,
    ...(backchannelLogoutUri === undefined ? {} : { backchannelLogoutUri }),
    tlsSubject,
    certificateBoundTokens: optionalFlag(body.tls_client_certificate_bound_access_tokens, 'tls_client_certificate_bound_access_tokens'),
  };
}

/** The validated metadata replaces what the client sent for every field Gatehouse decides. */
function applyProfile(body: Metadata, request: ClientRequest, policy: ClientPolicy): Metadata {
  const profile = validateClientRequest(request, policy);
  const merged: Metadata = { ...body, ...profile };
  for (const field of ['scope', 'api_scope', ...TLS_SUBJECT_FIELDS, 'tls_client_certificate_bound_access_tokens'] as const) {
    if (profile[field] === undefined) delete merged[field];
  }
  return merged;
}

export function registrationGuard({ limiter, policy, takeTokenUse }: RegistrationGuardOptions) {
  return async function guardRegistration(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    const creating = ctx.method === 'POST' && ctx.path === '/reg';
    const managing = /^\/reg\/[^/]+$/.test(ctx.path);
    const updating = ctx.method === 'PUT' && managing;
    if (managing && !updating) {
      await next();
      hideStoredSecret(ctx);
      return;
    }
    if (!creating && !updating) return next();

    // Every attempt counts, failed ones too: guessing initial access tokens is an attempt as well.
    if (creating && !(await limiter.consume(ctx.ip))) {
      ctx.set('retry-after', '3600');
      fail(ctx, 429, 'temporarily_unavailable', 'too many client registrations from this address; try again later');
      return;
    }
    if (!ctx.is('application/json')) return next();

    let body: unknown;
    try {
      body = JSON.parse(await readProviderBody(ctx));
    } catch {
      fail(ctx, 400, 'invalid_request', 'client registration request must be a JSON object');
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      fail(ctx, 400, 'invalid_request', 'client registration request must be a JSON object');
      return;
    }
    try {
      const metadata = body as Metadata;
      // The registration access token authenticates an update; the clear secret cannot be compared
      // with the stored hash, and keeping it out of the body keeps the stored hash untouched.
      if (updating) delete metadata.client_secret;
      handOnProviderBody(ctx, applyProfile(metadata, toClientRequest(metadata), await policy()));
    } catch (error) {
      if (!(error instanceof ClientInputError)) throw error;
      const aboutRedirects = /redirect URI/i.test(error.message);
      fail(ctx, 400, aboutRedirects ? 'invalid_redirect_uri' : 'invalid_client_metadata', error.message);
      return;
    }
    // Only a request that passed validation spends a use of a limited initial access token.
    const bearer = /^Bearer (\S+)$/i.exec(ctx.get('authorization'))?.[1];
    if (creating && bearer && takeTokenUse && !(await takeTokenUse(bearer))) {
      ctx.set('www-authenticate', 'Bearer error="invalid_token", error_description="initial access token has no uses left"');
      fail(ctx, 401, 'invalid_token', 'initial access token has no uses left');
      return;
    }
    await next();
    if (updating) hideStoredSecret(ctx);
  };
}

/**
 * Reads and updates answer with the stored metadata, whose `client_secret` is the secret's hash:
 * useless to the client and not something to hand out. The secret itself was shown once, at creation.
 */
function hideStoredSecret(ctx: KoaContextWithOIDC): void {
  const body = ctx.body as Metadata | undefined;
  if (body && typeof body.client_secret === 'string' && isHashedSecret(body.client_secret)) {
    delete body.client_secret;
  }
}
