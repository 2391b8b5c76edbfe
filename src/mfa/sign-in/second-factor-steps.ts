// The sign-in steps after a correct password: the second factor the account has (authenticator
// code, passkey, or a recovery code), or, when policy needs one and the account has none, setting
// one up there and then. Each attempt at a factor goes through the password throttle: counted per
// account and per IP before it is checked, refused with 429 and Retry-After when over the limit.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AuditLog } from '../../audit/audit-log.js';
import { requestOrigin } from '../../audit/request-context.js';
import { renderPage } from '../../http/render.js';
import { csrfToken } from '../../interactions/csrf.js';
import { describeInteraction, type Interaction } from '../../interactions/interaction.js';
import type { SignInResult } from '../../metrics/metrics.js';
import type { LoginAttempt, LoginThrottle } from '../../throttling/login-throttle.js';
import { PASSWORD_ONLY, type SignInMethods } from '../authentication-methods.js';
import type { Factors } from '../factors.js';
import type { RequestContext } from '../factor-changes.js';
import type { Passkeys } from '../passkeys.js';
import { policyRequiringMfa, type MfaReason } from '../policy.js';
import { savePendingSignIn, type PendingSignIn } from './pending-sign-in.js';

export interface MfaServices {
  factors: Factors;
  passkeys: Passkeys;
  /** MFA_REQUIRED. */
  serverRequiresMfa: boolean;
}

export interface SecondFactorDeps {
  provider: Provider;
  csrfKey: string;
  throttle: LoginThrottle;
  audit: AuditLog;
  mfa: MfaServices;
  onSignIn?: ((result: SignInResult) => void) | undefined;
  /** The password page again with a message, e.g. after a passkey that cannot sign in alone. */
  showLoginError: (ctx: Context, interaction: Interaction, errorMessage: string, status: number) => Promise<void>;
}

/** The same words as the password page's, whatever the factor. */
export function tooManyFactorAttempts(retryAfterSeconds: number): string {
  const wait = retryAfterSeconds === 1 ? '1 second' : retryAfterSeconds < 120 ? `${retryAfterSeconds} seconds` : `${Math.ceil(retryAfterSeconds / 60)} minutes`;
  return `Too many sign-in attempts. Wait ${wait} and try again.`;
}

function clientIdOf(interaction: Interaction): string | undefined {
  return typeof interaction.params.client_id === 'string' ? interaction.params.client_id : undefined;
}

/** Where a factor change made during sign-in came from, for the audit trail. */
export function changeContext(ctx: Context, interaction: Interaction): RequestContext {
  return { ...requestOrigin(ctx), clientId: clientIdOf(interaction) };
}

const url = (interaction: Interaction, step: string) => `/interaction/${interaction.uid}/${step}`;

function whyRequired(reason: MfaReason | undefined, clientName: string): string {
  if (reason === 'server_policy') return 'Two-step verification is required on this server. Set it up to continue signing in.';
  return `${clientName} requires two-step verification. Set it up to continue signing in.`;
}

/** Hands the finished sign-in to oidc-provider, with how it was made for the ID token's amr and acr. */
export async function finishSignIn(deps: SecondFactorDeps, ctx: Context, interaction: Interaction, accountId: string, methods: SignInMethods): Promise<void> {
  await deps.audit.record({
    type: 'login.success', clientId: clientIdOf(interaction), accountId, ...requestOrigin(ctx), detail: { amr: methods.amr.join(' '), acr: methods.acr },
  });
  deps.onSignIn?.('success');
  await deps.provider.interactionFinished(ctx.req, ctx.res, { login: { accountId, amr: [...methods.amr], acr: methods.acr } }, { mergeWithLastSubmission: false });
  ctx.respond = false;
}

/**
 * After a correct password: finish when nothing asks for a second factor, otherwise remember the
 * password step in the interaction and send the browser to the factor (or enrolment) page.
 */
export async function continueAfterPassword(
  deps: SecondFactorDeps, ctx: Context, interaction: Interaction, user: { id: string; email: string }, attempt: LoginAttempt,
): Promise<void> {
  const clientId = clientIdOf(interaction);
  const client = clientId ? await deps.provider.Client.find(clientId) : undefined;
  const requiredBy = policyRequiringMfa({ serverRequiresMfa: deps.mfa.serverRequiresMfa, client, params: interaction.params });
  if (!requiredBy && !(await deps.mfa.factors.hasSecondFactor(user.id))) {
    await attempt.succeeded();
    await finishSignIn(deps, ctx, interaction, user.id, PASSWORD_ONLY);
    return;
  }
  // The password was right, but earlier failures stand until the second factor is too: clearing
  // them here would give whoever knows the password a fresh set of code guesses at every try.
  await attempt.abandoned();
  await savePendingSignIn(interaction, { accountId: user.id, email: user.email, requiredBy });
  ctx.status = 303;
  ctx.redirect(`/interaction/${interaction.uid}`);
}

interface StepMessage {
  errorMessage?: string | undefined;
  status?: number | undefined;
}

