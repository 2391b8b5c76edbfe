// GET /account and its small forms: profile, connected apps (Revoke), sessions (sign out
// everywhere else) and the resend of the verification link. Each form posts, then redirects back
// with a notice (post/redirect/get), so reloading never repeats an action.
import type { Context } from 'koa';
import { UserInputError } from '../accounts/users.js';
import { requestOrigin } from '../audit/request-context.js';
import { renderPage } from '../http/render.js';
import { PageError } from '../interactions/errors.js';
import { readForm } from '../interactions/form-body.js';
import { recentActivity } from './activity.js';
import { requireSignIn, type SignedInAccount } from './account-session.js';
import { sendVerification } from './email-verification.js';
import { assertPageCsrf, pageCsrfToken } from './page-csrf.js';
import type { AccountDeps } from './deps.js';

const NOTICES = {
  profile: 'Your name was saved.',
  revoked: 'The application was disconnected. It can no longer use your account.',
  sessions: 'Every other session was signed out.',
  verification: 'We sent you a link to confirm your email address.',
  password: 'Your password was changed. Your other sessions were signed out.',
  security: 'Keep your recovery codes somewhere safe: they are not shown again.',
  totp_on: 'Your authenticator app is on.',
  totp_removed: 'The authenticator app was removed.',
  passkey_added: 'The passkey was added.',
  passkey_removed: 'The passkey was removed.',
} satisfies Record<string, string>;

export type AccountNotice = keyof typeof NOTICES;

/** Facts another module adds to the page (the Security section), given the account. */
export type AccountSection = (account: SignedInAccount) => Promise<Record<string, unknown>>;

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
export function formatDate(date: Date): string {
  return `${dateFormat.format(date)} UTC`;
}

function describeAge(seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`;
  return `${Math.round(seconds / 60)} minutes`;
}

export async function showAccount(deps: AccountDeps, ctx: Context, extra?: AccountSection): Promise<void> {
  const account = await requireSignIn(deps, ctx, '/account');
  if (!account) return;
  const user = await deps.users.findById(account.accountId);
  if (!user) throw new PageError(400, 'account_not_found', 'Your account no longer exists.');
  const [apps, sessions, activity] = await Promise.all([
    deps.apps.list(user.id),
    deps.sessions.list(user.id, account.sessionId),
    recentActivity(deps.audit, user.id),
  ]);
  const done = typeof ctx.query.done === 'string' && Object.hasOwn(NOTICES, ctx.query.done) ? (ctx.query.done as AccountNotice) : undefined;
  await renderPage(ctx, 'account', {
    title: 'Your account',
    wide: true,
    csrf: pageCsrfToken(ctx, deps.csrfKey),
    user,
    apps,
    sessions,
    otherSessions: sessions.filter((s) => !s.current).length,
    activity,
    notice: done && NOTICES[done],
    stepUpAge: describeAge(deps.stepUpMaxAgeSeconds),
    formatDate,
    ...(extra ? await extra(account) : {}),
  });
}

/** The signed-in account of a form post, after its CSRF check; posts never start a sign-in. */
async function postingAccount(deps: AccountDeps, ctx: Context): Promise<{ account: SignedInAccount; form: URLSearchParams }> {
  const form = await readForm(ctx);
  assertPageCsrf(ctx, deps.csrfKey, form.get('csrf'));
  const account = await requireSignIn(deps, ctx, '/account');
  if (!account) throw new PageError(401, 'login_required', 'You are no longer signed in. Open your account page and sign in again.');
  return { account, form };
}

/** Back to /account after a change, with the notice that says what happened. */
export function backToAccount(ctx: Context, notice: AccountNotice): void {
  ctx.status = 303;
  ctx.redirect(`/account?done=${notice}`);
}

export async function submitProfile(deps: AccountDeps, ctx: Context): Promise<void> {
  const { account, form } = await postingAccount(deps, ctx);
  try {
    await deps.users.setName(account.accountId, form.get('name') ?? '');
  } catch (error) {
    if (error instanceof UserInputError) throw new PageError(400, 'invalid_request', 'The name must be at most 200 characters.');
    throw error;
  }
  await deps.audit.record({ type: 'user.profile_updated', accountId: account.accountId, ...requestOrigin(ctx) });
  deps.onChange?.('profile_updated');
  backToAccount(ctx, 'profile');
}

export async function submitRevoke(deps: AccountDeps, ctx: Context): Promise<void> {
  const { account, form } = await postingAccount(deps, ctx);
  const grantId = form.get('grant') ?? '';
  const clientId = grantId ? await deps.apps.revoke(account.accountId, grantId) : undefined;
  if (!clientId) throw new PageError(400, 'invalid_request', 'That application is not connected to your account (any more).');
  await deps.audit.record({
    type: 'grant.revoked', clientId, accountId: account.accountId, ...requestOrigin(ctx), detail: { grant_id: grantId, route: 'account' },
  });
  deps.onChange?.('grant_revoked');
  backToAccount(ctx, 'revoked');
}

export async function submitEndOtherSessions(deps: AccountDeps, ctx: Context): Promise<void> {
  const { account } = await postingAccount(deps, ctx);
  const ended = await deps.sessions.endAll(account.accountId, account.sessionId);
  await deps.audit.record({ type: 'sessions.ended', accountId: account.accountId, ...requestOrigin(ctx), detail: { sessions_ended: ended } });
  deps.onChange?.('sessions_ended');
  backToAccount(ctx, 'sessions');
}

export async function submitResendVerification(deps: AccountDeps, ctx: Context): Promise<void> {
  const { account } = await postingAccount(deps, ctx);
  const user = await deps.users.findById(account.accountId);
  if (!user) throw new PageError(400, 'account_not_found', 'Your account no longer exists.');
  if (!user.emailVerified) {
    const verdict = await deps.signupThrottle.take(user.email, requestOrigin(ctx).ip);
    if (!verdict.allowed) {
      ctx.set('Retry-After', String(verdict.retryAfterSeconds));
      throw new PageError(429, 'too_many_requests', 'Too many verification links were sent. Wait a while and try again.');
    }
    await sendVerification(deps, requestOrigin(ctx), user);
  }
  backToAccount(ctx, 'verification');
}
