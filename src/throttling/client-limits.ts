// Per-client rate limits and daily quotas at the token, device authorization and introspection
// endpoints, plus a per-IP limit for requests that authenticate no client.
//
// Runs in front of oidc-provider, so it must learn the client id before the provider does: from
// HTTP Basic credentials or from the form body, which it reads (bounded) and hands on to the
// provider. The request counts against the client it names up front (so a burst of concurrent
// requests cannot slip past the limit); when the provider then fails to authenticate that client,
// the point is given back and counted against the IP instead, so nobody can use up another
// client's limit by sending its client_id. A request naming no known client counts against its
// IP up front, for the same reason, and is given back should it authenticate after all.
import type { Context, Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { RateLimitSettings } from '../config/env.js';
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import { requestOrigin } from '../audit/request-context.js';
import { utcDay } from '../usage/usage-meter.js';
import { DatabaseCounter, retryAfterSeconds } from './store.js';
import { BodyTooLarge, readProviderBody, refuseTooLarge } from '../http/provider-body.js';
import { basicCredentials } from '../http/basic-credentials.js';

export const LIMITED_PATHS: ReadonlySet<string> = new Set(['/token', '/device/auth', '/token/introspection']);

function refuse(ctx: Context, retryAfter: number, error: 'slow_down' | 'invalid_request', description: string): void {
  ctx.status = 429;
  ctx.set('Retry-After', String(retryAfter));
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error, error_description: description };
}

function secondsToUtcMidnight(now: Date): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return retryAfterSeconds(midnight - now.getTime());
}

export function clientRateLimits(store: HotStore, settings: RateLimitSettings, audit: AuditLog): Middleware {
  // Counters only count; each is compared with the client's own limit here.
  const perSecond = new DatabaseCounter(store, 'client-rate', 1);
  const perDay = new DatabaseCounter(store, 'client-quota', 2 * 86_400);
  const perIp = new DatabaseCounter(store, 'ip-rate', 1);

  return async (koaCtx, next) => {
    if (koaCtx.method !== 'POST' || !LIMITED_PATHS.has(koaCtx.path)) return next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC & Context;
    const origin = requestOrigin(ctx);
    const now = new Date();
    const auditIpLimit = (clientId: string | undefined) =>
      audit.record({ type: 'rate_limit.exceeded', clientId, ...origin, detail: { limit: 'ip', per_second: settings.ipPerSecond } });
    const refuseIp = (msBeforeNext: number) =>
      refuse(ctx, retryAfterSeconds(msBeforeNext), 'slow_down', `too many unauthenticated requests from this address; limit ${settings.ipPerSecond}/s`);

    let claimedClientId = basicCredentials(ctx.get('authorization'))?.clientId;
    if (ctx.is('application/x-www-form-urlencoded')) {
      let raw: string;
      try {
        raw = await readProviderBody(ctx);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        refuseTooLarge(ctx);
        return;
      }
      claimedClientId ??= new URLSearchParams(raw).get('client_id') ?? undefined;
    }

    const limits = claimedClientId ? await store.findClientLimits(claimedClientId) : undefined;
    const client = claimedClientId && limits ? { id: claimedClientId, ...limits } : null;
    // A request naming no known client is counted before it runs: were it counted only once
    // answered, a concurrent flood would pass the check before any of it had been counted.
    const countedAgainstIp = client === null;
    if (countedAgainstIp) {
      const ipCount = await perIp.penalty(origin.ip);
      if (ipCount.consumedPoints > settings.ipPerSecond) {
        if (ipCount.consumedPoints === settings.ipPerSecond + 1) await auditIpLimit(claimedClientId);
        refuseIp(ipCount.msBeforeNext);
        return;
      }
    } else {
      const ipCount = await perIp.get(origin.ip);
      if (ipCount && ipCount.consumedPoints >= settings.ipPerSecond) {
        if (ipCount.consumedPoints === settings.ipPerSecond) {
          await perIp.penalty(origin.ip);
          await auditIpLimit(claimedClientId);
        }
        refuseIp(ipCount.msBeforeNext);
        return;
      }
    }
    const quotaKey = client ? `${client.id}:${utcDay(now)}` : '';
    if (client) {
      const limit = client.rateLimit ?? settings.clientPerSecond;
      const rate = await perSecond.penalty(client.id);
      if (rate.consumedPoints > limit) {
        if (rate.consumedPoints === limit + 1) {
          await audit.record({ type: 'rate_limit.exceeded', clientId: client.id, ...origin, detail: { limit: 'rate', per_second: limit } });
        }
        refuse(ctx, retryAfterSeconds(rate.msBeforeNext), 'slow_down', `client rate limit of ${limit} requests per second exceeded`);
        return;
      }
      if (client.dailyQuota !== null) {
        const used = await perDay.penalty(quotaKey);
        if (used.consumedPoints > client.dailyQuota) {
          await perSecond.reward(client.id);
          if (used.consumedPoints === client.dailyQuota + 1) {
            await audit.record({ type: 'rate_limit.exceeded', clientId: client.id, ...origin, detail: { limit: 'quota', per_day: client.dailyQuota } });
          }
          refuse(ctx, secondsToUtcMidnight(now), 'invalid_request', `client daily quota of ${client.dailyQuota} requests exhausted; it resets at 00:00 UTC`);
          return;
        }
      }
    }

    try {
      await next();
    } finally {
      const authenticated = ctx.oidc?.client?.clientId;
      const rejected = ctx.status === 401 || (ctx.body as { error?: unknown } | undefined)?.error === 'invalid_client';
      const unauthenticated = !authenticated || rejected;
      if (countedAgainstIp) {
        // A client that authenticates without naming itself up front (a client assertion alone).
        if (!unauthenticated) await perIp.reward(origin.ip);
      } else if (unauthenticated || authenticated !== client?.id) {
        // Counted up front against the client it named; it did not prove to be that client.
        if (client) {
          await perSecond.reward(client.id);
          if (client.dailyQuota !== null) await perDay.reward(quotaKey);
        }
        await perIp.penalty(origin.ip);
      }
    }
  };
}
