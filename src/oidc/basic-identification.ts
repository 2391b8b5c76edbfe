// `Authorization: Basic base64(client_id:)`, an id with an empty password, is how several OAuth
// libraries and command-line clients name a public client on every request. oidc-provider refuses
// it (a Basic header must carry a secret), so in front of it such a header is turned into what it
// means: `client_id` in the body and no client authentication. The provider then decides as for any
// body-only request: a public client goes on, any other client fails to authenticate (401
// invalid_client, counted by the rate limiter, metrics and logs like every failed authentication).
//
// A header carrying a password, a request with other credentials in its body, or a body naming a
// different client_id is left as it is, for the provider to refuse as before.
import type { Context, Middleware } from 'koa';
import { basicCredentials } from '../http/basic-credentials.js';
import { BodyTooLarge, handOnProviderBody, readProviderBody, refuseTooLarge } from '../http/provider-body.js';

/** oidc-provider's endpoints that authenticate clients (its default routes). */
const CLIENT_AUTHENTICATING_PATHS: ReadonlySet<string> = new Set([
  '/token', '/device/auth', '/request', '/token/revocation', '/token/introspection',
]);

const BODY_CREDENTIALS = ['client_secret', 'client_assertion', 'client_assertion_type'];

/** The form body naming `clientId` without authentication, or undefined to leave the request alone. */
function identifiedBody(raw: string, clientId: string): string | undefined {
  const params = new URLSearchParams(raw);
  if (BODY_CREDENTIALS.some((name) => params.has(name))) return undefined;
  const named = params.getAll('client_id');
  if (named.length === 0) {
    params.set('client_id', clientId);
    return params.toString();
  }
  return named.length === 1 && named[0] === clientId ? raw : undefined;
}

export function basicIdentification(issuer: string): Middleware {
  return async (ctx: Context, next) => {
    if (ctx.method !== 'POST' || !CLIENT_AUTHENTICATING_PATHS.has(ctx.path)) return next();
    const credentials = basicCredentials(ctx.get('authorization'));
    if (!credentials || credentials.secret !== '' || !ctx.is('application/x-www-form-urlencoded')) return next();

    let raw: string;
    try {
      raw = await readProviderBody(ctx);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      refuseTooLarge(ctx);
      return;
    }
    const body = identifiedBody(raw, credentials.clientId);
    if (body === undefined) return next();
    handOnProviderBody(ctx, body);
    delete ctx.req.headers.authorization;

    await next();
    // RFC 6749 section 5.2: a client that tried the Authorization header is answered with a
    // challenge for its scheme, which the provider no longer knows it tried.
    if (ctx.status === 401 && !ctx.response.get('WWW-Authenticate')) {
      const error = (ctx.body as { error?: unknown } | undefined)?.error;
      ctx.set('WWW-Authenticate', `Basic realm="${issuer}"${typeof error === 'string' ? `, error="${error}"` : ''}`);
    }
  };
}
