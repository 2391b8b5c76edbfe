// JWT access tokens for our APIs (RFC 8707 resource indicators + RFC 9068 style JWTs): when
// API_RESOURCE is set, tokens carrying API scopes are ES256-signed JWTs with that audience, which
// an API verifies against /jwks without calling introspection. Without it every token is opaque.
import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/env.js';

type ResourceIndicators = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;

function asksForApi(ctx: KoaContextWithOIDC, apiScopes: ReadonlySet<string>): boolean {
  if (ctx.oidc.params?.grant_type === 'client_credentials') return true;
  const scope = ctx.oidc.params?.scope;
  return typeof scope === 'string' && scope.split(' ').some((s) => apiScopes.has(s));
}

export function apiResourceFeature(config: Config): ResourceIndicators {
  const resource = config.apiResource;
  if (resource === undefined) return { enabled: false };
  const apiScopes: ReadonlySet<string> = new Set(config.apiScopes);
  return {
    enabled: true,
    defaultResource: async (ctx, _client, oneOf) => oneOf?.[0] ?? (asksForApi(ctx, apiScopes) ? resource : undefined),
    getResourceServerInfo: async (_ctx, indicator) => {
      if (indicator !== resource) throw new errors.InvalidTarget('unknown resource');
      return {
        scope: config.apiScopes.join(' '),
        audience: resource,
        accessTokenTTL: config.ttl.clientCredentials,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      };
    },
    useGrantedResource: async () => false,
  };
}
