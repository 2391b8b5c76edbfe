// Fixtures shared by the end-to-end tests: users and clients made with the real CLI, an
// openid-client relying party pointed at the server, and the sign-in + consent walk a user does.
import * as oidc from 'openid-client';
import { Browser, labels, type Page } from './browser.js';
import type { Gatehouse } from './gatehouse-process.js';

export const PASSWORD = 'correct horse battery staple';

export interface CreatedClient {
  client_id: string;
  client_secret?: string;
}

export async function createUser(gh: Gatehouse, email: string, name = 'Test User'): Promise<{ id: string; email: string }> {
  return gh.cliJson(['user', 'create', '--email', email, '--password-stdin', '--name', name], `${PASSWORD}\n`);
}

export async function createClient(gh: Gatehouse, args: string[]): Promise<CreatedClient> {
  return gh.cliJson<CreatedClient>(['client', 'create', ...args]);
}

export async function relyingParty(gh: Gatehouse, client: CreatedClient, auth: 'basic' | 'post' | 'none' = client.client_secret ? 'basic' : 'none'): Promise<oidc.Configuration> {
  const method = auth === 'basic'
    ? oidc.ClientSecretBasic(client.client_secret)
    : auth === 'post' ? oidc.ClientSecretPost(client.client_secret) : oidc.None();
  return oidc.discovery(new URL(gh.issuer), client.client_id, undefined, method, { execute: [oidc.allowInsecureRequests] });
}

export interface AuthorizationStart {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function startAuthorization(config: oidc.Configuration, redirectUri: string, extra: Record<string, string> = {}): Promise<AuthorizationStart> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/** A browser that stops when it is sent to the client's site, as the client would take over there. */
export function browserFor(redirectUri: string): Browser {
  const client = new URL(redirectUri).origin;
  return new Browser((url) => url.origin === client);
}

/** Signs in on the login page and answers the consent page; returns where the browser was sent. */
export async function signInAndDecide(browser: Browser, start: URL | string, email: string, decision: 'Allow' | 'Deny' = 'Allow', password = PASSWORD): Promise<Page> {
  let page = await browser.request(String(start));
  if (labels(page.html).includes('Password')) {
    page = await browser.submit(page, 'Sign in', { email, password });
  }
  if (page.status === 0) return page;
  return browser.submit(page, decision);
}
