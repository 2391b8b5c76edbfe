// oidc-provider's resource indicator helpers (RFC 8707) backed by the stored APIs: which API a
// request is for, which of its scopes the client may have, and how its access tokens look.
import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { SCOPES } from '../oidc/scopes.js';
import type { Resource, ResourceCatalog } from './resources.js';

type ResourceIndicators = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;
type ResourceServerInfo = Awaited<ReturnType<NonNullable<ResourceIndicators['getResourceServerInfo']>>>;

const OIDC_SCOPES: ReadonlySet<string> = new Set(SCOPES);

/** API scopes the client was registered with (`api_scope`, kept under its own name by oidc-provider). */
function clientApiScopes(client: { api_scope?: unknown }): Set<string> {
  const raw = client.api_scope;
  return new Set(typeof raw === 'string' ? raw.split(' ').filter(Boolean) : []);
}

function requestedScopes(ctx: KoaContextWithOIDC): string[] {
  const raw = ctx.oidc.params?.scope;
  return typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
}

/** Without a lifetime of its own, the token gets the server's ACCESS_TOKEN_TTL / CLIENT_CREDENTIALS_TTL. */
function resourceServerInfo(resource: Resource, allowed: string[]): ResourceServerInfo {
  return {
    scope: allowed.join(' '),
    audience: resource.identifier,
    ...(resource.ttl === undefined ? {} : { accessTokenTTL: resource.ttl }),
    ...(resource.format === 'jwt'
      ? { accessTokenFormat: 'jwt' as const, jwt: { sign: { alg: resource.alg } } }
      : { accessTokenFormat: 'opaque' as const }),
  };
}

/** The `features.resourceIndicators` settings; `signingAlgs` are the algorithms the JWKS can sign with. */
export function resourceIndicators(resources: ResourceCatalog, signingAlgs: ReadonlySet<string>): ResourceIndicators {
  // A token request asks for the list (to pick the default API) and then for the API itself: one
  // read of the APIs per request serves both, and a new request reads them afresh.
  const listed = new WeakMap<object, Promise<Resource[]>>();
  const apisFor = (ctx: KoaContextWithOIDC): Promise<Resource[]> => {
    let apis = listed.get(ctx);
    if (!apis) {
      apis = resources.list();
      listed.set(ctx, apis);
    }
    return apis;
  };

  return {
    enabled: true,

    // Without `resource=`, API scopes alone say which API is meant when exactly one defines them,
    // so a service can simply ask for `scope=orders:read`.
    async defaultResource(ctx, client, oneOf) {
      if (oneOf) return oneOf;
      const wanted = requestedScopes(ctx).filter((scope) => !OIDC_SCOPES.has(scope));
      if (wanted.length === 0) return undefined;
      const owners = (await apisFor(ctx)).filter((r) => wanted.some((scope) => r.scopes.includes(scope)));
      if (owners.length > 1) {
        throw new errors.InvalidTarget('these scopes belong to several APIs; name one with the resource parameter');
      }
      if (owners.length === 0) {
        throw new errors.InvalidScope('requested scope is not defined by any API', wanted.join(' '));
      }
      return owners[0].identifier;
    },

    // The client sees the API's scopes it was registered for, no others; asking for more is an error
    // rather than a silently smaller token.
    async getResourceServerInfo(ctx, indicator, client) {
      const resource = (await apisFor(ctx)).find((r) => r.identifier === indicator);
      if (!resource) throw new errors.InvalidTarget('unknown resource indicator');
      const mayHave = clientApiScopes(client as { api_scope?: unknown });
      const allowed = resource.scopes.filter((scope) => mayHave.has(scope));
      if (allowed.length === 0) throw new errors.InvalidTarget('the client is not allowed to use this resource');
      const refused = requestedScopes(ctx).filter((scope) => resource.scopes.includes(scope) && !mayHave.has(scope));
      if (refused.length) throw new errors.InvalidScope('requested scope is not allowed', refused.join(' '));
      if (resource.format === 'jwt' && !signingAlgs.has(resource.alg)) {
        throw new errors.InvalidTarget(`the server has no ${resource.alg} signing key for this resource`);
      }
      return resourceServerInfo(resource, allowed);
    },

    // A code or refresh token granted for an API yields a token for that API even with `openid`, as
    // the client asked for the API at authorization; grants without a resource still get userinfo tokens.
    async useGrantedResource() {
      return true;
    },
  };
}
