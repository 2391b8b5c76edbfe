// Who is signed in to the account page, and how they get signed in: the provider's own session
// cookie names the user (the account page keeps no session of its own). Signing in, and signing in
// again for a sensitive action (step-up), is an ordinary authorization request by the account
// client; the callback only checks that the answer belongs to the request this browser started.
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { ACCOUNT_CALLBACK_PATH, ACCOUNT_CLIENT_ID } from './account-client.js';
import { PageError } from '../interactions/errors.js';

/** Where sign-ins go: the provider, and the issuer its account client's redirect URI is under. */
export interface SignInSource {
  provider: Provider;
  issuer: string;
}

export interface SignedInAccount {
  accountId: string;
  /** The provider session's id, to tell this browser's session from the others. */
  sessionId: string;
  /** When the user last entered their credentials, epoch seconds. */
  loginTs: number;
}

const STATE_COOKIE = 'gatehouse.account_state';
const STATE_COOKIE_OPTIONS = { httpOnly: true, sameSite: 'lax' as const, signed: true, path: ACCOUNT_CALLBACK_PATH, maxAge: 3600_000 };

/** The signed-in user of this request, from the provider's session cookie, if any. */
export async function signedInAccount({ provider }: SignInSource, ctx: Context): Promise<SignedInAccount | undefined> {
  const session = await provider.Session.get(ctx);
  if (!session.accountId || !session.loginTs) return undefined;
  return { accountId: session.accountId, sessionId: session.jti, loginTs: session.loginTs };
}

/** Only our own account pages are places to come back to, never another site. */
export function safeReturnPath(raw: string | null | undefined): string {
  return raw && /^\/account(\/[A-Za-z0-9/_-]*)?$/.test(raw) ? raw : '/account';
}

/**
 * Sends the browser to sign in through the provider and back to `returnTo`. With `fresh`, the
 * provider asks for the credentials again even inside a live session (prompt=login).
 */
export function redirectToSignIn({ issuer }: SignInSource, ctx: Context, returnTo: string, fresh: boolean): void {
  const state = randomBytes(24).toString('base64url');
  // PKCE is required of every client; the account client never redeems its code (see the callback).
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  ctx.cookies.set(STATE_COOKIE, `${state}.${safeReturnPath(returnTo)}`, { ...STATE_COOKIE_OPTIONS, secure: ctx.secure });
  const params = new URLSearchParams({
    client_id: ACCOUNT_CLIENT_ID,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${issuer}${ACCOUNT_CALLBACK_PATH}`,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(fresh ? { prompt: 'login' } : {}),
  });
  ctx.status = 303;
  ctx.redirect(`${issuer}/auth?${params.toString()}`);
}

/** Whether the user entered their credentials within the last `maxAgeSeconds`. */
export function signedInRecently(account: SignedInAccount, maxAgeSeconds: number, now = Date.now()): boolean {
  return Math.floor(now / 1000) - account.loginTs <= maxAgeSeconds;
}

/**
 * The step-up helper: the signed-in account when its sign-in is recent enough for a sensitive
 * action; otherwise the browser is sent through a fresh sign-in and back to `returnTo`, and the
 * answer is undefined (the response is already the redirect).
 */
export async function requireRecentSignIn(source: SignInSource, ctx: Context, maxAgeSeconds: number, returnTo: string): Promise<SignedInAccount | undefined> {
  const account = await signedInAccount(source, ctx);
  if (account && signedInRecently(account, maxAgeSeconds)) return account;
  redirectToSignIn(source, ctx, returnTo, account !== undefined);
  return undefined;
}

/** The signed-in account, or a redirect to sign in first (undefined then). */
export async function requireSignIn(source: SignInSource, ctx: Context, returnTo: string): Promise<SignedInAccount | undefined> {
  const account = await signedInAccount(source, ctx);
  if (!account) redirectToSignIn(source, ctx, returnTo, false);
  return account;
}

/**
 * GET /account/callback: the provider's answer. The state must be the one this browser's sign-in
 * started with (no one can push a sign-in result into someone else's browser). The code is not
 * redeemed, since the session now says who signed in; it is destroyed so it cannot linger.
 */
export async function finishSignIn({ provider }: SignInSource, ctx: Context): Promise<void> {
  const stored = ctx.cookies.get(STATE_COOKIE, { signed: true });
  ctx.cookies.set(STATE_COOKIE, null, { ...STATE_COOKIE_OPTIONS, secure: ctx.secure });
  const dot = stored?.indexOf('.') ?? -1;
  const state = stored && dot > 0 ? stored.slice(0, dot) : undefined;
  const returnTo = stored && dot > 0 ? safeReturnPath(stored.slice(dot + 1)) : '/account';
  if (!state || ctx.query.state !== state) {
    throw new PageError(400, 'invalid_request', 'This sign-in could not be matched to your browser. Open your account page again.');
  }
  const code = ctx.query.code;
  if (typeof code === 'string' && code.length <= 200) {
    const stale = await provider.AuthorizationCode.find(code);
    if (stale?.clientId === ACCOUNT_CLIENT_ID) await stale.destroy();
  }
  if (typeof ctx.query.error === 'string') {
    throw new PageError(400, 'sign_in_not_completed', 'You were not signed in. Open your account page to try again.');
  }
  ctx.status = 303;
  ctx.redirect(returnTo);
}
