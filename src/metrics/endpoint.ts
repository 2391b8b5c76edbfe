// GET /metrics in Prometheus text format, only for a scraper presenting METRICS_TOKEN as a bearer
// token; without a configured token the endpoint does not exist.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';

/** Where the exposition comes from: this process's registry, or (WORKERS > 1) the sum over all workers. */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

export function metricsEndpoint(source: MetricsSource, token: string | undefined): Middleware {
  const expected = token === undefined ? undefined : digest(token);
  return async (ctx, next) => {
    if (ctx.path !== '/metrics' || expected === undefined) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.status = 405;
      ctx.set('Allow', 'GET, HEAD');
      return;
    }
    const presented = /^Bearer (.+)$/i.exec(ctx.get('authorization'))?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.body = { error: 'invalid_token', error_description: 'a valid metrics bearer token is required' };
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.type = source.contentType;
    ctx.body = await source.metrics();
  };
}
