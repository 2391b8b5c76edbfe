// How a sign-in was made, in the words relying parties read from the ID token: `amr` values from
// RFC 8176 and Gatehouse's two `acr` values. One place, so the sign-in steps, the login policy
// check and discovery cannot disagree about what counts as multi-factor.

/** A sign-in with one factor: the password. */
export const ACR_SINGLE_FACTOR = 'urn:gatehouse:sfa';
/** A sign-in with two factors, or with a passkey whose authenticator verified the user (UV). */
export const ACR_MFA = 'urn:gatehouse:mfa';
export const ACR_VALUES = [ACR_SINGLE_FACTOR, ACR_MFA] as const;

/** RFC 8176 §2 values Gatehouse uses. */
export type AmrValue = 'pwd' | 'otp' | 'hwk' | 'swk' | 'user' | 'mfa';

/** A passkey bound to one device is a hardware key (hwk); a synced one is a software key (swk). */
export function passkeyAmr(deviceType: string): 'hwk' | 'swk' {
  return deviceType === 'multiDevice' ? 'swk' : 'hwk';
}

export interface SignInMethods {
  amr: AmrValue[];
  acr: string;
}

/** The password, then a second factor (an authenticator code, a recovery code or a passkey). */
export function passwordAndFactor(factor: 'otp' | 'hwk' | 'swk'): SignInMethods {
  return { amr: ['pwd', factor, 'mfa'], acr: ACR_MFA };
}

export const PASSWORD_ONLY: SignInMethods = { amr: ['pwd'], acr: ACR_SINGLE_FACTOR };

/**
 * A passkey alone, which the authenticator unlocked with a PIN or biometrics (user verification):
 * something the user has and something they are or know. Without UV it is one factor, and
 * passwordless sign-in refuses it.
 */
export function verifiedPasskey(kind: 'hwk' | 'swk'): SignInMethods {
  return { amr: [kind, 'user', 'mfa'], acr: ACR_MFA };
}

export function isMultiFactor(amr: readonly string[] | undefined): boolean {
  return amr?.includes('mfa') ?? false;
}
