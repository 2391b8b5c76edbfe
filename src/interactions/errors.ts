// Turns every way an interaction request can fail on the user's side (expired sign-in, forged or
// oversized form, odd input) into a plain 4xx error page; only genuine faults reach the 500 boundary.
import type { Context, Middleware } from 'koa';
import { errors } from 'oidc-provider';
import { renderPage } from '../http/render.js';

/** A failure the user caused or can recover from, shown as an error page with this status. */
export class PageError extends Error {
  override name = 'PageError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export const sessionExpired = (): PageError => new PageError(
  400,
  'session_expired',
  'This sign-in request has expired or was already completed. Go back to the application and start again.',
);

export function renderErrorPage(ctx: Context, failure: PageError): Promise<void> {
  return renderPage(ctx, 'error', {
    title: 'Something went wrong',
    error: failure.error,
    description: failure.description,
  }, failure.status);
}

function asPageError(error: unknown): PageError | undefined {
  if (error instanceof PageError) return error;
  if (error instanceof errors.SessionNotFound) return sessionExpired();
  if (error instanceof errors.OIDCProviderError && error.status < 500) {
    return new PageError(error.status, error.error, error.error_description ?? 'The request could not be completed.');
  }
  return undefined;
}

/** Wraps our interaction routes: no caching, and user-side failures become error pages. */
export const interactionErrors: Middleware = async (ctx, next) => {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  try {
    await next();
  } catch (error) {
    const failure = asPageError(error);
    if (!failure) throw error;
    await renderErrorPage(ctx, failure);
  }
};
