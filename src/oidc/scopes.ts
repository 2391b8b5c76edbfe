// The scopes Gatehouse offers, the claims each releases, and how the consent page words them.

export const SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export const CLAIMS_BY_SCOPE = {
  openid: ['sub'],
  profile: ['name'],
  email: ['email', 'email_verified'],
} as const;

const DESCRIPTIONS: Record<string, string> = {
  openid: 'Confirm who you are when you sign in',
  profile: 'See your name',
  email: 'See your email address and whether it is verified',
  offline_access: 'Stay connected when you are not using it',
};

export function describeScope(scope: string): string {
  return DESCRIPTIONS[scope] ?? `Use the permission "${scope}"`;
}
