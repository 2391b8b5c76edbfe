// The check oidc-provider runs before reusing a session: a session without a second factor does
// not do for a request that needs one (MFA_REQUIRED, a client with --require-mfa, acr_values or an
// essential acr claim naming urn:gatehouse:mfa, or an account that has a factor), so the user signs
// in again with it. Without this, oidc-provider treats acr_values as voluntary and only echoes it.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { isMultiFactor } from '../authentication-methods.js';
import { policyRequiringMfa } from '../policy.js';

export interface MfaLoginCheckOptions {
  serverRequiresMfa: boolean;
  hasSecondFactor: (accountId: string) => Promise<boolean>;
}

export function mfaLoginCheck(options: MfaLoginCheckOptions): interactionPolicy.Check {
  const { Check } = interactionPolicy;
  return new Check('mfa_required', 'multi-factor authentication is required', async (ctx: KoaContextWithOIDC) => {
    const { oidc } = ctx;
    const accountId = oidc.session?.accountId;
    if (!accountId || isMultiFactor(oidc.session?.amr)) return Check.NO_NEED_TO_PROMPT;
    const params = oidc.params ?? {};
    if (policyRequiringMfa({ serverRequiresMfa: options.serverRequiresMfa, client: oidc.client, params })) return Check.REQUEST_PROMPT;
    return (await options.hasSecondFactor(accountId)) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
  });
}

/** oidc-provider's default policy with the check added to its login prompt. */
export function interactionPolicyWithMfa(options: MfaLoginCheckOptions): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(mfaLoginCheck(options));
  return policy;
}
