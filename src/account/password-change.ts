// Changing the password on the account page: needs the current password (checked through the same
// throttle as sign-in) and a recent sign-in (step-up). Other sessions are signed out, this one stays.
import type { Context } from 'koa';
import { passwordProblem } from '../accounts/passwords.js';
import { requestOrigin } from '../audit/request-context.js';
import { renderPage } from '../http/render.js';
import { PageError } from '../interactions/errors.js';
import { readForm } from '../interactions/form-body.js';
import { tooManyAttempts } from '../interactions/login.js';
import { passwordChangedMessage } from '../mail/messages.js';
import { requireRecentSignIn, type SignedInAccount } from './account-session.js';
import { assertPageCsrf, pageCsrfToken } from './page-csrf.js';
import type { AccountDeps } from './deps.js';

const RETURN_TO = '/account/password';

async function showForm(deps: AccountDeps, ctx: Context, account: SignedInAccount, errorMessage?: string, status = 200): Promise<void> {
  const user = await deps.users.findById(account.accountId);
  if (!user) throw new PageError(400, 'account_not_found', 'Your account no longer exists.');
  await renderPage(ctx, 'account-password', { title: 'Change password', csrf: pageCsrfToken(ctx, deps.csrfKey), email: user.email, errorMessage }, status);
}

export async function showPasswordChange(deps: AccountDeps, ctx: Context): Promise<void> {
  const account = await requireRecentSignIn(deps, ctx, deps.stepUpMaxAgeSeconds, RETURN_TO);
  if (account) await showForm(deps, ctx, account);
}

export async function submitPasswordChange(deps: AccountDeps, ctx: Context): Promise<void> {
  const form = await readForm(ctx);
  assertPageCsrf(ctx, deps.csrfKey, form.get('csrf'));
  // A sign-in that went stale while the form was open: sign in again and come back to the form.
  const account = await requireRecentSignIn(deps, ctx, deps.stepUpMaxAgeSeconds, RETURN_TO);
  if (!account) return;
  const user = await deps.users.findById(account.accountId);
  if (!user) throw new PageError(400, 'account_not_found', 'Your account no longer exists.');
  const current = form.get('current_password') ?? '';
  const next = form.get('new_password') ?? '';
  if (!current || !next) return showForm(deps, ctx, account, 'Enter your current password and a new one.', 400);
  const problem = passwordProblem(next);
  if (problem) return showForm(deps, ctx, account, `The new password is not accepted: ${problem}.`, 400);

  const origin = requestOrigin(ctx);
  const verdict = await deps.loginThrottle.begin(user.email, origin.ip);
  if (!verdict.allowed) {
    ctx.set('Retry-After', String(verdict.retryAfterSeconds));
    return showForm(deps, ctx, account, tooManyAttempts(verdict.retryAfterSeconds), 429);
  }
  const check = await deps.users.check(user.email, current).catch(async (error: unknown) => {
    await verdict.attempt.abandoned();
    throw error;
  });
  if (!('user' in check)) {
    await verdict.attempt.failed();
    await deps.audit.record({ type: 'login.failure', accountId: user.id, ...origin, detail: { reason: 'wrong_password', route: 'password_change' } });
    return showForm(deps, ctx, account, 'The current password is not right.', 401);
  }
  await verdict.attempt.succeeded();
  await deps.users.setPassword(user.id, next);
  const ended = await deps.sessions.endAll(user.id, account.sessionId);
  await deps.audit.record({ type: 'password.changed', accountId: user.id, ...origin, detail: { sessions_ended: ended } });
  deps.onChange?.('password_changed');
  deps.mailer.sendLater(passwordChangedMessage(user.email, 'changed', `${deps.issuer}/account`));
  ctx.status = 303;
  ctx.redirect('/account?done=password');
}
