// The account page's Security section and /account/security/*: the authenticator app (TOTP),
// passkeys and recovery codes, through the second-factor services and enrolment views of src/mfa.
// Every change here needs a recent sign-in (step-up): whoever rides on a stale or stolen session
// must neither remove a factor, nor add one of their own, nor read fresh recovery codes.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { requestOrigin } from '../audit/request-context.js';
import { renderPage } from '../http/render.js';
import { interactionErrors, PageError } from '../interactions/errors.js';
import { readForm } from '../interactions/form-body.js';
import type { Factors } from '../mfa/factors.js';
import { parseCredentialJson, PasskeyInputError, type Passkeys } from '../mfa/passkeys.js';
import { requireRecentSignIn, signedInAccount, signedInRecently, type SignedInAccount } from './account-session.js';
import { backToAccount, type AccountSection } from './account-page.js';
import { answerPasskeyJson } from '../mfa/passkey-json-answer.js';
import { assertPageCsrf, pageCsrfToken } from './page-csrf.js';
import type { AccountDeps } from './deps.js';

export interface SecurityDeps {
  factors: Factors;
  passkeys: Passkeys;
}

const BASE = '/account/security';
const WRONG_CODE = 'That code is not right. Check that the time on your phone is correct and try again.';

/** The Security section's facts, for the account page. */
export function securitySection({ factors, passkeys }: SecurityDeps): AccountSection {
  return async (account) => {
    const [summary, list] = await Promise.all([factors.summary(account.accountId), passkeys.list(account.accountId)]);
    return { security: { totp: summary.totp, recoveryCodesLeft: summary.recoveryCodesLeft, passkeys: list } };
  };
}

/** A recent sign-in for a page of this section; otherwise the browser is already on its way to one. */
function recentAccount(deps: AccountDeps, ctx: Context, returnTo: string): Promise<SignedInAccount | undefined> {
  return requireRecentSignIn(deps, ctx, deps.stepUpMaxAgeSeconds, returnTo);
}

/** A form post of this section: CSRF first, then a recent sign-in (back to `returnTo` after one). */
async function posting(deps: AccountDeps, ctx: Context, returnTo: string): Promise<{ account: SignedInAccount; form: URLSearchParams } | undefined> {
  const form = await readForm(ctx);
  assertPageCsrf(ctx, deps.csrfKey, form.get('csrf'));
  const account = await recentAccount(deps, ctx, returnTo);
  return account ? { account, form } : undefined;
}

function confirmPage(deps: AccountDeps, ctx: Context, page: { title: string; message: string; action: string; button: string; hidden?: Record<string, string> }): Promise<void> {
  return renderPage(ctx, 'account-confirm', { ...page, csrf: pageCsrfToken(ctx, deps.csrfKey), hidden: page.hidden ?? {} });
}

async function showTotpEnrolment(deps: AccountDeps, security: SecurityDeps, ctx: Context, account: SignedInAccount, errorMessage?: string): Promise<void> {
  const { factors } = security;
  if ((await factors.summary(account.accountId)).totp) return backToAccount(ctx, 'totp_on');
  const enrolment = await factors.pendingTotpEnrolment(account.accountId) ?? await factors.startTotpEnrolment(account.accountId);
  if (!enrolment) throw new PageError(400, 'account_not_found', 'Your account no longer exists.');
  await renderPage(ctx, 'mfa-totp-enrol', {
    title: 'Set up an authenticator app',
    enrolment,
    action: `${BASE}/totp`,
    hidden: { csrf: pageCsrfToken(ctx, deps.csrfKey) },
    cancelUrl: '/account',
    errorMessage,
  }, errorMessage ? 400 : 200);
}

function showRecoveryCodes(deps: AccountDeps, ctx: Context, codes: string[]): Promise<void> {
  return renderPage(ctx, 'mfa-recovery-codes', { title: 'Save your recovery codes', codes, action: `${BASE}/done`, hidden: { csrf: pageCsrfToken(ctx, deps.csrfKey) } });
}

