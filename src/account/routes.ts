// Mounts the account page (/account/*, its Security section under /account/security/*) and the pages that get people back in or let them join:
// /forgot-password, /reset-password, /verify-email and /signup. All are ours, with our CSP and
// CSRF tokens, no caching, and user-side failures shown as error pages.
import Router from '@koa/router';
import { interactionErrors } from '../interactions/errors.js';
import { finishSignIn } from './account-session.js';
import { ACCOUNT_CALLBACK_PATH } from './account-client.js';
import {
  showAccount, submitEndOtherSessions, submitProfile, submitResendVerification, submitRevoke,
} from './account-page.js';
import { addSecurityRoutes, securitySection, type SecurityDeps } from './security.js';
import { showPasswordChange, submitPasswordChange } from './password-change.js';
import { showForgotPassword, showResetPassword, submitForgotPassword, submitResetPassword } from './password-reset.js';
import { showVerifyEmail, submitVerifyEmail } from './email-verification.js';
import { showSignup, submitSignup } from './signup.js';
import type { AccountDeps } from './deps.js';

export function createAccountRouter(deps: AccountDeps, security: SecurityDeps): Router {
  const router = new Router();
  const sections = securitySection(security);
  router.get('/account', interactionErrors, (ctx) => showAccount(deps, ctx, sections));
  router.get(ACCOUNT_CALLBACK_PATH, interactionErrors, (ctx) => finishSignIn(deps, ctx));
  router.post('/account/profile', interactionErrors, (ctx) => submitProfile(deps, ctx));
  router.post('/account/apps/revoke', interactionErrors, (ctx) => submitRevoke(deps, ctx));
  router.post('/account/sessions/end-others', interactionErrors, (ctx) => submitEndOtherSessions(deps, ctx));
  router.post('/account/verify-email', interactionErrors, (ctx) => submitResendVerification(deps, ctx));
  router.get('/account/password', interactionErrors, (ctx) => showPasswordChange(deps, ctx));
  router.post('/account/password', interactionErrors, (ctx) => submitPasswordChange(deps, ctx));

  addSecurityRoutes(router, deps, security);

  router.get('/forgot-password', interactionErrors, (ctx) => showForgotPassword(deps, ctx));
  router.post('/forgot-password', interactionErrors, (ctx) => submitForgotPassword(deps, ctx));
  router.get('/reset-password', interactionErrors, (ctx) => showResetPassword(deps, ctx));
  router.post('/reset-password', interactionErrors, (ctx) => submitResetPassword(deps, ctx));
  router.get('/verify-email', interactionErrors, (ctx) => showVerifyEmail(deps, ctx));
  router.post('/verify-email', interactionErrors, (ctx) => submitVerifyEmail(deps, ctx));
  router.get('/signup', interactionErrors, (ctx) => showSignup(deps, ctx));
  router.post('/signup', interactionErrors, (ctx) => submitSignup(deps, ctx));
  return router;
}
