// The sign-in step: shows the email and password form and checks the credentials, answering a
// wrong email and a wrong password with the same message so the form never reveals which it was.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { SignInCheck, Users } from '../accounts/users.js';
import type { AuditLog } from '../audit/audit-log.js';
import { requestOrigin } from '../audit/request-context.js';
import type { LoginThrottle } from '../throttling/login-throttle.js';
import { renderPage } from '../http/render.js';
import type { SignInResult } from '../metrics/metrics.js';
import { assertCsrf, csrfToken } from './csrf.js';
import { readForm } from './form-body.js';
import { describeInteraction, loadInteraction, type Interaction } from './interaction.js';
import { continueAfterPassword, type SecondFactorDeps } from '../mfa/sign-in/second-factor-steps.js';

export const INVALID_CREDENTIALS = 'Invalid email or password';

/** The same words whether or not the account exists, so a lockout reveals nothing. */
export function tooManyAttempts(retryAfterSeconds: number): string {
  const wait = retryAfterSeconds === 1 ? '1 second' : retryAfterSeconds < 120 ? `${retryAfterSeconds} seconds` : `${Math.ceil(retryAfterSeconds / 60)} minutes`;
  return `Too many sign-in attempts. Wait ${wait} and try again.`;
}

export interface LoginDeps {
  provider: Provider;
  users: Users;
  csrfKey: string;
  throttle: LoginThrottle;
  audit: AuditLog;
  /** Told the outcome of every submitted sign-in form, for metrics. */
  onSignIn?: (result: SignInResult) => void;
  /** SIGNUP=open: the login page links to /signup. */
  signupOpen?: boolean;
  /** Second factors: asked for after the password when the account has one or policy needs one. */
  mfa: SecondFactorDeps['mfa'];
}

interface LoginForm {
  email: string;
  errorMessage?: string;
}

export async function renderLogin(deps: LoginDeps, ctx: Context, interaction: Interaction, form: LoginForm, status = 200): Promise<void> {
  const { clientName, userCode } = await describeInteraction(deps.provider, interaction);
  await renderPage(ctx, 'login', {
    title: 'Sign in',
    uid: interaction.uid,
    csrf: csrfToken(deps.csrfKey, interaction.uid),
    clientName,
    userCode,
    email: form.email,
    errorMessage: form.errorMessage,
    signupOpen: deps.signupOpen === true,
    passkey: { mode: 'get', action: `/interaction/${interaction.uid}/passkey`, optionsUrl: `/interaction/${interaction.uid}/passkey/options`, hidden: { csrf: csrfToken(deps.csrfKey, interaction.uid) }, label: 'Use a passkey' },
  }, status);
}

export function showLogin(deps: LoginDeps, ctx: Context, interaction: Interaction): Promise<void> {
  const hint = interaction.params.login_hint;
  return renderLogin(deps, ctx, interaction, { email: typeof hint === 'string' ? hint : '' });
}

export async function submitLogin(deps: LoginDeps, ctx: Context, uid: string): Promise<void> {
  const form = await readForm(ctx);
  assertCsrf(deps.csrfKey, uid, form.get('csrf'));
  const interaction = await loadInteraction(deps.provider, ctx, uid);
  if (interaction.prompt.name !== 'login') {
    // A form resubmitted after this step was done (back button): show whatever step is current.
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}`);
    return;
  }

  const email = form.get('email') ?? '';
  const password = form.get('password') ?? '';
  if (!email.trim() || !password) {
    deps.onSignIn?.('incomplete_form');
    await renderLogin(deps, ctx, interaction, { email, errorMessage: 'Enter your email and password.' }, 400);
    return;
  }

  const origin = requestOrigin(ctx);
  const clientId = typeof interaction.params.client_id === 'string' ? interaction.params.client_id : undefined;
  const verdict = await deps.throttle.begin(email, origin.ip);
  if (!verdict.allowed) {
    await deps.audit.record({ type: 'login.failure', clientId, ...origin, detail: { reason: 'throttled' } });
    ctx.set('Retry-After', String(verdict.retryAfterSeconds));
    await renderLogin(deps, ctx, interaction, { email, errorMessage: tooManyAttempts(verdict.retryAfterSeconds) }, 429);
    return;
  }

  const { attempt } = verdict;
  let outcome: SignInCheck;
  try {
    outcome = await deps.users.check(email, password);
  } catch (error) {
    await attempt.abandoned();
    throw error;
  }
  if (!('user' in outcome)) {
    const accountId = outcome.failure === 'wrong_password' ? outcome.accountId : undefined;
    deps.onSignIn?.('invalid_credentials');
    const { failures, lockedForSeconds } = await attempt.failed();
    await deps.audit.record({ type: 'login.failure', clientId, accountId, ...origin, detail: { reason: outcome.failure, failures } });
    if (lockedForSeconds > 0) {
      await deps.audit.record({ type: 'login.lockout', clientId, accountId, ...origin, detail: { failures, locked_seconds: lockedForSeconds } });
    }
    await renderLogin(deps, ctx, interaction, { email, errorMessage: INVALID_CREDENTIALS }, 401);
    return;
  }

  await continueAfterPassword(secondFactorDeps(deps), ctx, interaction, outcome.user, attempt);
}

/** What the steps after the password need from the login page's dependencies. */
export function secondFactorDeps(deps: LoginDeps): SecondFactorDeps {
  return {
    ...deps,
    showLoginError: (ctx, interaction, errorMessage, status) => renderLogin(deps, ctx, interaction, { email: '', errorMessage }, status),
  };
}
