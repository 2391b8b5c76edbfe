// Who made a request, as the audit trail records it: the client IP (honouring TRUST_PROXY through
// Koa's ctx.ip) and the user agent.
import type { Context } from 'koa';

export function requestOrigin(ctx: Pick<Context, 'ip' | 'get'>): { ip: string; userAgent: string } {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') };
}
