// OAuth 2.0 Authorization Server Metadata (RFC 8414) at /.well-known/oauth-authorization-server.
// oidc-provider only serves /.well-known/openid-configuration; its document is a superset of the
// RFC 8414 one with the same issuer, so both paths answer with the same document, which also lists
// the scopes of the stored APIs (they change at run time, so oidc-provider cannot know them).
import type { Context, Next } from 'koa';
import type { ResourceCatalog } from '../resources/resources.js';

const RFC8414_PATH = '/.well-known/oauth-authorization-server';
const OIDC_PATH = '/.well-known/openid-configuration';

export function authorizationServerMetadata(resources: ResourceCatalog) {
  return async function serveMetadata(ctx: Context, next: Next): Promise<void> {
    if (ctx.path === RFC8414_PATH && (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS')) {
      ctx.path = OIDC_PATH;
    }
    await next();
    if (ctx.path !== OIDC_PATH || ctx.status !== 200) return;
    const body = ctx.body as { scopes_supported?: unknown } | undefined;
    if (body && Array.isArray(body.scopes_supported)) {
      body.scopes_supported = [...new Set([...body.scopes_supported, ...(await resources.allScopes())])];
    }
  };
}
