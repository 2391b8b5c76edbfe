// Denied checks in the audit trail without a row per refused call: the first refusal of a kind
// (reason, API, client, key) in a window is written at once, the rest of that window are counted
// and written as one summary row when it ends. A flood of bad tokens is a handful of rows a minute.
import type { AuditLog } from '../audit/audit-log.js';

export const DENIED_AUDIT_WINDOW_MS = 60_000;
/** Kinds tracked per window; beyond it an attacker varying client ids shares one overflow row. */
const MAX_KINDS = 1000;
const OVERFLOW = 'other';

export interface DeniedCheck {
  reason: string;
  status: number;
  resource: string | undefined;
  clientId: string | undefined;
  apiKeyId: string | undefined;
  ip: string | undefined;
}

interface Pending {
  check: DeniedCheck;
  /** Refusals after the first one of the window. */
  repeats: number;
}

export class DeniedCheckAudit {
  private pending = new Map<string, Pending>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly audit: AuditLog, windowMs = DENIED_AUDIT_WINDOW_MS) {
    this.timer = setInterval(() => void this.flush(), windowMs);
    this.timer.unref();
  }

  private write(check: DeniedCheck, count: number): Promise<void> {
    return this.audit.record({
      type: 'api_check.denied',
      clientId: check.clientId,
      ip: check.ip,
      detail: {
        reason: check.reason,
        status: check.status,
        count,
        ...(check.resource ? { resource: check.resource } : {}),
        ...(check.apiKeyId ? { api_key_id: check.apiKeyId } : {}),
      },
    });
  }

  record(check: DeniedCheck): void {
    let kind = [check.reason, check.resource, check.clientId, check.apiKeyId].join('\u0000');
    if (!this.pending.has(kind) && this.pending.size >= MAX_KINDS) kind = OVERFLOW;
    const seen = this.pending.get(kind);
    if (seen) {
      seen.repeats += 1;
      return;
    }
    const first = kind === OVERFLOW ? { ...check, reason: OVERFLOW, clientId: undefined, apiKeyId: undefined } : check;
    this.pending.set(kind, { check: first, repeats: 0 });
    void this.write(first, 1);
  }

  /** Writes the window's repeats and starts a new window. */
  async flush(): Promise<void> {
    const ended = this.pending;
    this.pending = new Map();
    await Promise.all([...ended.values()].filter((p) => p.repeats > 0).map((p) => this.write(p.check, p.repeats)));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
