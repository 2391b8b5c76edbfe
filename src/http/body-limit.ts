// Refuses any request whose declared body is larger than any endpoint accepts, before a byte of it
// is read, on every route (ours and oidc-provider's). Chunked bodies without a length are capped
// by each reader instead (our forms at 16 KiB, oidc-provider and the rate limiter at 56 KiB).
import type { Middleware } from 'koa';

export const MAX_BODY_BYTES = 64 * 1024;

export const bodyLimit: Middleware = async (ctx, next) => {
  const declared = ctx.request.length;
  if (declared !== undefined && declared > MAX_BODY_BYTES) {
    // The unread body would otherwise be parsed as the next request on this connection.
    ctx.set('Connection', 'close');
    ctx.status = 413;
    ctx.body = { error: 'invalid_request', error_description: `request body larger than ${MAX_BODY_BYTES} bytes` };
    return;
  }
  await next();
};
