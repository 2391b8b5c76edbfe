// Every change to a user's factors leaves an audit event (who, from where) and a metric count.
import type { AuditEventType, AuditLog } from '../audit/audit-log.js';

export type FactorKind = 'totp' | 'recovery_codes' | 'passkey' | 'all';
export type FactorChange = 'added' | 'removed' | 'generated' | 'used' | 'reset';
export type FactorAuditEvent = Extract<AuditEventType, `mfa.${string}`>;

/** Told of every change, for the gatehouse_mfa_factor_changes_total metric. */
export type FactorChangeListener = (factor: FactorKind, change: FactorChange) => void;

/** Where a change came from: a page request (ip, user agent, client) or the CLI. */
export interface RequestContext {
  ip?: string | undefined;
  userAgent?: string | undefined;
  clientId?: string | undefined;
}

export interface FactorChangeEvent {
  accountId: string;
  type: FactorAuditEvent;
  factor: FactorKind;
  change: FactorChange;
  context: RequestContext;
  detail?: Record<string, string | number> | undefined;
}

export async function recordFactorChange(audit: AuditLog, onChange: FactorChangeListener | undefined, event: FactorChangeEvent): Promise<void> {
  onChange?.(event.factor, event.change);
  await audit.record({
    type: event.type,
    accountId: event.accountId,
    clientId: event.context.clientId,
    ip: event.context.ip,
    userAgent: event.context.userAgent,
    detail: { factor: event.factor, ...event.detail },
  });
}
