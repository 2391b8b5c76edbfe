// GET /healthz (the process is alive and serving HTTP) and GET /readyz (it can do useful work: see
// Readiness), for load balancers and orchestrators. Answered before anything touches the database
// for /healthz, so a database outage never gets healthy instances restarted.
import type { Middleware } from 'koa';
import type { Readiness } from './readiness.js';

/** workerId: with WORKERS > 1, /readyz is the answering worker's own report and says which worker that is. */
export function healthRoutes(readiness: Readiness, workerId?: number): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/healthz') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path === '/readyz') {
      const report = await readiness.report();
      ctx.set('Cache-Control', 'no-store');
      ctx.status = report.ready ? 200 : 503;
      ctx.body = { status: report.ready ? 'ready' : 'not ready', checks: report.checks, ...(workerId === undefined ? {} : { worker: workerId }) };
      return;
    }
    return next();
  };
}
