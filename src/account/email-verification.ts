// Email verification: a mailed link whose page sets email_verified once its button is pressed (a
// button rather than the bare link, so a mail scanner fetching links verifies nothing).
import type { Context } from 'koa';
import type { User } from '../accounts/users.js';
import { requestOrigin } from '../audit/request-context.js';
import { renderPage } from '../http/render.js';
import { readForm } from '../interactions/form-body.js';
import { verificationMessage } from '../mail/messages.js';
import { EMAIL_VERIFICATION_TTL_SECONDS } from './account-tokens.js';
import { assertPageCsrf, pageCsrfToken } from './page-csrf.js';
import type { AccountDeps } from './deps.js';

const LINK_UNUSABLE = 'This verification link has expired or was already used. Sign in to your account to get a new one.';

export async function sendVerification(deps: AccountDeps, origin: { ip: string; userAgent: string }, user: Pick<User, 'id' | 'email'>): Promise<void> {
  const token = await deps.tokens.issue(user.id, 'email_verification', EMAIL_VERIFICATION_TTL_SECONDS);
  deps.mailer.sendLater(verificationMessage(user.email, `${deps.issuer}/verify-email?token=${token}`, EMAIL_VERIFICATION_TTL_SECONDS / 3600));
  await deps.audit.record({ type: 'email.verification_sent', accountId: user.id, ...origin });
}

function unusable(ctx: Context): Promise<void> {
  return renderPage(ctx, 'notice', { title: 'Link expired', message: LINK_UNUSABLE }, 400);
}

export async function showVerifyEmail(deps: AccountDeps, ctx: Context): Promise<void> {
  const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
  const accountId = await deps.tokens.peek(token, 'email_verification');
  const user = accountId ? await deps.users.findById(accountId) : null;
  if (!user) return unusable(ctx);
  await renderPage(ctx, 'verify-email', { title: 'Confirm your email', csrf: pageCsrfToken(ctx, deps.csrfKey), token, email: user.email });
}

export async function submitVerifyEmail(deps: AccountDeps, ctx: Context): Promise<void> {
  const form = await readForm(ctx);
  assertPageCsrf(ctx, deps.csrfKey, form.get('csrf'));
  const accountId = await deps.tokens.spend(form.get('token') ?? '', 'email_verification');
  if (!accountId || !(await deps.users.markEmailVerified(accountId))) return unusable(ctx);
  await deps.audit.record({ type: 'email.verified', accountId, ...requestOrigin(ctx) });
  deps.onChange?.('email_verified');
  await renderPage(ctx, 'notice', { title: 'Email confirmed', message: 'Thank you: your email address is confirmed.' });
}
