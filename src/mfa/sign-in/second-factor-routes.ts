// The routes of the sign-in steps after the password, under /interaction/:uid/. Every form post
// carries the interaction's CSRF token; a post that arrives when its step is no longer current
// (back button, second tab) is sent to whatever step is.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { assertCsrf } from '../../interactions/csrf.js';
import { interactionErrors, PageError } from '../../interactions/errors.js';
import { readForm } from '../../interactions/form-body.js';
import { loadInteraction, uidParam, type Interaction } from '../../interactions/interaction.js';
import { passkeyAmr, passwordAndFactor, verifiedPasskey } from '../authentication-methods.js';
import { parseCredentialJson, PasskeyInputError } from '../passkeys.js';
import { answerPasskeyJson } from '../passkey-json-answer.js';
import { pendingSignIn, type PendingSignIn } from './pending-sign-in.js';
import {
  attemptFactor, attemptOf, changeContext, finishSignIn, showEnrolment, showNewRecoveryCodes, showRecoveryCodeStep, showSecondFactor,
  type SecondFactorDeps,
} from './second-factor-steps.js';

type RouteContext = Context & { params: Record<string, string> };

const WRONG_CODE = 'That code is not right. Check that the time on your phone is correct and try again.';
const WRONG_RECOVERY_CODE = 'That recovery code is not right, or it was already used.';
const WRONG_PASSKEY = 'That passkey could not be used. Try again, or use another way to sign in.';
const UNVERIFIED_PASSKEY = 'Your passkey did not check that it is you (with a PIN, fingerprint or face), so it cannot sign you in on its own. Sign in with your password, then use your passkey.';

/** Sends a post whose step is over back to the interaction's current page. */
function toCurrentStep(ctx: Context, uid: string): void {
  ctx.status = 303;
  ctx.redirect(`/interaction/${uid}`);
}

interface StepRequest {
  form: URLSearchParams;
  interaction: Interaction;
  pending: PendingSignIn | undefined;
}

async function readStep(deps: SecondFactorDeps, ctx: RouteContext): Promise<StepRequest | undefined> {
  const uid = uidParam(ctx);
  const form = await readForm(ctx);
  assertCsrf(deps.csrfKey, uid, form.get('csrf'));
  const interaction = await loadInteraction(deps.provider, ctx, uid);
  if (interaction.prompt.name !== 'login') {
    toCurrentStep(ctx, uid);
    return undefined;
  }
  return { form, interaction, pending: pendingSignIn(interaction) };
}

/** A step that belongs after the password: without one done, back to the current page. */
async function readPendingStep(deps: SecondFactorDeps, ctx: RouteContext): Promise<(StepRequest & { pending: PendingSignIn }) | undefined> {
  const step = await readStep(deps, ctx);
  if (!step) return undefined;
  if (!step.pending || step.pending.completed) {
    toCurrentStep(ctx, step.interaction.uid);
    return undefined;
  }
  return { ...step, pending: step.pending };
}

/**
 * Enrolment at sign-in is only for accounts with no factor yet: otherwise whoever knows the
 * password could add a factor of their own and walk past the real one.
 */
async function readEnrolmentStep(deps: SecondFactorDeps, ctx: RouteContext): Promise<(StepRequest & { pending: PendingSignIn }) | undefined> {
  const step = await readPendingStep(deps, ctx);
  if (!step) return undefined;
  if (await deps.mfa.factors.hasSecondFactor(step.pending.accountId)) {
    toCurrentStep(ctx, step.interaction.uid);
    return undefined;
  }
  return step;
}

/** A ceremony answer, or 409 when the sign-in step it belonged to is over. */
function answerJson(ctx: Context, produce: () => Promise<object | undefined>): Promise<void> {
  return answerPasskeyJson(ctx, async () => {
    const body = await produce();
    if (body === undefined) throw new PageError(409, 'invalid_request', 'This sign-in step is over. Reload the page.');
    return body;
  });
}

