// `gatehouse apikey ...`: API keys for the gateway check. A key is printed once, at creation or
// rotation, and exists nowhere afterwards; lists show its first and last characters only.
import { ApiKeys, type ApiKeyView } from '../apikeys/api-keys.js';
import { SigningSecrets } from '../apikeys/signing-secret.js';
import { API_KEY_ID_PATTERN } from '../apikeys/api-key-format.js';
import { AuditLog, type AuditEventType } from '../audit/audit-log.js';
import { CHECK_OUTCOMES, usageOfKey, type ApiUsageRow } from '../api-limits/api-usage-meter.js';
import { optionalString, requiredString, type CommandContext, type CommandGroup } from './command.js';
import { failure, formatDate, table, usageError } from './output.js';
import { parseDuration, parseRate } from './quantities.js';

function describe(key: ApiKeyView) {
  return {
    id: key.id,
    name: key.name,
    client_id: key.clientId,
    resource: key.resource,
    scope: key.scopes?.join(' ') ?? null,
    key_start: key.keyStart,
    key_end: key.keyEnd,
    status: key.status,
    rate_limit_per_second: key.rateLimit,
    daily_quota: key.dailyQuota,
    created_at: key.createdAt.toISOString(),
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    expires_at: key.expiresAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
    rotated_to: key.rotatedTo,
  };
}

const masked = (key: ApiKeyView) => `${key.keyStart}...${key.keyEnd}`;

function details(key: ApiKeyView): string[] {
  return [
    `id:          ${key.id}`,
    `name:        ${key.name ?? '-'}`,
    `client:      ${key.clientId}`,
    `API:         ${key.resource}`,
    `scope:       ${key.scopes?.join(' ') ?? "all of the API's scopes"}`,
    `key:         ${masked(key)}`,
    `status:      ${key.status}${key.status === 'rotated' ? ` (works until ${formatDate(key.revokedAt)}, replaced by ${key.rotatedTo})` : ''}`,
    `rate limit:  ${key.rateLimit === null ? "the API's default" : `${key.rateLimit}/s`}`,
    `quota:       ${key.dailyQuota === null ? "the API's default" : `${key.dailyQuota}/day`}`,
    `created:     ${formatDate(key.createdAt)}`,
    `last used:   ${formatDate(key.lastUsedAt)}`,
    `expires:     ${formatDate(key.expiresAt)}`,
    ...(key.status === 'revoked' ? [`revoked:     ${formatDate(key.revokedAt)}`] : []),
  ];
}

function keyLines(apiKey: string, signingSecret: string): string[] {
  return [
    `api_key:        ${apiKey}`,
    `signing_secret: ${signingSecret}`,
    '',
    'Store both now: they are shown only once. Send the key in the X-API-Key header, or sign requests',
    'with the signing secret (RFC 9421 hmac-sha256, keyid = the id above; see docs/signed-requests.md).',
  ];
}

function apiKeysOf(ctx: CommandContext): ApiKeys {
  return new ApiKeys(ctx.db, ctx.config.clientSecretPepper, new SigningSecrets(ctx.config.keyEncryptionSecret));
}

function audit(ctx: CommandContext, type: AuditEventType, key: ApiKeyView, detail: Record<string, string | number | boolean> = {}): Promise<void> {
  return new AuditLog(ctx.db).record({
    type, clientId: key.clientId, userAgent: 'gatehouse-cli', detail: { api_key_id: key.id, resource: key.resource, ...detail },
  });
}

function keyId(raw: string): string {
  if (!API_KEY_ID_PATTERN.test(raw)) throw usageError(`"${raw}" is not an API key id (12 letters and digits; see gatehouse apikey list)`);
  return raw;
}

async function findKey(ctx: CommandContext, id: string): Promise<ApiKeyView> {
  const key = await apiKeysOf(ctx).find(id);
  if (!key) throw failure(`no API key with id "${id}"`);
  return key;
}

function parseDays(raw: string | undefined): number {
  const days = raw ?? '7';
  if (!/^\d{1,4}$/.test(days) || Number(days) < 1 || Number(days) > 3660) throw usageError(`--days must be a whole number from 1 to 3660, got "${days}"`);
  return Number(days);
}

