// One complete authorization-code flow over plain HTTP, as a browser and a public client do it:
// authorize, sign in, consent, token. The benchmark counts these per second.
import { createHash, randomBytes } from 'node:crypto';
import { Browser, labels } from '../../test/support/browser.js';
import { REDIRECT_URI, benchUser } from './fixtures.js';

const b64url = (bytes: Buffer) => bytes.toString('base64url');

export interface FlowTokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

/** Runs the flow in `browser` as `user` (a fresh browser signs in; a reused one only consents). */
export async function loginFlow(issuer: string, clientId: string, scope: string, user = benchUser(0), browser = new Browser((url) => url.href.startsWith(REDIRECT_URI))): Promise<FlowTokens> {
  const verifier = b64url(randomBytes(32));
  const authorize = new URL(`${issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    prompt: 'consent',
    state: b64url(randomBytes(12)),
    nonce: b64url(randomBytes(12)),
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString();
  let page = await browser.request(authorize.href);
  if (labels(page.html).includes('Password')) page = await browser.submit(page, 'Sign in', user);
  if (page.status !== 0) page = await browser.submit(page, 'Allow');
  const code = new URL(page.url).searchParams.get('code');
  if (page.status !== 0 || !code) throw new Error(`the flow did not reach the client: ${page.status} ${page.url}`);
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, client_id: clientId }),
  });
  if (response.status !== 200) throw new Error(`token exchange failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as FlowTokens;
}
