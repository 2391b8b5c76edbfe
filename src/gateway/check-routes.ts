// The gateway decision endpoint in its three dialects. Any method: nginx's auth_request asks with
// the original request's method, Envoy with the original method and path.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Metrics } from '../metrics/metrics.js';
import type { ApiUsageMeter } from '../api-limits/api-usage-meter.js';
import { decide, type CheckDecision, type CheckSteps } from './decide.js';
import { writeDecision, type ChallengeSettings } from './answer.js';
import { EXT_AUTHZ_PREFIX, readOriginalRequest, type Dialect } from './original-request.js';
import { CheckRefused } from './refusal.js';
import { readForwardedBody } from './forwarded-body.js';
import type { DeniedCheckAudit } from './denied-check-audit.js';

export interface CheckRouteDeps {
  steps: CheckSteps;
  usage: Pick<ApiUsageMeter, 'meter'>;
  metrics: Metrics;
  deniedAudit: DeniedCheckAudit;
  challenge: ChallengeSettings;
}

/** Metric label: bounded, since APIs are registered by operators; "none" when no API was found. */
function outcomeLabel(decision: CheckDecision): string {
  if (decision.outcome !== 'refused') return decision.outcome;
  return { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden' }[decision.refusal.status];
}

export function createCheckRouter(deps: CheckRouteDeps): Router {
  const router = new Router();

  const check = (dialect: Dialect) => async (ctx: Context) => {
    const stopTimer = deps.metrics.apiCheckDuration.startTimer();
    let decision: CheckDecision;
    try {
      const original = readOriginalRequest(dialect, ctx.headers, ctx.method, ctx.url);
      // nginx's auth_request never sends the body; the other dialects may.
      if (dialect !== 'auth-request') original.body = await readForwardedBody(ctx);
      decision = await decide(deps.steps, original);
    } catch (error) {
      // A malformed gateway request is refused before any credential is looked at.
      if (!(error instanceof CheckRefused)) throw error;
      decision = { outcome: 'refused', refusal: error.refusal, resource: undefined, clientId: undefined, apiKeyId: undefined };
    }
    writeDecision(ctx, decision, deps.challenge);
    const outcome = outcomeLabel(decision);
    stopTimer({ outcome });
    deps.metrics.apiChecks.inc({ resource: decision.resource ?? 'none', outcome });
    if (decision.clientId && decision.resource) {
      deps.usage.meter({
        apiKeyId: decision.apiKeyId,
        clientId: decision.clientId,
        resource: decision.resource,
        outcome: decision.outcome === 'refused' ? 'denied' : decision.outcome,
      });
    }
    if (decision.outcome === 'refused') {
      deps.deniedAudit.record({
        reason: decision.refusal.reason,
        status: decision.refusal.status,
        resource: decision.resource,
        clientId: decision.clientId,
        apiKeyId: decision.apiKeyId,
        ip: ctx.ip,
      });
    }
  };

  router.all('/api/authz/auth-request', check('auth-request'));
  router.all('/api/authz/forward-auth', check('forward-auth'));
  router.all(EXT_AUTHZ_PREFIX, check('ext-authz'));
  router.all(`${EXT_AUTHZ_PREFIX}/{*path}`, check('ext-authz'));
  return router;
}
