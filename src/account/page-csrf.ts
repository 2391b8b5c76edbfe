// CSRF protection for our pages outside an interaction (the account page, reset and sign-up
// forms): a random value in an HttpOnly cookie of this browser, and in each form the HMAC of it
// under the server's key (interactions/csrf.ts), which another site can neither read nor compute.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { assertCsrf, csrfToken } from '../interactions/csrf.js';

const COOKIE = 'gatehouse.csrf';

function binding(value: string): string {
  return `page:${value}`;
}

/** The token for this browser's forms, setting its cookie on the first page that needs one. */
export function pageCsrfToken(ctx: Context, key: string): string {
  let value = ctx.cookies.get(COOKIE, { signed: true });
  if (!value) {
    value = randomBytes(24).toString('base64url');
    ctx.cookies.set(COOKIE, value, { httpOnly: true, sameSite: 'lax', signed: true, secure: ctx.secure, path: '/' });
  }
  return csrfToken(key, binding(value));
}

export function assertPageCsrf(ctx: Context, key: string, presented: string | null): void {
  const value = ctx.cookies.get(COOKIE, { signed: true }) ?? '';
  assertCsrf(key, binding(value), value ? presented : null);
}