/** Usage rows as JSON, and their sums per outcome. */
export function describeUsage(rows: ApiUsageRow[]) {
  const total = { allowed: 0, denied: 0, throttled: 0 };
  for (const row of rows) for (const outcome of CHECK_OUTCOMES) total[outcome] += row[outcome];
  return {
    rows: rows.map((r) => ({ day: r.day, resource: r.resource, api_key_id: r.apiKeyId ?? null, allowed: r.allowed, denied: r.denied, throttled: r.throttled })),
    total,
  };
}

/** A key's rows added up per day: those for other APIs are calls it was refused at (denied). */
function perDay(rows: ApiUsageRow[]): ApiUsageRow[] {
  const days = new Map<string, ApiUsageRow>();
  for (const row of rows) {
    const sum = days.get(row.day);
    if (!sum) days.set(row.day, { ...row });
    else for (const outcome of CHECK_OUTCOMES) sum[outcome] += row[outcome];
  }
  return [...days.values()];
}

export const apiKeyCommands: CommandGroup = {
  name: 'apikey',
  description: 'Issue, list, rotate and revoke API keys (per client and API) for the gateway check',
  commands: {
    create: {
      synopsis: '--client CLIENT_ID --resource URI [--name NAME] [--scope "SCOPE ..."] [--expires DURATION] [--rate-limit N/s] [--quota N/day]',
      description:
        'Issue a key for one client and one API, shown once. --scope narrows it to some of the API\'s scopes; '
        + '--expires (e.g. 30d, at most 3650d) ends it; --rate-limit and --quota override the API\'s defaults',
      options: {
        client: { type: 'string' },
        resource: { type: 'string' },
        name: { type: 'string' },
        scope: { type: 'string' },
        expires: { type: 'string' },
        'rate-limit': { type: 'string' },
        quota: { type: 'string' },
      },
      positionals: [],
      prepare(values) {
        const expires = optionalString(values, 'expires');
        const rate = optionalString(values, 'rate-limit');
        const quota = optionalString(values, 'quota');
        const name = optionalString(values, 'name');
        const scope = optionalString(values, 'scope');
        const request = {
          clientId: requiredString(values, 'client'),
          resource: requiredString(values, 'resource'),
          ...(name === undefined ? {} : { name }),
          ...(scope === undefined ? {} : { scope }),
          ...(expires === undefined ? {} : { expiresInSeconds: parseDuration('--expires', expires, 3650 * 86_400) }),
          ...(rate === undefined ? {} : { rateLimit: parseRate('--rate-limit', rate, 's') }),
          ...(quota === undefined ? {} : { dailyQuota: parseRate('--quota', quota, 'day') }),
        };
        if (request.expiresInSeconds === 0) throw usageError('--expires must be longer than 0s');
        return async (ctx) => {
          const { view, apiKey, signingSecret } = await apiKeysOf(ctx).create(request);
          await audit(ctx, 'apikey.created', view, view.name ? { name: view.name } : {});
          ctx.out.result({ ...describe(view), api_key: apiKey, signing_secret: signingSecret }, [`Created API key ${view.id}`, ...details(view), ...keyLines(apiKey, signingSecret)]);
        };
      },
    },

    list: {
      synopsis: '[--client CLIENT_ID]',
      description: 'List API keys, oldest first: id, name, client, API, first and last characters, created, last used (to within a minute), expires, status',
      options: { client: { type: 'string' } },
      positionals: [],
      prepare(values) {
        const clientId = optionalString(values, 'client');
        return async (ctx) => {
          const keys = await apiKeysOf(ctx).list(clientId === undefined ? {} : { clientId });
          ctx.out.result(
            { api_keys: keys.map(describe) },
            keys.length === 0
              ? 'No API keys.'
              : table(
                ['ID', 'NAME', 'CLIENT', 'API', 'KEY', 'CREATED', 'LAST USED', 'EXPIRES', 'STATUS'],
                keys.map((k) => [k.id, k.name ?? '-', k.clientId, k.resource, masked(k), formatDate(k.createdAt), formatDate(k.lastUsedAt), formatDate(k.expiresAt), k.status]),
              ),
          );
        };
      },
    },

    show: {
      synopsis: 'ID',
      description: 'Show an API key (never the key itself)',
      options: {},
      positionals: ['ID'],
      prepare(_values, [raw]) {
        const id = keyId(raw);
        return async (ctx) => {
          const key = await findKey(ctx, id);
          ctx.out.result(describe(key), details(key));
        };
      },
    },

    revoke: {
      synopsis: 'ID',
      description: 'Revoke an API key: every instance refuses it within a second',
      options: {},
      positionals: ['ID'],
      prepare(_values, [raw]) {
        const id = keyId(raw);
        return async (ctx) => {
          const revoked = await apiKeysOf(ctx).revoke(id);
          if (!revoked) throw failure(`no API key with id "${id}"`);
          if (revoked.changed) await audit(ctx, 'apikey.revoked', revoked.view, { reason: 'revoked' });
          ctx.out.result(
            { ...describe(revoked.view), already_revoked: !revoked.changed },
            revoked.changed ? `Revoked API key ${id}.` : `API key ${id} was already revoked (at ${formatDate(revoked.view.revokedAt)}).`,
          );
        };
      },
    },

    rotate: {
      synopsis: 'ID [--grace DURATION]',
      description:
        'Issue a new key with the same client, API, scopes, limits and expiry, shown once. The old key stops '
        + 'working at once, or after --grace (e.g. 1h, at most 30d): both work until then',
      options: { grace: { type: 'string' } },
      positionals: ['ID'],
      prepare(values, [raw]) {
        const id = keyId(raw);
        const graceRaw = optionalString(values, 'grace');
        const graceSeconds = graceRaw === undefined ? 0 : parseDuration('--grace', graceRaw, 30 * 86_400);
        return async (ctx) => {
          const rotated = await apiKeysOf(ctx).rotate(id, graceSeconds);
          if (!rotated) throw failure(`no API key with id "${id}"`);
          const { old, created } = rotated;
          await audit(ctx, 'apikey.rotated', old, { new_api_key_id: created.view.id, grace_seconds: graceSeconds });
          const oldUntil = graceSeconds > 0 ? old.revokedAt : null;
          ctx.out.result(
            { ...describe(created.view), api_key: created.apiKey, signing_secret: created.signingSecret, previous_id: old.id, previous_expires_at: oldUntil?.toISOString() ?? null },
            [
              oldUntil
                ? `Rotated API key ${old.id} to ${created.view.id}; the old key keeps working until ${formatDate(oldUntil)}.`
                : `Rotated API key ${old.id} to ${created.view.id}; the old key no longer works.`,
              ...details(created.view),
              ...keyLines(created.apiKey, created.signingSecret),
            ],
          );
        };
      },
    },

    usage: {
      synopsis: 'ID [--days N]',
      description: 'Gateway checks with a key per UTC day, allowed, denied and throttled, for the last N days (default 7)',
      options: { days: { type: 'string' } },
      positionals: ['ID'],
      prepare(values, [raw]) {
        const id = keyId(raw);
        const days = parseDays(optionalString(values, 'days'));
        return async (ctx) => {
          const key = await findKey(ctx, id);
          const rows = perDay(await usageOfKey(ctx.db, id, days));
          const { total } = describeUsage(rows);
          ctx.out.result(
            { id, client_id: key.clientId, resource: key.resource, days, total, usage: rows.map(({ day, allowed, denied, throttled }) => ({ day, allowed, denied, throttled })) },
            rows.length === 0
              ? `No calls with API key ${id} in the last ${days} day(s).`
              : [
                ...table(['DAY', 'ALLOWED', 'DENIED', 'THROTTLED'], rows.map((r) => [r.day, String(r.allowed), String(r.denied), String(r.throttled)])),
                `total: ${total.allowed} allowed, ${total.denied} denied, ${total.throttled} throttled`,
              ],
          );
        };
      },
    },
  },
};
