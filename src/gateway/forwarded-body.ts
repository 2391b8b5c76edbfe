// The original request's body, where the gateway sends it along with the check: Envoy ext_authz
// with with_request_body, Traefik forwardAuth with forwardBody. Read up to MAX_BODY_BYTES (the
// body limit refuses a longer declared length before this runs); a longer chunked body is kept
// as a partial one, which cannot prove a Content-Digest.
import type { Context } from 'koa';
import { MAX_BODY_BYTES } from '../http/body-limit.js';
import type { ForwardedBody } from './original-request.js';

/** Envoy marks a body it cut at max_request_bytes (allow_partial_message). */
const ENVOY_PARTIAL_BODY = 'x-envoy-auth-partial-body';

export async function readForwardedBody(ctx: Context): Promise<ForwardedBody | undefined> {
  const declared = ctx.request.length;
  const chunked = ctx.get('transfer-encoding') !== '';
  if (!chunked && !declared) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  let partial = ctx.get(ENVOY_PARTIAL_BODY).toLowerCase() === 'true';
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      partial = true;
      // The rest stays unread: this connection cannot carry another request.
      ctx.set('Connection', 'close');
      break;
    }
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks), partial };
}
