// Our middlewares in front of oidc-provider sometimes must see a request body first (to find the
// client being rate limited, to validate a registration). They read it here, under oidc-provider's
// own size cap, and hand it on through ctx.request.body, where oidc-provider looks for a parsed body.
import type { Context } from 'koa';

/** oidc-provider's own cap on request bodies. */
export const PROVIDER_BODY_LIMIT_BYTES = 56 * 1024;

export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

interface HandedOn {
  body?: unknown;
}

/** The raw body, read from the request or, when a middleware before has read it, as handed on. */
export async function readProviderBody(ctx: Context): Promise<string> {
  const handedOn = (ctx.request as HandedOn).body;
  if (typeof handedOn === 'string') return handedOn;
  const declared = ctx.request.length;
  if (declared !== undefined && declared > PROVIDER_BODY_LIMIT_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > PROVIDER_BODY_LIMIT_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  handOnProviderBody(ctx, raw);
  return raw;
}

/** Gives oidc-provider (and any middleware after) this body in place of the one read. */
export function handOnProviderBody(ctx: Context, body: unknown): void {
  (ctx.request as HandedOn).body = body;
}

/** Answers a body over the cap, closing the connection: its unread rest would be the next request. */
export function refuseTooLarge(ctx: Context): void {
  ctx.set('Connection', 'close');
  ctx.status = 413;
  ctx.body = { error: 'invalid_request', error_description: `request body larger than ${PROVIDER_BODY_LIMIT_BYTES} bytes` };
}
