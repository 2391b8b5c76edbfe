// The account page's "recent security activity": the audit trail's events for this account, in
// words a person understands. Events without words of their own (new kinds) show their type.
import type { AuditLog } from '../audit/audit-log.js';

export interface ActivityItem {
  at: Date;
  description: string;
  ip: string | null;
}

const WORDS: Record<string, string> = {
  'login.success': 'Signed in',
  'login.failure': 'Failed sign-in attempt',
  'login.lockout': 'Sign-in locked after repeated failures',
  'consent.granted': 'Allowed an application',
  'consent.denied': 'Denied an application',
  'grant.revoked': 'Revoked an application',
  'refresh_token.reuse': 'An application token was reused; its access was revoked',
  'user.unlocked': 'Sign-in lockout cleared by an administrator',
  'password.changed': 'Changed the password',
  'password.reset_requested': 'Asked for a password reset link',
  'password.reset': 'Reset the password with an emailed link',
  'email.verification_sent': 'Sent an email verification link',
  'email.verified': 'Verified the email address',
  'user.signed_up': 'Created the account',
  'user.profile_updated': 'Updated the profile',
  'sessions.ended': 'Signed out other sessions',
  'mfa.totp_enrolled': 'Turned on the authenticator app',
  'mfa.totp_removed': 'Removed the authenticator app',
  'mfa.recovery_codes_generated': 'Made new recovery codes',
  'mfa.recovery_code_used': 'Signed in with a recovery code',
  'mfa.passkey_added': 'Added a passkey',
  'mfa.passkey_removed': 'Removed a passkey',
  'mfa.reset': 'Second factors removed by an administrator',
};

export function describeEvent(type: string): string {
  return WORDS[type] ?? type.replace(/[._]/g, ' ');
}

export async function recentActivity(audit: AuditLog, accountId: string, limit = 15): Promise<ActivityItem[]> {
  const events = await audit.list({ accountId, limit });
  return events.map((event) => ({ at: event.createdAt, description: describeEvent(event.type), ip: event.ip }));
}
