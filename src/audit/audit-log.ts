// The audit trail: security events stored in the AuditEvent table, for `gatehouse audit list` and
// for answering "what happened" after the fact. Callers pass identifiers only, never secrets.
import { randomUUID } from 'node:crypto';
import type { Database } from '../persistence/prisma-client.js';

export const AUDIT_EVENT_TYPES = [
  'login.success', 'login.failure', 'login.lockout',
  'consent.granted', 'consent.denied',
  'grant.revoked', 'refresh_token.reuse',
  'client.created', 'client.updated', 'client.deleted', 'client.secret_rotated',
  'keys.rotated', 'user.unlocked',
  'mfa.totp_enrolled', 'mfa.totp_removed', 'mfa.recovery_codes_generated', 'mfa.recovery_code_used',
  'mfa.passkey_added', 'mfa.passkey_removed', 'mfa.reset',
  'rate_limit.exceeded',
  'apikey.created', 'apikey.rotated', 'apikey.revoked',
  'api_check.denied',
  'password.changed', 'password.reset_requested', 'password.reset',
  'email.verification_sent', 'email.verified', 'user.signed_up', 'user.profile_updated', 'sessions.ended',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditEntry {
  type: AuditEventType;
  clientId?: string | undefined;
  accountId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  detail?: Record<string, string | number | boolean> | undefined;
}

export interface AuditRecord {
  id: string;
  createdAt: Date;
  type: string;
  clientId: string | null;
  accountId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditFilter {
  since?: Date;
  type?: string;
  clientId?: string;
  accountId?: string;
  limit?: number;
}

/** User agents are attacker-controlled: keep them short enough not to bloat the table. */
const MAX_FIELD = 512;
const clip = (value: string | undefined): string | null => (value ? value.slice(0, MAX_FIELD) : null);

export class AuditLog {
  constructor(private readonly db: Database, private readonly onError: (error: unknown) => void = () => {}) {}

  /** Stores one event. A failure to write is reported, never thrown into the request that caused it. */
  async record(entry: AuditEntry, now = new Date()): Promise<void> {
    try {
      await this.db.auditEvent.create({
        data: {
          id: randomUUID(),
          createdAt: now,
          type: entry.type,
          clientId: clip(entry.clientId),
          accountId: clip(entry.accountId),
          ip: clip(entry.ip),
          userAgent: clip(entry.userAgent),
          detail: entry.detail ? JSON.stringify(entry.detail) : null,
        },
      });
    } catch (error) {
      this.onError(error);
    }
  }

  async list(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    const rows = await this.db.auditEvent.findMany({
      where: {
        ...(filter.since ? { createdAt: { gte: filter.since } } : {}),
        ...(filter.type ? { type: filter.type } : {}),
        ...(filter.clientId ? { clientId: filter.clientId } : {}),
        ...(filter.accountId ? { accountId: filter.accountId } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: filter.limit ?? 1000,
    });
    return rows.map((row) => ({ ...row, detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null }));
  }

  /** Deletes events older than the retention period; returns how many. */
  async prune(retentionDays: number, now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
    return (await this.db.auditEvent.deleteMany({ where: { createdAt: { lt: cutoff } } })).count;
  }
}
