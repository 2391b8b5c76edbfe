// Writes a decision the way gateways expect it: 200 with the identity headers they copy upstream,
// 401 with a challenge, 403, or 429 with Retry-After and the RateLimit fields; every refusal also
// with a JSON error body, repeated in a header for gateways that drop the body. Nothing is cached: a revoked key must be refused on the next call.
import type { Context } from 'koa';
import type { ChargeResult } from '../api-limits/api-limits.js';
import type { CheckDecision } from './decide.js';
import type { CheckRefusal } from './refusal.js';

export const IDENTITY_HEADERS = {
  clientId: 'X-Gatehouse-Client-Id',
  subject: 'X-Gatehouse-Subject',
  scope: 'X-Gatehouse-Scope',
  apiKeyId: 'X-Gatehouse-Api-Key-Id',
} as const;

/**
 * A refusal's JSON body again, as a header: nginx's auth_request never passes the check's body on,
 * but can copy a header into the answer it makes itself (see docs/gateways.md).
 */
export const ERROR_BODY_HEADER = 'X-Gatehouse-Error-Body';

export interface ChallengeSettings {
  realm: string;
  dpopAlgorithms: string[];
}

/** A quoted-string (RFC 9110 §5.6.4): our descriptions never carry quotes or backslashes, but be sure. */
const quoted = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

function challengeOf(refusal: CheckRefusal, settings: ChallengeSettings): string | undefined {
  if (!refusal.challenge) return undefined;
  // The error code also when nothing was presented (RFC 6750 §3.1 allows leaving it out): a caller
  // behind nginx sees this header, not the JSON body, so it must say what is wrong.
  const params: [string, string][] = [['realm', settings.realm], ['error', refusal.error], ['error_description', refusal.description]];
  if (refusal.scope) params.push(['scope', refusal.scope]);
  if (refusal.challenge === 'DPoP') params.push(['algs', settings.dpopAlgorithms.join(' ')]);
  return `${refusal.challenge} ${params.map(([name, value]) => `${name}=${quoted(value)}`).join(', ')}`;
}

/** IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers): the limit nearest to running out. */
function setLimitHeaders(ctx: Context, limit: ChargeResult): void {
  if (limit.limit === undefined || limit.remaining === undefined || limit.resetSeconds === undefined) return;
  ctx.set('RateLimit-Limit', String(limit.limit));
  ctx.set('RateLimit-Remaining', String(Math.max(0, limit.remaining)));
  ctx.set('RateLimit-Reset', String(limit.resetSeconds));
}

/** Header values must stay ASCII: anything else is written as a JSON \u escape. */
function asciiJson(body: object): string {
  return JSON.stringify(body).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function writeError(ctx: Context, body: { error: string; error_description: string }): void {
  ctx.set(ERROR_BODY_HEADER, asciiJson(body));
  ctx.body = body;
}

export function writeDecision(ctx: Context, decision: CheckDecision, settings: ChallengeSettings): void {
  ctx.set('Cache-Control', 'no-store');
  switch (decision.outcome) {
    case 'allowed':
      ctx.status = 200;
      ctx.set(IDENTITY_HEADERS.clientId, decision.clientId);
      if (decision.subject) ctx.set(IDENTITY_HEADERS.subject, decision.subject);
      ctx.set(IDENTITY_HEADERS.scope, decision.scopes.join(' '));
      if (decision.apiKeyId) ctx.set(IDENTITY_HEADERS.apiKeyId, decision.apiKeyId);
      setLimitHeaders(ctx, decision.limit);
      ctx.body = '';
      return;
    case 'throttled':
      ctx.status = 429;
      setLimitHeaders(ctx, decision.limit);
      ctx.set('Retry-After', String(Math.max(1, decision.limit.retryAfterSeconds ?? decision.limit.resetSeconds ?? 1)));
      writeError(ctx, { error: 'rate_limit_exceeded', error_description: 'too many calls for this API key or client; retry after the number of seconds in Retry-After' });
      return;
    case 'refused': {
      const { refusal } = decision;
      ctx.status = refusal.status;
      const challenge = challengeOf(refusal, settings);
      if (challenge) ctx.set('WWW-Authenticate', challenge);
      if (refusal.dpopNonce) ctx.set('DPoP-Nonce', refusal.dpopNonce);
      writeError(ctx, { error: refusal.error, error_description: refusal.description });
    }
  }
}
