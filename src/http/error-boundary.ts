// Last line of defence for our own routes: an unexpected error becomes a plain error page or an
// OAuth-style JSON error, logged server-side, never a stack trace in the response.
import type { Middleware } from 'koa';
import { renderPage } from './render.js';
import type { Logger } from '../logging/logger.js';

export function errorBoundary(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
      const expose = status < 500 && (error as { expose?: boolean }).expose !== false;
      if (status >= 500) log.error({ err: error, requestId: ctx.state.requestId, method: ctx.method }, 'request failed');
      const description = expose ? (error as Error).message : 'The server could not complete the request.';
      if (ctx.accepts('html', 'json') === 'json') {
        ctx.status = status;
        ctx.body = { error: status >= 500 ? 'server_error' : 'invalid_request', error_description: description };
        return;
      }
      await renderPage(ctx, 'error', { title: 'Something went wrong', error: status >= 500 ? 'server_error' : 'invalid_request', description }, status);
    }
  };
}
