// A bounded name for what a request hit, for log lines and metric labels: oidc-provider's route
// name, our router's path pattern, or "unmatched". Never the raw path, which can carry ids and codes.
import type { Context } from 'koa';

interface RoutedContext {
  oidc?: { route?: string; client?: { clientId?: string } };
  _matchedRoute?: string | RegExp;
}

export function routeName(ctx: Context): string {
  const routed = ctx as unknown as RoutedContext;
  if (routed.oidc?.route) return routed.oidc.route;
  if (typeof routed._matchedRoute === 'string') return routed._matchedRoute;
  if (ctx.path === '/metrics') return '/metrics';
  if (ctx.path.startsWith('/assets/')) return '/assets';
  return 'unmatched';
}

/** The client oidc-provider authenticated or loaded for this request, if any. */
export function clientIdOf(ctx: Context): string | undefined {
  return (ctx as unknown as RoutedContext).oidc?.client?.clientId;
}