export function addSecondFactorRoutes(router: Router, deps: SecondFactorDeps): void {
  const { factors, passkeys } = deps.mfa;

  router.post('/interaction/:uid/totp', interactionErrors, async (ctx) => {
    const step = await readPendingStep(deps, ctx);
    if (!step) return;
    const { interaction, pending, form } = step;
    const code = form.get('code') ?? '';
    const verdict = await attemptFactor(deps, ctx, interaction, attemptOf(pending, 'code'), () => factors.verifyTotp(pending.accountId, code), WRONG_CODE);
    if (!verdict.passed) return showSecondFactor(deps, ctx, interaction, pending, verdict);
    return finishSignIn(deps, ctx, interaction, pending.accountId, passwordAndFactor('otp'));
  });

  router.get('/interaction/:uid/recovery', interactionErrors, async (ctx) => {
    const uid = uidParam(ctx);
    const interaction = await loadInteraction(deps.provider, ctx, uid);
    if (interaction.prompt.name !== 'login' || !pendingSignIn(interaction)) return toCurrentStep(ctx, uid);
    return showRecoveryCodeStep(deps, ctx, interaction);
  });

  router.post('/interaction/:uid/recovery', interactionErrors, async (ctx) => {
    const step = await readPendingStep(deps, ctx);
    if (!step) return;
    const { interaction, pending, form } = step;
    const code = form.get('code') ?? '';
    const context = changeContext(ctx, interaction);
    const verdict = await attemptFactor(
      deps, ctx, interaction, attemptOf(pending, 'recovery_code'), () => factors.useRecoveryCode(pending.accountId, code, context), WRONG_RECOVERY_CODE,
    );
    if (!verdict.passed) return showRecoveryCodeStep(deps, ctx, interaction, verdict);
    return finishSignIn(deps, ctx, interaction, pending.accountId, passwordAndFactor('otp'));
  });

  // Passkeys: options for the ceremony, then its answer. With a password step done the passkey is
  // the second factor and must be the account's own; without, it is passwordless sign-in.
  router.post('/interaction/:uid/passkey/options', async (ctx) => answerJson(ctx, async () => {
    const step = await readStep(deps, ctx);
    if (!step || step.pending?.completed) return undefined;
    return passkeys.authenticationOptions(step.interaction.uid, step.pending?.accountId);
  }));

  router.post('/interaction/:uid/passkey', interactionErrors, async (ctx) => {
    const step = await readStep(deps, ctx);
    if (!step) return;
    const { interaction, pending, form } = step;
    if (pending?.completed) return toCurrentStep(ctx, interaction.uid);
    let credential: AuthenticationResponseJSON;
    try {
      credential = parseCredentialJson<AuthenticationResponseJSON>(form.get('credential'));
    } catch (error) {
      if (!(error instanceof PasskeyInputError)) throw error;
      throw new PageError(400, 'invalid_request', error.message);
    }
    const owner = pending ?? await passkeys.ownerOf(credential.id);
    const who = owner ? { accountId: owner.accountId, throttleKey: owner.email, factor: 'passkey' } : { accountId: undefined, throttleKey: `passkey:${credential.id}`, factor: 'passkey' };
    let used: Awaited<ReturnType<typeof passkeys.verifyAuthentication>> | undefined;
    const verdict = await attemptFactor(deps, ctx, interaction, who, async () => {
      try {
        used = await passkeys.verifyAuthentication(interaction.uid, credential, pending?.accountId);
      } catch (error) {
        if (!(error instanceof PasskeyInputError)) throw error;
        return false;
      }
      // Alone, a passkey must have verified the user to be worth a password and a second factor.
      return pending !== undefined || used.userVerified;
    }, WRONG_PASSKEY);
    if (!verdict.passed) {
      if (pending) return showSecondFactor(deps, ctx, interaction, pending, verdict);
      const unverified = used !== undefined && !used.userVerified && verdict.status === 401;
      return deps.showLoginError(ctx, interaction, unverified ? UNVERIFIED_PASSKEY : verdict.errorMessage, verdict.status);
    }
    if (!used) throw new Error('a passkey check passes only after the passkey was verified');
    if (pending) return finishSignIn(deps, ctx, interaction, pending.accountId, passwordAndFactor(passkeyAmr(used.deviceType)));
    return finishSignIn(deps, ctx, interaction, used.accountId, verifiedPasskey(passkeyAmr(used.deviceType)));
  });

  // Enrolment when policy needs a second factor and the account has none.
  router.post('/interaction/:uid/enrol/totp', interactionErrors, async (ctx) => {
    const step = await readEnrolmentStep(deps, ctx);
    if (!step) return;
    const { interaction, pending, form } = step;
    const code = form.get('code') ?? '';
    const context = changeContext(ctx, interaction);
    let recoveryCodes: string[] | undefined;
    const verdict = await attemptFactor(deps, ctx, interaction, attemptOf(pending, 'enrolment_code'), async () => {
      const outcome = await factors.confirmTotpEnrolment(pending.accountId, code, context);
      if (outcome.confirmed) recoveryCodes = outcome.recoveryCodes;
      return outcome.confirmed;
    }, WRONG_CODE);
    if (!verdict.passed) return showEnrolment(deps, ctx, interaction, pending, verdict);
    return showNewRecoveryCodes(deps, ctx, interaction, pending, passwordAndFactor('otp'), recoveryCodes);
  });

  router.post('/interaction/:uid/enrol/passkey/options', async (ctx) => answerJson(ctx, async () => {
    const step = await readEnrolmentStep(deps, ctx);
    return step ? passkeys.registrationOptions(step.pending.accountId) : undefined;
  }));

  router.post('/interaction/:uid/enrol/passkey', interactionErrors, async (ctx) => {
    const step = await readEnrolmentStep(deps, ctx);
    if (!step) return;
    const { interaction, pending, form } = step;
    const context = changeContext(ctx, interaction);
    let added: Awaited<ReturnType<typeof passkeys.verifyRegistration>>;
    try {
      const credential = parseCredentialJson<RegistrationResponseJSON>(form.get('credential'));
      added = await passkeys.verifyRegistration(pending.accountId, credential, form.get('name') ?? '', context);
    } catch (error) {
      if (!(error instanceof PasskeyInputError)) throw error;
      return showEnrolment(deps, ctx, interaction, pending, { errorMessage: error.message, status: 400 });
    }
    const codes = await factors.issueFirstRecoveryCodes(pending.accountId, context);
    return showNewRecoveryCodes(deps, ctx, interaction, pending, passwordAndFactor(passkeyAmr(added.deviceType)), codes);
  });

  router.post('/interaction/:uid/finish', interactionErrors, async (ctx) => {
    const step = await readStep(deps, ctx);
    if (!step) return;
    const { interaction, pending } = step;
    if (!pending?.completed) return toCurrentStep(ctx, interaction.uid);
    return finishSignIn(deps, ctx, interaction, pending.accountId, pending.completed);
  });
}
