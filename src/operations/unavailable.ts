// Answers 503 when a request failed because the database could not be reached, instead of the 500
// oidc-provider or our pages would give: clients should retry, and the instance is fine. API callers
// get an OAuth-style JSON error (`temporarily_unavailable`), browsers the error page. oidc-provider
// handles its own errors, so it tells us through its server_error event (see markUnavailable).
import type { Context, Middleware } from 'koa';
import { renderPage } from '../http/render.js';
import { isDatabaseUnavailable } from './database-errors.js';

const RETRY_AFTER_SECONDS = '5';
const DESCRIPTION = 'The service is temporarily unavailable; try again shortly.';

/** Records on the request that it failed for want of the database. */
export function markUnavailable(ctx: Context, error: unknown): boolean {
  if (!isDatabaseUnavailable(error)) return false;
  ctx.state.databaseUnavailable = true;
  return true;
}

async function answerUnavailable(ctx: Context): Promise<void> {
  ctx.set('Retry-After', RETRY_AFTER_SECONDS);
  ctx.set('Cache-Control', 'no-store');
  ctx.remove('Location');
  if (ctx.accepts('json', 'html') === 'html') {
    await renderPage(ctx, 'error', { title: 'Temporarily unavailable', error: 'temporarily_unavailable', description: DESCRIPTION }, 503);
    return;
  }
  ctx.status = 503;
  ctx.body = { error: 'temporarily_unavailable', error_description: DESCRIPTION };
}

export function databaseUnavailable(onUnavailable: (error: unknown) => void): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!markUnavailable(ctx, error)) throw error;
      onUnavailable(error);
    }
    if (ctx.state.databaseUnavailable) await answerUnavailable(ctx);
  };
}
