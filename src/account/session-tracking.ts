// Records each session a sign-in produces (see account-sessions.ts). It runs after the provider
// finished the request that completes a sign-in, when the session has its final, rotated id.
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { requestOrigin } from '../audit/request-context.js';
import type { AccountSessions } from './account-sessions.js';

const SIGN_IN_ENDS = new Set(['resume', 'device_resume']);

export function trackSessions(sessions: AccountSessions, onError: (error: unknown) => void): Middleware {
  return async (ctx, next) => {
    await next();
    const { oidc } = ctx as KoaContextWithOIDC;
    if (!oidc || !SIGN_IN_ENDS.has(String(oidc.route))) return;
    const session = oidc.entities.Session as (typeof oidc.entities.Session & { destroyed?: boolean }) | undefined;
    if (!session?.accountId || session.destroyed) return;
    const signedInAt = new Date((session.loginTs ?? Math.floor(Date.now() / 1000)) * 1000);
    await sessions.record(session.jti, session.accountId, requestOrigin(ctx), signedInAt).catch(onError);
  };
}
