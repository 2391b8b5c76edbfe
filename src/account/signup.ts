// Self sign-up (SIGNUP=open): creates an unverified account and mails its verification link. Like
// the reset form it answers the same whether or not the email is taken; the owner of a taken
// address gets a mail saying so instead. With SIGNUP=closed the page does not exist.
import type { Context } from 'koa';
import { isValidEmail, normaliseEmail } from '../accounts/users.js';
import { passwordProblem } from '../accounts/passwords.js';
import { requestOrigin } from '../audit/request-context.js';
import { renderPage } from '../http/render.js';
import { PageError } from '../interactions/errors.js';
import { readForm } from '../interactions/form-body.js';
import { alreadyRegisteredMessage } from '../mail/messages.js';
import { sendVerification } from './email-verification.js';
import { assertPageCsrf, pageCsrfToken } from './page-csrf.js';
import { tooManyRequests } from './password-reset.js';
import type { AccountDeps } from './deps.js';

const CHECK_MAIL = 'Check your email: we sent a link to confirm your address. You can sign in now.';

function assertOpen(deps: AccountDeps): void {
  if (deps.signup !== 'open') throw new PageError(404, 'not_found', 'Accounts are created by the administrators of this server.');
}

interface SignupForm { name: string; email: string; errorMessage?: string }

function showForm(deps: AccountDeps, ctx: Context, form: SignupForm, status = 200): Promise<void> {
  return renderPage(ctx, 'signup', { title: 'Create an account', csrf: pageCsrfToken(ctx, deps.csrfKey), ...form }, status);
}

export function showSignup(deps: AccountDeps, ctx: Context): Promise<void> {
  assertOpen(deps);
  return showForm(deps, ctx, { name: '', email: '' });
}

export async function submitSignup(deps: AccountDeps, ctx: Context): Promise<void> {
  assertOpen(deps);
  const form = await readForm(ctx);
  assertPageCsrf(ctx, deps.csrfKey, form.get('csrf'));
  const name = (form.get('name') ?? '').slice(0, 200);
  const email = (form.get('email') ?? '').trim().slice(0, 254);
  const password = form.get('password') ?? '';
  if (!email || !password) return showForm(deps, ctx, { name, email, errorMessage: 'Enter your email and a password.' }, 400);

  const problem = isValidEmail(normaliseEmail(email)) ? passwordProblem(password) : `"${email}" is not a valid email address`;
  if (problem) return showForm(deps, ctx, { name, email, errorMessage: `${problem[0]?.toUpperCase() ?? ''}${problem.slice(1)}.` }, 400);

  const origin = requestOrigin(ctx);
  const verdict = await deps.signupThrottle.take(email, origin.ip);
  if (!verdict.allowed) {
    deps.onThrottled?.('signup');
    ctx.set('Retry-After', String(verdict.retryAfterSeconds));
    return showForm(deps, ctx, { name, email, errorMessage: tooManyRequests(verdict.retryAfterSeconds) }, 429);
  }
  // Whether the address is taken must show neither on the page nor in the time it takes.
  deps.inBackground(async () => {
    const existing = await deps.users.findByEmail(email);
    if (existing) {
      await deps.mailer.send(alreadyRegisteredMessage(existing.email, `${deps.issuer}/forgot-password`));
      return;
    }
    const user = await deps.users.create({ email, password, name });
    await deps.audit.record({ type: 'user.signed_up', accountId: user.id, ...origin });
    deps.onChange?.('signed_up');
    await sendVerification(deps, origin, user);
  });
  await renderPage(ctx, 'notice', { title: 'Check your email', message: CHECK_MAIL, linkHref: '/account', linkText: 'Sign in' });
}