export async function showSecondFactor(deps: SecondFactorDeps, ctx: Context, interaction: Interaction, pending: PendingSignIn, message: StepMessage = {}): Promise<void> {
  if (pending.completed) {
    await finishSignIn(deps, ctx, interaction, pending.accountId, pending.completed);
    return;
  }
  const summary = await deps.mfa.factors.summary(pending.accountId);
  if (!summary.totp && summary.passkeys === 0) {
    await showEnrolment(deps, ctx, interaction, pending, message);
    return;
  }
  const hidden = { csrf: csrfToken(deps.csrfKey, interaction.uid) };
  await renderPage(ctx, 'mfa-code', {
    title: 'Verify it is you',
    action: url(interaction, 'totp'),
    hidden,
    totp: summary.totp,
    passkey: summary.passkeys > 0
      ? { mode: 'get', action: url(interaction, 'passkey'), optionsUrl: url(interaction, 'passkey/options'), hidden, label: 'Use a passkey' }
      : undefined,
    recoveryUrl: url(interaction, 'recovery'),
    errorMessage: message.errorMessage,
  }, message.status ?? 200);
}

export async function showRecoveryCodeStep(deps: SecondFactorDeps, ctx: Context, interaction: Interaction, message: StepMessage = {}): Promise<void> {
  await renderPage(ctx, 'mfa-recovery', {
    title: 'Use a recovery code',
    action: url(interaction, 'recovery'),
    hidden: { csrf: csrfToken(deps.csrfKey, interaction.uid) },
    backUrl: `/interaction/${interaction.uid}`,
    errorMessage: message.errorMessage,
  }, message.status ?? 200);
}

export async function showEnrolment(deps: SecondFactorDeps, ctx: Context, interaction: Interaction, pending: PendingSignIn, message: StepMessage = {}): Promise<void> {
  const { factors } = deps.mfa;
  const enrolment = await factors.pendingTotpEnrolment(pending.accountId) ?? await factors.startTotpEnrolment(pending.accountId);
  if (!enrolment) {
    ctx.status = 303;
    ctx.redirect(`/interaction/${interaction.uid}`);
    return;
  }
  const { clientName } = await describeInteraction(deps.provider, interaction);
  const hidden = { csrf: csrfToken(deps.csrfKey, interaction.uid) };
  await renderPage(ctx, 'mfa-totp-enrol', {
    title: 'Set up an authenticator app',
    reason: whyRequired(pending.requiredBy, clientName),
    enrolment,
    action: url(interaction, 'enrol/totp'),
    hidden,
    passkey: { mode: 'create', action: url(interaction, 'enrol/passkey'), optionsUrl: url(interaction, 'enrol/passkey/options'), hidden, label: 'Use a passkey instead' },
    errorMessage: message.errorMessage,
  }, message.status ?? 200);
}

/** After enrolling a first factor: its recovery codes, shown once, then "Continue" finishes (at once when it had codes). */
export async function showNewRecoveryCodes(
  deps: SecondFactorDeps, ctx: Context, interaction: Interaction, pending: PendingSignIn, methods: SignInMethods, codes: string[] | undefined,
): Promise<void> {
  if (!codes) {
    await finishSignIn(deps, ctx, interaction, pending.accountId, methods);
    return;
  }
  await savePendingSignIn(interaction, { ...pending, completed: methods });
  await renderPage(ctx, 'mfa-recovery-codes', {
    title: 'Save your recovery codes',
    codes,
    action: url(interaction, 'finish'),
    hidden: { csrf: csrfToken(deps.csrfKey, interaction.uid) },
  });
}

export type FactorVerdict = { passed: true } | { passed: false; errorMessage: string; status: number };

/** Whose attempt it is: the throttle counts per account (by email, as passwords are) and per IP. */
export interface FactorAttempt {
  accountId: string | undefined;
  throttleKey: string;
  factor: string;
}

/**
 * One attempt at a factor: throttled like a password (the same counters), audited and counted.
 * `check` runs only when the attempt is allowed.
 */
export async function attemptFactor(
  deps: SecondFactorDeps, ctx: Context, interaction: Interaction, who: FactorAttempt, check: () => Promise<boolean>, wrong: string,
): Promise<FactorVerdict> {
  const origin = requestOrigin(ctx);
  const clientId = clientIdOf(interaction);
  const { accountId, factor } = who;
  const verdict = await deps.throttle.begin(who.throttleKey, origin.ip);
  if (!verdict.allowed) {
    await deps.audit.record({ type: 'login.failure', clientId, accountId, ...origin, detail: { reason: 'throttled', factor } });
    ctx.set('Retry-After', String(verdict.retryAfterSeconds));
    return { passed: false, errorMessage: tooManyFactorAttempts(verdict.retryAfterSeconds), status: 429 };
  }
  let passed: boolean;
  try {
    passed = await check();
  } catch (error) {
    await verdict.attempt.abandoned();
    throw error;
  }
  if (passed) {
    await verdict.attempt.succeeded();
    return { passed: true };
  }
  deps.onSignIn?.('invalid_factor');
  const { failures, lockedForSeconds } = await verdict.attempt.failed();
  await deps.audit.record({ type: 'login.failure', clientId, accountId, ...origin, detail: { reason: `wrong_${factor}`, failures } });
  if (lockedForSeconds > 0) {
    await deps.audit.record({ type: 'login.lockout', clientId, accountId, ...origin, detail: { failures, locked_seconds: lockedForSeconds } });
  }
  return { passed: false, errorMessage: wrong, status: 401 };
}

/** The pending account's attempt at one of its factors. */
export function attemptOf(pending: PendingSignIn, factor: string): FactorAttempt {
  return { accountId: pending.accountId, throttleKey: pending.email, factor };
}
