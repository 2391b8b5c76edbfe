// What the account pages need from the server, assembled once in server.ts.
import type Provider from 'oidc-provider';
import type { Users } from '../accounts/users.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Mailer } from '../mail/mailer.js';
import type { LoginThrottle } from '../throttling/login-throttle.js';
import type { MailRequestThrottle } from '../throttling/mail-request-throttle.js';
import type { AccountTokens } from './account-tokens.js';
import type { AccountSessions } from './account-sessions.js';
import type { ConnectedApps } from './connected-apps.js';

/** A change a person made to their own account, for the metrics. */
export type AccountChange =
  | 'password_changed' | 'password_reset' | 'password_reset_requested' | 'email_verified'
  | 'signed_up' | 'profile_updated' | 'grant_revoked' | 'sessions_ended';

export interface AccountDeps {
  provider: Provider;
  issuer: string;
  users: Users;
  tokens: AccountTokens;
  sessions: AccountSessions;
  apps: ConnectedApps;
  audit: AuditLog;
  mailer: Mailer;
  loginThrottle: LoginThrottle;
  resetThrottle: MailRequestThrottle;
  signupThrottle: MailRequestThrottle;
  csrfKey: string;
  signup: 'closed' | 'open';
  stepUpMaxAgeSeconds: number;
  /**
   * Runs work whose duration must not show in the response time (whether an email is known),
   * reporting its failure to the log.
   */
  inBackground: (task: () => Promise<void>) => void;
  onChange?: (change: AccountChange) => void;
  onThrottled?: (limiter: string) => void;
}
