// A sign-in between the password and the second factor lives in the interaction (server side,
// tied to this browser by oidc-provider's interaction cookie), never in the session: until every
// factor the policy needs is done, the provider has no signed-in user, so an abandoned sign-in
// leaves nothing another request could use.
import type { Interaction } from '../../interactions/interaction.js';
import type { SignInMethods } from '../authentication-methods.js';
import type { MfaReason } from '../policy.js';

const KEY = 'gatehouse_pending_sign_in';

export interface PendingSignIn {
  accountId: string;
  email: string;
  /** Why a second factor is needed even though the account has none yet (forced enrolment). */
  requiredBy?: MfaReason | undefined;
  /** Set once enrolment is done and the recovery codes shown: only "Continue" is left. */
  completed?: SignInMethods | undefined;
}

function isPending(value: unknown): value is PendingSignIn {
  const candidate = value as Partial<PendingSignIn> | undefined;
  return typeof candidate?.accountId === 'string' && typeof candidate.email === 'string';
}

export function pendingSignIn(interaction: Interaction): PendingSignIn | undefined {
  const value = interaction.result?.[KEY];
  return isPending(value) ? value : undefined;
}

export async function savePendingSignIn(interaction: Interaction, pending: PendingSignIn): Promise<void> {
  interaction.result = { [KEY]: pending };
  await interaction.persist();
}
