// "Forgot password?": a form asks for the email, a link is mailed if it belongs to an account, and
// the link's page sets a new password. The form answers the same words, status and (since all
// the work for a known email is done in the background) time whether or not the email is known. A reset ends every session
// of the account, leaves its second factors alone and tells the owner by mail.
import type { Context } from 'koa';
import { requestOrigin } from '../audit/request-context.js';
import { renderPage } from '../http/render.js';
import { readForm } from '../interactions/form-body.js';
import { passwordProblem } from '../accounts/passwords.js';
import { passwordChangedMessage, passwordResetMessage } from '../mail/messages.js';
import { PASSWORD_RESET_TTL_SECONDS } from './account-tokens.js';
import { assertPageCsrf, pageCsrfToken } from './page-csrf.js';
import type { AccountDeps } from './deps.js';

const SENT = 'If an account uses that email, we have sent it a link to reset the password. The link works once, for 30 minutes.';
const LINK_UNUSABLE = 'This reset link has expired or was already used. Ask for a new one.';

export function tooManyRequests(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return `Too many requests. Wait ${minutes === 1 ? '1 minute' : `${minutes} minutes`} and try again.`;
}

function showForgotForm(deps: AccountDeps, ctx: Context, email: string, errorMessage?: string, status = 200): Promise<void> {
  return renderPage(ctx, 'forgot-password', { title: 'Forgot password', csrf: pageCsrfToken(ctx, deps.csrfKey), email, errorMessage }, status);
}

export function showForgotPassword(deps: AccountDeps, ctx: Context): Promise<void> {
  return showForgotForm(deps, ctx, '');
}

export async function submitForgotPassword(deps: AccountDeps, ctx: Context): Promise<void> {
  const form = await readForm(ctx);
  assertPageCsrf(ctx, deps.csrfKey, form.get('csrf'));
  const email = (form.get('email') ?? '').trim();
  if (!email || email.length > 254) return showForgotForm(deps, ctx, email.slice(0, 254), 'Enter the email address of your account.', 400);

  const origin = requestOrigin(ctx);
  const verdict = await deps.resetThrottle.take(email, origin.ip);
  if (!verdict.allowed) {
    deps.onThrottled?.('password_reset');
    ctx.set('Retry-After', String(verdict.retryAfterSeconds));
    return showForgotForm(deps, ctx, email, tooManyRequests(verdict.retryAfterSeconds), 429);
  }
  deps.inBackground(async () => {
    const user = await deps.users.findByEmail(email);
    if (!user) return;
    const token = await deps.tokens.issue(user.id, 'password_reset', PASSWORD_RESET_TTL_SECONDS);
    const link = `${deps.issuer}/reset-password?token=${token}`;
    await deps.mailer.send(passwordResetMessage(user.email, link, PASSWORD_RESET_TTL_SECONDS / 60));
    await deps.audit.record({ type: 'password.reset_requested', accountId: user.id, ...origin });
    deps.onChange?.('password_reset_requested');
  });
  await renderPage(ctx, 'notice', { title: 'Check your email', message: SENT, linkHref: '/account', linkText: 'Back to sign in' });
}

function tokenOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

async function showResetForm(deps: AccountDeps, ctx: Context, token: string, errorMessage?: string, status = 200): Promise<void> {
  const accountId = await deps.tokens.peek(token, 'password_reset');
  const user = accountId ? await deps.users.findById(accountId) : null;
  if (!user) {
    return renderPage(ctx, 'notice', { title: 'Link expired', message: LINK_UNUSABLE, linkHref: '/forgot-password', linkText: 'Ask for a new link' }, 400);
  }
  return renderPage(ctx, 'reset-password', {
    title: 'Choose a new password', csrf: pageCsrfToken(ctx, deps.csrfKey), token, email: user.email, errorMessage,
  }, status);
}

export function showResetPassword(deps: AccountDeps, ctx: Context): Promise<void> {
  return showResetForm(deps, ctx, tokenOf(ctx.query.token));
}

export async function submitResetPassword(deps: AccountDeps, ctx: Context): Promise<void> {
  const form = await readForm(ctx);
  assertPageCsrf(ctx, deps.csrfKey, form.get('csrf'));
  const token = form.get('token') ?? '';
  const password = form.get('new_password') ?? '';
  const problem = password ? passwordProblem(password) : 'enter a new password';
  if (problem) return showResetForm(deps, ctx, token, `The new password is not accepted: ${problem}.`, 400);

  const accountId = await deps.tokens.spend(token, 'password_reset');
  const user = accountId ? await deps.users.findById(accountId) : null;
  if (!user) {
    return renderPage(ctx, 'notice', { title: 'Link expired', message: LINK_UNUSABLE, linkHref: '/forgot-password', linkText: 'Ask for a new link' }, 400);
  }
  await deps.users.setPassword(user.id, password);
  const ended = await deps.sessions.endAll(user.id);
  // Whoever forgot the password may have locked the account trying; the new password opens it.
  await deps.loginThrottle.unlock(user.email);
  const origin = requestOrigin(ctx);
  await deps.audit.record({ type: 'password.reset', accountId: user.id, ...origin, detail: { sessions_ended: ended } });
  deps.onChange?.('password_reset');
  deps.mailer.sendLater(passwordChangedMessage(user.email, 'reset', `${deps.issuer}/account`));
  await renderPage(ctx, 'notice', {
    title: 'Password changed',
    message: 'Your password was changed and every browser signed in to your account was signed out. Sign in with the new password.',
    linkHref: '/account',
    linkText: 'Sign in',
  });
}
