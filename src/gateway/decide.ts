// One gateway check, step by step: which API the URL belongs to and what the matching rule asks
// for, the API key, the access token, the scopes, then the limits. Each credential step is its own
// module, so further ones (signed requests, client certificates) slot in beside them.
import type { VerifiedApiKey } from '../apikeys/api-key-verifier.js';
import type { ApiPolicy, ResolvedPolicy } from '../api-policy/api-policy.js';
import type { ApiLimits, ChargeResult } from '../api-limits/api-limits.js';
import type { AccessTokenCheck } from './access-token-check.js';
import type { ApiKeyCheck } from './api-key-check.js';
import type { SignatureCheck } from './signature-check.js';
import type { OriginalRequest } from './original-request.js';
import { presentedCredentials, type PresentedCredentials } from './presented-credentials.js';
import type { VerifiedAccessToken } from './verified-access-token.js';
import { CheckRefused, refuse, type CheckRefusal } from './refusal.js';

/** Who is calling, as far as the check found out before it decided; never a credential. */
export interface CallerIdentity {
  resource: string | undefined;
  clientId: string | undefined;
  apiKeyId: string | undefined;
}

export type CheckDecision =
  | ({ outcome: 'allowed'; subject: string | undefined; scopes: string[]; limit: ChargeResult } & CallerIdentity & { clientId: string; resource: string })
  | ({ outcome: 'throttled'; limit: ChargeResult } & CallerIdentity)
  | ({ outcome: 'refused'; refusal: CheckRefusal } & CallerIdentity);

export interface CheckSteps {
  policy: Pick<ApiPolicy, 'resolve'>;
  apiKeys: ApiKeyCheck;
  signatures: SignatureCheck;
  accessTokens: AccessTokenCheck;
  limits: Pick<ApiLimits, 'charge'>;
}

/** The scopes the caller holds: the token's, narrowed by the key's when both were presented. */
function grantedScopes(api: ResolvedPolicy, key: VerifiedApiKey | undefined, token: VerifiedAccessToken | undefined): string[] {
  const keyScopes = key ? (key.scopes ?? api.resource.scopes) : undefined;
  if (token && keyScopes) return token.scopes.filter((scope) => keyScopes.includes(scope));
  return token?.scopes ?? keyScopes ?? [];
}

function checkScopes(required: string[], granted: string[], challenge: 'Bearer' | 'ApiKey'): void {
  const missing = required.filter((scope) => !granted.includes(scope));
  if (missing.length) {
    refuse({ status: 403, error: 'insufficient_scope', description: `this call needs the scope ${missing.join(' ')}`, challenge, scope: required.join(' '), reason: 'scope' });
  }
}

interface Authenticated {
  clientId: string;
  key: VerifiedApiKey | undefined;
  token: VerifiedAccessToken | undefined;
}

/** The credentials the rule asks for; `identity` learns the caller as soon as a step names it. */
async function authenticate(steps: CheckSteps, api: ResolvedPolicy, presented: PresentedCredentials, request: OriginalRequest, identity: CallerIdentity): Promise<Authenticated> {
  const resource = api.resource.identifier;
  // A signature proves the key it names without the key being sent; it counts as that key's call.
  const key = api.requirement.signature
    ? await steps.signatures.check(request, resource, identity)
    : api.requirement.apiKey ? await steps.apiKeys.check(presented, resource, identity) : undefined;
  if (key) {
    if (!api.requirement.accessToken) return { clientId: key.clientId, key, token: undefined };
  }
  // An API or rule that names neither still needs an access token: nothing is ever open.
  const token = await steps.accessTokens.check(presented, request, resource);
  if (key && token.clientId !== key.clientId) {
    refuse({ status: 401, error: 'invalid_token', description: 'the access token was issued to another application than the API key', challenge: 'Bearer', reason: 'client_mismatch' });
  }
  identity.clientId = token.clientId;
  return { clientId: token.clientId, key, token };
}

export async function decide(steps: CheckSteps, request: OriginalRequest): Promise<CheckDecision> {
  const identity: CallerIdentity = { resource: undefined, clientId: undefined, apiKeyId: undefined };
  try {
    const presented = presentedCredentials(request);
    const api = await steps.policy.resolve(request.url, request.method);
    if (!api) refuse({ status: 403, error: 'insufficient_scope', description: 'no API registered with Gatehouse covers this URL', reason: 'no_api' });
    const resource = api.resource.identifier;
    identity.resource = resource;
    const { clientId, key, token } = await authenticate(steps, api, presented, request, identity);
    const scopes = grantedScopes(api, key, token);
    checkScopes(api.scopes, scopes, token ? 'Bearer' : 'ApiKey');

    const limit = await steps.limits.charge({
      apiKeyId: key?.id,
      clientId,
      resource,
      // A key's limits already fall back to the API's defaults; token-only calls use those defaults.
      perSecond: key ? key.rateLimitPerSecond : api.resource.rateLimitPerSecond ?? undefined,
      perDay: key ? key.quotaPerDay : api.resource.quotaPerDay ?? undefined,
    });
    if (!limit.allowed) return { outcome: 'throttled', limit, ...identity };
    return { outcome: 'allowed', subject: token?.subject, scopes, limit, ...identity, clientId, resource };
  } catch (error) {
    if (error instanceof CheckRefused) return { outcome: 'refused', refusal: error.refusal, ...identity };
    throw error;
  }
}
