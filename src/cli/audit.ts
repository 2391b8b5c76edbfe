// `gatehouse audit ...`: reads the audit trail of security events, newest first.
import { AUDIT_EVENT_TYPES, AuditLog, type AuditRecord } from '../audit/audit-log.js';
import { optionalString, type CommandGroup } from './command.js';
import { formatDate, table, usageError } from './output.js';
import { parseDuration } from './quantities.js';

function describe(event: AuditRecord) {
  return {
    id: event.id,
    time: event.createdAt.toISOString(),
    type: event.type,
    client_id: event.clientId,
    account_id: event.accountId,
    ip: event.ip,
    user_agent: event.userAgent,
    detail: event.detail,
  };
}

/** Keeps table cells on one line whatever a client put in its user agent. */
const cell = (value: string | null) => (value ?? '-').replace(/[\u0000-\u001f\u007f]/g, '?');

export const auditCommands: CommandGroup = {
  name: 'audit',
  description: 'Read the audit trail of security events',
  commands: {
    list: {
      synopsis: '[--since DURATION] [--type TYPE] [--client CLIENT_ID] [--limit N]',
      description: `List events, newest first (default: the last 24h, at most 100). Types: ${AUDIT_EVENT_TYPES.join(', ')}`,
      options: { since: { type: 'string' }, type: { type: 'string' }, client: { type: 'string' }, limit: { type: 'string' } },
      positionals: [],
      prepare(values) {
        const sinceSeconds = parseDuration('--since', optionalString(values, 'since') ?? '24h', 3650 * 86_400);
        const type = optionalString(values, 'type');
        if (type !== undefined && !(AUDIT_EVENT_TYPES as readonly string[]).includes(type)) {
          throw usageError(`unknown --type "${type}" (one of ${AUDIT_EVENT_TYPES.join(', ')})`);
        }
        const clientId = optionalString(values, 'client');
        const limitRaw = optionalString(values, 'limit') ?? '100';
        if (!/^\d{1,6}$/.test(limitRaw) || Number(limitRaw) < 1) throw usageError(`--limit must be a positive whole number, got "${limitRaw}"`);
        return async (ctx) => {
          const events = await new AuditLog(ctx.db).list({
            since: new Date(Date.now() - sinceSeconds * 1000),
            ...(type === undefined ? {} : { type }),
            ...(clientId === undefined ? {} : { clientId }),
            limit: Number(limitRaw),
          });
          ctx.out.result(
            { events: events.map(describe) },
            events.length === 0
              ? 'No events.'
              : table(
                ['TIME', 'TYPE', 'CLIENT', 'ACCOUNT', 'IP', 'DETAIL'],
                events.map((e) => [formatDate(e.createdAt), e.type, cell(e.clientId), cell(e.accountId), cell(e.ip), cell(e.detail ? JSON.stringify(e.detail) : null)]),
              ),
          );
        };
      },
    },
  },
};
