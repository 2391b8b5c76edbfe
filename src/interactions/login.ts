// The sign-in step: shows the email and password form and checks the credentials, answering a
// wrong email and a wrong password with the same message so the form never reveals which it was.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Users } from '../accounts/users.js';
import { renderPage } from '../http/render.js';
import type { SignInResult } from '../metrics/metrics.js';
import { assertCsrf, csrfToken } from './csrf.js';
import { readForm } from './form-body.js';
import { describeInteraction, loadInteraction, type Interaction } from './interaction.js';

export const INVALID_CREDENTIALS = 'Invalid email or password';

export interface LoginDeps {
  provider: Provider;
  users: Users;
  csrfKey: string;
  /** Told the outcome of every submitted sign-in form, for metrics. */
  onSignIn?: (result: SignInResult) => void;
}

interface LoginForm {
  email: string;
  errorMessage?: string;
}

async function renderLogin(deps: LoginDeps, ctx: Context, interaction: Interaction, form: LoginForm, status = 200): Promise<void> {
  const { clientName, userCode } = await describeInteraction(deps.provider, interaction);
  await renderPage(ctx, 'login', {
    title: 'Sign in',
    uid: interaction.uid,
    csrf: csrfToken(deps.csrfKey, interaction.uid),
    clientName,
    userCode,
    email: form.email,
    errorMessage: form.errorMessage,
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

  const user = await deps.users.authenticate(email, password);
  if (!user) {
    deps.onSignIn?.('invalid_credentials');
    await renderLogin(deps, ctx, interaction, { email, errorMessage: INVALID_CREDENTIALS }, 401);
    return;
  }

  deps.onSignIn?.('success');
  await deps.provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
  ctx.respond = false;
}
