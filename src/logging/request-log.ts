// One log line and one latency observation per HTTP request, with a request id that is also sent
// back in X-Request-Id so an operator can find the line a user reports. Only bounded, non-secret
// fields are written: never headers, query strings, bodies or raw paths.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from './logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { clientIdOf, routeName } from '../http/route-name.js';

export function requestLog(log: Logger, metrics: Metrics): Middleware {
  // This line carries only the fields below, none of them secret, so it skips the logger's redaction
  // pass, which costs about 100 µs a line: as much as the rest of a token request's own work.
  const lines = log.child({}, { redact: [] });
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    ctx.set('X-Request-Id', requestId);
    ctx.state.requestId = requestId;
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeName(ctx);
      // A thrown error has not set the status yet; the error boundary inside us will have, so this
      // only reads 404 for requests nothing answered.
      const status = ctx.status;
      metrics.httpDuration.observe({ method: ctx.method, route, status: String(status) }, seconds);
      lines.info({
        requestId,
        method: ctx.method,
        route,
        status,
        durationMs: Math.round(seconds * 1e5) / 100,
        clientId: clientIdOf(ctx),
      }, 'request');
    }
  };
}
