// Our middlewares in front of oidc-provider sometimes must see a request body first (to find the
// client being rate limited, to validate a registration). They read it here, under oidc-provider's
// own size cap, and hand it on through ctx.request.body, where oidc-provider looks for a parsed body.
import type { Context } from 'koa';

/** oidc-provider's own cap on request bodies. */
export const PROVIDER_BODY_LIMIT_BYTES = 56 * 1024;

export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

export async function readProviderBody(ctx: Context): Promise<string> {
  const declared = ctx.request.length;
  if (declared !== undefined && declared > PROVIDER_BODY_LIMIT_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > PROVIDER_BODY_LIMIT_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