export function addSecurityRoutes(router: Router, deps: AccountDeps, security: SecurityDeps): void {
  const { factors, passkeys } = security;

  router.get(`${BASE}/totp`, interactionErrors, async (ctx) => {
    const account = await recentAccount(deps, ctx, `${BASE}/totp`);
    if (account) await showTotpEnrolment(deps, security, ctx, account);
  });

  router.post(`${BASE}/totp`, interactionErrors, async (ctx) => {
    const post = await posting(deps, ctx, `${BASE}/totp`);
    if (!post) return;
    const outcome = await factors.confirmTotpEnrolment(post.account.accountId, post.form.get('code') ?? '', requestOrigin(ctx));
    if (!outcome.confirmed) return showTotpEnrolment(deps, security, ctx, post.account, outcome.reason === 'wrong_code' ? WRONG_CODE : undefined);
    if (outcome.recoveryCodes) return showRecoveryCodes(deps, ctx, outcome.recoveryCodes);
    backToAccount(ctx, 'totp_on');
  });

  router.post(`${BASE}/done`, interactionErrors, async (ctx) => {
    const form = await readForm(ctx);
    assertPageCsrf(ctx, deps.csrfKey, form.get('csrf'));
    backToAccount(ctx, 'security');
  });

  router.get(`${BASE}/totp/remove`, interactionErrors, async (ctx) => {
    const account = await recentAccount(deps, ctx, `${BASE}/totp/remove`);
    if (!account) return;
    await confirmPage(deps, ctx, {
      title: 'Remove the authenticator app?',
      message: 'Signing in will no longer ask for a code from your authenticator app.',
      action: `${BASE}/totp/remove`,
      button: 'Remove authenticator app',
    });
  });

  router.post(`${BASE}/totp/remove`, interactionErrors, async (ctx) => {
    const post = await posting(deps, ctx, `${BASE}/totp/remove`);
    if (!post) return;
    await factors.removeTotp(post.account.accountId, requestOrigin(ctx));
    backToAccount(ctx, 'totp_removed');
  });

  router.get(`${BASE}/recovery-codes`, interactionErrors, async (ctx) => {
    const account = await recentAccount(deps, ctx, `${BASE}/recovery-codes`);
    if (!account) return;
    await confirmPage(deps, ctx, {
      title: 'Make new recovery codes?',
      message: 'Your current recovery codes stop working, and you get 10 new ones to keep safe.',
      action: `${BASE}/recovery-codes`,
      button: 'Generate new recovery codes',
    });
  });

  router.post(`${BASE}/recovery-codes`, interactionErrors, async (ctx) => {
    const post = await posting(deps, ctx, `${BASE}/recovery-codes`);
    if (!post) return;
    await showRecoveryCodes(deps, ctx, await factors.regenerateRecoveryCodes(post.account.accountId, requestOrigin(ctx)));
  });

  router.get(`${BASE}/passkeys/add`, interactionErrors, async (ctx) => {
    const account = await recentAccount(deps, ctx, `${BASE}/passkeys/add`);
    if (!account) return;
    await renderPage(ctx, 'mfa-passkey-add', {
      title: 'Add a passkey',
      passkey: { action: `${BASE}/passkeys`, mode: 'create', optionsUrl: `${BASE}/passkeys/options`, hidden: { csrf: pageCsrfToken(ctx, deps.csrfKey) }, label: 'Add a passkey' },
      cancelUrl: '/account',
    });
  });

  router.post(`${BASE}/passkeys/options`, async (ctx) => answerPasskeyJson(ctx, async () => {
    const form = await readForm(ctx);
    assertPageCsrf(ctx, deps.csrfKey, form.get('csrf'));
    const account = await signedInAccount(deps, ctx);
    if (!account || !signedInRecently(account, deps.stepUpMaxAgeSeconds)) {
      throw new PageError(401, 'login_required', 'Your sign-in is too old for this. Reload the page to sign in again.');
    }
    return passkeys.registrationOptions(account.accountId);
  }));

  router.post(`${BASE}/passkeys`, interactionErrors, async (ctx) => {
    const post = await posting(deps, ctx, `${BASE}/passkeys/add`);
    if (!post) return;
    try {
      const credential = parseCredentialJson<RegistrationResponseJSON>(post.form.get('credential'));
      await passkeys.verifyRegistration(post.account.accountId, credential, post.form.get('name') ?? '', requestOrigin(ctx));
    } catch (error) {
      if (error instanceof PasskeyInputError) throw new PageError(400, 'invalid_request', error.message);
      throw error;
    }
    backToAccount(ctx, 'passkey_added');
  });

  router.get(`${BASE}/passkeys/remove`, interactionErrors, async (ctx) => {
    const id = typeof ctx.query.id === 'string' ? ctx.query.id : '';
    const account = await recentAccount(deps, ctx, `${BASE}/passkeys`);
    if (!account) return;
    const passkey = (await passkeys.list(account.accountId)).find((p) => p.id === id);
    if (!passkey) throw new PageError(400, 'invalid_request', 'That passkey is not on your account (any more).');
    await confirmPage(deps, ctx, {
      title: `Remove the passkey "${passkey.name}"?`,
      message: 'It will no longer sign you in.',
      action: `${BASE}/passkeys/remove`,
      button: 'Remove passkey',
      hidden: { id: passkey.id },
    });
  });

  router.post(`${BASE}/passkeys/remove`, interactionErrors, async (ctx) => {
    const post = await posting(deps, ctx, '/account');
    if (!post) return;
    if (!(await passkeys.remove(post.account.accountId, post.form.get('id') ?? '', requestOrigin(ctx)))) {
      throw new PageError(400, 'invalid_request', 'That passkey is not on your account (any more).');
    }
    backToAccount(ctx, 'passkey_removed');
  });
}
