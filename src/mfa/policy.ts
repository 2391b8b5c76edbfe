// When a sign-in must be multi-factor: server-wide (MFA_REQUIRED), for one client
// (`client create|update --require-mfa`, stored as the client metadata `require_mfa`), for one
// request (`acr_values` or an essential `acr` claim naming urn:gatehouse:mfa), or because the user
// has a second factor, which then is always asked for.
import { ACR_MFA } from './authentication-methods.js';

/** The client metadata property `--require-mfa` sets. */
export const REQUIRE_MFA_METADATA = 'require_mfa';

export type MfaReason = 'server_policy' | 'client_policy' | 'acr_values' | 'user_has_factor';

export interface MfaRequest {
  /** MFA_REQUIRED. */
  serverRequiresMfa: boolean;
  /** The client as oidc-provider loaded it; extra metadata is kept under its own name. */
  client: object | undefined;
  /** The authorization request's parameters. */
  params: Record<string, unknown>;
}

/** acr_values is a space-separated list; `claims` may ask for acr as essential (OIDC Core §5.5.1.1). */
export function requestAsksForMfa(params: Record<string, unknown>): boolean {
  const acrValues = params.acr_values;
  if (typeof acrValues === 'string' && acrValues.split(' ').includes(ACR_MFA)) return true;
  const claims = params.claims;
  if (typeof claims !== 'string') return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(claims);
  } catch {
    return false;
  }
  const acr = (parsed as { id_token?: { acr?: { essential?: unknown; value?: unknown; values?: unknown } } } | null)?.id_token?.acr;
  if (!acr || acr.essential !== true) return false;
  return acr.value === ACR_MFA || (Array.isArray(acr.values) && acr.values.length === 1 && acr.values[0] === ACR_MFA);
}

/** Why this request needs a second factor whatever the user has; undefined when nothing asks for one. */
export function policyRequiringMfa(request: MfaRequest): MfaReason | undefined {
  if (request.serverRequiresMfa) return 'server_policy';
  if (request.client && Reflect.get(request.client, REQUIRE_MFA_METADATA) === true) return 'client_policy';
  if (requestAsksForMfa(request.params)) return 'acr_values';
  return undefined;
}
