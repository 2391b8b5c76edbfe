// OAuth 2.0 Authorization Server Metadata (RFC 8414) at /.well-known/oauth-authorization-server.
// oidc-provider only serves /.well-known/openid-configuration; its document is a superset of the
// RFC 8414 one with the same issuer, so both paths answer with that same document.
import type { Context, Next } from 'koa';

const RFC8414_PATH = '/.well-known/oauth-authorization-server';
const OIDC_PATH = '/.well-known/openid-configuration';

export async function authorizationServerMetadata(ctx: Context, next: Next): Promise<void> {
  if (ctx.path === RFC8414_PATH && (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS')) {
    ctx.path = OIDC_PATH;
  }
  await next();
}
