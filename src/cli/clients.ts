// `gatehouse client ...`: OAuth clients. Secrets are printed once, at creation or rotation, and
// exist nowhere afterwards; every other command shows metadata only.
import { readFile } from 'node:fs/promises';
import { Clients, usesSecret, type ClientLimits, type ClientView } from '../clients/clients.js';
import { Resources } from '../resources/resources.js';
import { AuditLog, type AuditEventType } from '../audit/audit-log.js';
import { UsageMeter } from '../usage/usage-meter.js';
import { usageOfClient } from '../api-limits/api-usage-meter.js';
import { describeUsage } from './api-keys.js';
import { parseDuration, parseRate } from './quantities.js';
import {
  flag, optionalString, requiredString, stringList, type CommandContext, type CommandGroup,
} from './command.js';
import { failure, formatDate, table, usageError } from './output.js';
import { TLS_SUBJECT_FIELDS, type TlsSubject, type TlsSubjectField } from '../clients/validate-client.js';

/** JSON shape of a client; scope is always present so scripts need not special-case its absence. */
function describe(client: ClientView) {
  return {
    ...client,
    scope: allScopes(client),
    created_at: client.created_at.toISOString(),
    updated_at: client.updated_at.toISOString(),
  };
}

/** OpenID and API scopes together, as the operator gave them at creation. */
function allScopes(client: ClientView): string {
  return [client.scope, client.api_scope].filter(Boolean).join(' ');
}

function kind(client: ClientView): string {
  return `${client.token_endpoint_auth_method === 'none' ? 'public' : 'confidential'} ${client.application_type}`;
}

function details(client: ClientView): string[] {
  const list = (values: string[]) => (values.length ? values.join(' ') : '-');
  return [
    `client_id:                 ${client.client_id}`,
    `name:                      ${client.client_name}`,
    `type:                      ${kind(client)} (token_endpoint_auth_method ${client.token_endpoint_auth_method})`,
    `grant types:               ${list(client.grant_types)}`,
    `redirect URIs:             ${list(client.redirect_uris)}`,
    `post-logout redirect URIs: ${list(client.post_logout_redirect_uris)}`,
    `scope:                     ${allScopes(client) || '-'}`,
    ...(client.jwks_uri ? [`jwks_uri:                  ${client.jwks_uri}`] : []),
    ...(client.jwks ? [`jwks:                      ${client.jwks.keys.length} key(s)`] : []),
    ...(client.dpop_bound_access_tokens ? ['requires DPoP:             yes'] : []),
    ...(client.require_pushed_authorization_requests ? ['requires PAR:              yes'] : []),
    ...(client.require_mfa ? ['requires MFA:              yes'] : []),
    ...(client.backchannel_logout_uri ? [`back-channel logout URI:   ${client.backchannel_logout_uri}`] : []),
    ...TLS_SUBJECT_FIELDS.filter((field) => client[field]).map((field) => `${TLS_SUBJECT_LABELS[field]}${client[field]}`),
    ...(client.tls_client_certificate_bound_access_tokens ? ['certificate-bound tokens:  yes'] : []),
    `created:                   ${formatDate(client.created_at)}`,
  ];
}

const TLS_SUBJECT_LABELS: Record<TlsSubjectField, string> = {
  tls_client_auth_subject_dn: 'certificate subject DN:    ',
  tls_client_auth_san_dns: 'certificate SAN (DNS):     ',
  tls_client_auth_san_uri: 'certificate SAN (URI):     ',
  tls_client_auth_san_ip: 'certificate SAN (IP):      ',
  tls_client_auth_san_email: 'certificate SAN (email):   ',
};

/** --tls-subject-dn and --tls-san-*: the certificate subject of a tls_client_auth client. */
const TLS_SUBJECT_OPTIONS: Record<string, TlsSubjectField> = {
  'tls-subject-dn': 'tls_client_auth_subject_dn',
  'tls-san-dns': 'tls_client_auth_san_dns',
  'tls-san-uri': 'tls_client_auth_san_uri',
  'tls-san-ip': 'tls_client_auth_san_ip',
  'tls-san-email': 'tls_client_auth_san_email',
};

function secretLines(secret: string): string[] {
  return [
    `client_secret:             ${secret}`,
    '',
    'Store the client secret now: it is shown only once and Gatehouse keeps only a hash of it.',
  ];
}

async function clientsOf(ctx: CommandContext): Promise<Clients> {
  return new Clients(ctx.db, { apiScopes: await new Resources(ctx.db).allScopes() }, ctx.config.clientSecretPepper);
}

/** The client's public keys from a JWKS file, read before anything is stored. */
async function readJwksFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw usageError(`cannot read --jwks file "${path}": ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw usageError(`--jwks file "${path}" is not JSON`);
  }
}

/** Operator actions are audited like the server's events; the actor is the command line. */
function auditCli(ctx: CommandContext, type: AuditEventType, clientId: string, detail: Record<string, string | number | boolean> = {}): Promise<void> {
  return new AuditLog(ctx.db).record({ type, clientId, userAgent: 'gatehouse-cli', detail });
}

function describeLimits(limits: ClientLimits, defaultRate: number, rateLimitsOff: boolean) {
  return {
    rate_limit_per_second: limits.rateLimit ?? defaultRate,
    rate_limit_is_default: limits.rateLimit === null,
    daily_quota: limits.dailyQuota,
    rate_limits_disabled: rateLimitsOff,
  };
}

async function findClient(clients: Clients, id: string): Promise<ClientView> {
  const client = await clients.find(id);
  if (!client) throw failure(`no client with id "${id}"`);
  return client;
}

export const clientCommands: CommandGroup = {
  name: 'client',
  description: 'Register OAuth clients, inspect and delete them, rotate their secrets',
  commands: {
    create: {
      synopsis:
        '--name NAME [--public] --grant GRANT [--grant GRANT ...] [--redirect-uri URI ...] '
        + '[--post-logout-redirect-uri URI ...] [--scope "SCOPE ..."] [--jwks-uri URL | --jwks FILE] '
        + '[--require-dpop] [--require-par] [--require-mfa] [--backchannel-logout-uri URL] [--auth METHOD] '
        + '[--tls-subject-dn DN | --tls-san-dns NAME | --tls-san-uri URI | --tls-san-ip IP | --tls-san-email EMAIL] [--cert-bound-tokens]',
      description:
        'Register a client. Grants: authorization_code, refresh_token, client_credentials, device_code. '
        + 'Confidential unless --public; the secret is shown once. With --jwks-uri or --jwks the client '
        + 'authenticates with private_key_jwt and gets no secret. Mutual TLS: --auth tls_client_auth with '
        + 'the certificate\'s --tls-subject-dn "CN=...,O=..." (or one --tls-san-*), or --auth '
        + 'self_signed_tls_client_auth --jwks FILE (a JWKS whose key carries the certificate in x5c); no '
        + 'secret either way. --cert-bound-tokens binds its tokens to its certificate',
      options: {
        name: { type: 'string' },
        public: { type: 'boolean' },
        grant: { type: 'string', multiple: true },
        'redirect-uri': { type: 'string', multiple: true },
        'post-logout-redirect-uri': { type: 'string', multiple: true },
        scope: { type: 'string' },
        'jwks-uri': { type: 'string' },
        jwks: { type: 'string' },
        'require-dpop': { type: 'boolean' },
        'require-par': { type: 'boolean' },
        'require-mfa': { type: 'boolean' },
        'backchannel-logout-uri': { type: 'string' },
        auth: { type: 'string' },
        'tls-subject-dn': { type: 'string' },
        'tls-san-dns': { type: 'string' },
        'tls-san-uri': { type: 'string' },
        'tls-san-ip': { type: 'string' },
        'tls-san-email': { type: 'string' },
        'cert-bound-tokens': { type: 'boolean' },
      },
      positionals: [],
      prepare(values) {
        const name = requiredString(values, 'name');
        const grantTypes = stringList(values, 'grant');
        if (grantTypes.length === 0) throw usageError('--grant is required (at least one)');
        const scope = optionalString(values, 'scope');
        const jwksUri = optionalString(values, 'jwks-uri');
        const jwksFile = optionalString(values, 'jwks');
        const backchannelLogoutUri = optionalString(values, 'backchannel-logout-uri');
        const authMethod = optionalString(values, 'auth');
        const tlsSubject: TlsSubject = {};
        for (const [option, field] of Object.entries(TLS_SUBJECT_OPTIONS)) {
          const value = optionalString(values, option);
          if (value !== undefined) tlsSubject[field] = value;
        }
        const request = {
          name,
          public: flag(values, 'public'),
          grantTypes,
          redirectUris: stringList(values, 'redirect-uri'),
          postLogoutRedirectUris: stringList(values, 'post-logout-redirect-uri'),
          ...(scope === undefined ? {} : { scope }),
          ...(jwksUri === undefined ? {} : { jwksUri }),
          requireDpop: flag(values, 'require-dpop'),
          requirePar: flag(values, 'require-par'),
          requireMfa: flag(values, 'require-mfa'),
          ...(backchannelLogoutUri === undefined ? {} : { backchannelLogoutUri }),
          ...(authMethod === undefined ? {} : { authMethod }),
          tlsSubject,
          certificateBoundTokens: flag(values, 'cert-bound-tokens'),
        };
        return async (ctx) => {
          const jwks = jwksFile === undefined ? {} : { jwks: await readJwksFile(jwksFile) };
          const { client, clientSecret } = await (await clientsOf(ctx)).create({ ...request, ...jwks });
          await auditCli(ctx, 'client.created', client.client_id, { name: client.client_name });
          ctx.out.result(
            { ...describe(client), ...(clientSecret === undefined ? {} : { client_secret: clientSecret }) },
            [`Created ${kind(client)} client`, ...details(client), ...(clientSecret === undefined ? [] : secretLines(clientSecret))],
          );
        };
      },
    },

    list: {
      synopsis: '',
      description: 'List clients, oldest first',
      options: {},
      positionals: [],
      prepare() {
        return async (ctx) => {
          const clients = await (await clientsOf(ctx)).list();
          ctx.out.result(
            { clients: clients.map(describe) },
            clients.length === 0
              ? 'No clients.'
              : table(
                ['CLIENT ID', 'NAME', 'TYPE', 'GRANTS'],
                clients.map((c) => [c.client_id, c.client_name, kind(c), c.grant_types.join(',')]),
              ),
          );
        };
      },
    },

    show: {
      synopsis: 'CLIENT_ID',
      description: "Show a client's metadata (never its secret)",
      options: {},
      positionals: ['CLIENT_ID'],
      prepare(_values, [id]) {
        return async (ctx) => {
          const clients = await clientsOf(ctx);
          const client = await findClient(clients, id);
          const limits = await clients.limits(id);
          const { rateLimits } = ctx.config;
          const shown = limits ? describeLimits(limits, rateLimits.clientPerSecond, rateLimits.disabled) : undefined;
          ctx.out.result({ ...describe(client), ...(shown ? { limits: shown } : {}) }, [
            ...details(client),
            ...(shown
              ? [
                `rate limit:                ${shown.rate_limit_per_second}/s${shown.rate_limit_is_default ? ' (server default)' : ''}`,
                `daily quota:               ${shown.daily_quota === null ? 'none' : `${shown.daily_quota}/day`}`,
              ]
              : []),
          ]);
        };
      },
    },

    delete: {
      synopsis: 'CLIENT_ID',
      description: 'Delete a client and revoke every grant and token issued to it',
      options: {},
      positionals: ['CLIENT_ID'],
      prepare(_values, [id]) {
        return async (ctx) => {
          const revoked = await (await clientsOf(ctx)).delete(id);
          if (!revoked) throw failure(`no client with id "${id}"`);
          await auditCli(ctx, 'client.deleted', id, { grants_revoked: revoked.grants, api_keys_revoked: revoked.apiKeyIds.length });
          for (const keyId of revoked.apiKeyIds) await auditCli(ctx, 'apikey.revoked', id, { api_key_id: keyId, reason: 'client_deleted' });
          ctx.out.result(
            {
              client_id: id,
              deleted: true,
              revoked: {
                grants: revoked.grants, refresh_tokens: revoked.refreshTokens, grant_tokens: revoked.grantTokens, api_keys: revoked.apiKeyIds.length,
              },
            },
            `Deleted client ${id}; revoked ${revoked.grants} grant(s), ${revoked.refreshTokens} refresh token(s), `
            + `${revoked.grantTokens} other token(s) and ${revoked.apiKeyIds.length} API key(s)`,
          );
        };
      },
    },

    'rotate-secret': {
      synopsis: 'CLIENT_ID [--grace DURATION]',
      description:
        'Give a confidential client a new secret. The old one stops working immediately, or after '
        + '--grace (e.g. 24h, at most 30d) so services can switch without downtime',
      options: { grace: { type: 'string' } },
      positionals: ['CLIENT_ID'],
      prepare(values, [id]) {
        const graceRaw = optionalString(values, 'grace');
        const graceSeconds = graceRaw === undefined ? 0 : parseDuration('--grace', graceRaw, 30 * 86_400);
        return async (ctx) => {
          const clients = await clientsOf(ctx);
          const client = await findClient(clients, id);
          if (!usesSecret(client.token_endpoint_auth_method)) {
            const why = client.token_endpoint_auth_method === 'none' ? 'is a public client' : `authenticates with ${client.token_endpoint_auth_method}`;
            throw failure(`client ${id} ${why} and has no secret`);
          }
          const now = new Date();
          const rotated = await clients.rotateSecret(id, graceSeconds, now);
          if (!rotated?.clientSecret) throw failure(`no client with id "${id}"`);
          await auditCli(ctx, 'client.secret_rotated', id, { grace_seconds: graceSeconds });
          const oldUntil = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
          ctx.out.result(
            { client_id: id, client_secret: rotated.clientSecret, previous_secret_expires_at: oldUntil?.toISOString() ?? null },
            [
              oldUntil
                ? `Rotated the secret of client ${id}; the old secret keeps working until ${formatDate(oldUntil)}.`
                : `Rotated the secret of client ${id}; the old secret no longer works.`,
              ...secretLines(rotated.clientSecret),
            ],
          );
        };
      },
    },

    update: {
      synopsis: 'CLIENT_ID [--rate-limit N/s|none] [--quota N/day|none] [--require-mfa | --no-require-mfa]',
      description:
        'Set a client\'s request rate limit and daily quota at the token, device and introspection '
        + 'endpoints ("none": back to the server default rate, no quota), and whether its sign-ins need a second factor',
      options: {
        'rate-limit': { type: 'string' }, quota: { type: 'string' }, 'require-mfa': { type: 'boolean' }, 'no-require-mfa': { type: 'boolean' },
      },
      positionals: ['CLIENT_ID'],
      prepare(values, [id]) {
        const rateRaw = optionalString(values, 'rate-limit');
        const quotaRaw = optionalString(values, 'quota');
        if (flag(values, 'require-mfa') && flag(values, 'no-require-mfa')) throw usageError('give --require-mfa or --no-require-mfa, not both');
        const requireMfa = flag(values, 'require-mfa') ? true : flag(values, 'no-require-mfa') ? false : undefined;
        if (rateRaw === undefined && quotaRaw === undefined && requireMfa === undefined) {
          throw usageError('give --rate-limit, --quota, --require-mfa or --no-require-mfa');
        }
        const rateLimit = rateRaw === undefined ? undefined : parseRate('--rate-limit', rateRaw, 's');
        const dailyQuota = quotaRaw === undefined ? undefined : parseRate('--quota', quotaRaw, 'day');
        return async (ctx) => {
          const clients = await clientsOf(ctx);
          const client = await findClient(clients, id);
          const updated = requireMfa === undefined ? client : await clients.setRequireMfa(id, requireMfa);
          const limits = rateLimit === undefined && dailyQuota === undefined
            ? await clients.limits(id)
            : await clients.updateLimits(id, { rateLimit, dailyQuota });
          if (!limits || !updated) throw failure(`no client with id "${id}"`);
          await auditCli(ctx, 'client.updated', id, {
            rate_limit: limits.rateLimit ?? 'default',
            daily_quota: limits.dailyQuota ?? 'none',
            require_mfa: updated.require_mfa === true,
          });
          const { rateLimits } = ctx.config;
          const shown = describeLimits(limits, rateLimits.clientPerSecond, rateLimits.disabled);
          ctx.out.result({ client_id: id, ...shown, require_mfa: updated.require_mfa === true }, [
            `Updated client ${id}:`,
            `rate limit:   ${shown.rate_limit_per_second}/s${shown.rate_limit_is_default ? ' (server default)' : ''}`,
            `daily quota:  ${shown.daily_quota === null ? 'none' : `${shown.daily_quota}/day`}`,
            `requires MFA: ${updated.require_mfa === true ? 'yes' : 'no'}`,
            ...(rateLimits.disabled ? ['Note: RATE_LIMIT_DISABLED is set, so limits are not enforced.'] : []),
          ]);
        };
      },
    },

    usage: {
      synopsis: 'CLIENT_ID [--days N]',
      description:
        'Tokens issued to a client per UTC day and grant type, and its calls through the gateway check per day, '
        + 'API and API key (allowed, denied, throttled), for the last N days (default 7)',
      options: { days: { type: 'string' } },
      positionals: ['CLIENT_ID'],
      prepare(values, [id]) {
        const daysRaw = optionalString(values, 'days') ?? '7';
        if (!/^\d{1,4}$/.test(daysRaw) || Number(daysRaw) < 1 || Number(daysRaw) > 3660) {
          throw usageError(`--days must be a whole number from 1 to 3660, got "${daysRaw}"`);
        }
        const days = Number(daysRaw);
        return async (ctx) => {
          await findClient(await clientsOf(ctx), id);
          const rows = await new UsageMeter(ctx.db).report(id, days);
          const total = rows.reduce((sum, row) => sum + row.count, 0);
          const apiRows = await usageOfClient(ctx.db, id, days);
          const api = describeUsage(apiRows);
          ctx.out.result(
            {
              client_id: id, days, total, usage: rows.map((r) => ({ day: r.day, grant_type: r.grantType, tokens: r.count })),
              api_calls: api.rows, api_calls_total: api.total,
            },
            [
              ...(rows.length === 0
                ? [`No tokens issued to client ${id} in the last ${days} day(s).`]
                : [...table(['DAY', 'GRANT TYPE', 'TOKENS'], rows.map((r) => [r.day, r.grantType, String(r.count)])), `total: ${total}`]),
              '',
              ...(apiRows.length === 0
                ? [`No API calls by client ${id} in the last ${days} day(s).`]
                : [
                  ...table(
                    ['DAY', 'API', 'API KEY', 'ALLOWED', 'DENIED', 'THROTTLED'],
                    apiRows.map((r) => [r.day, r.resource, r.apiKeyId ?? '(token only)', String(r.allowed), String(r.denied), String(r.throttled)]),
                  ),
                  `API calls: ${api.total.allowed} allowed, ${api.total.denied} denied, ${api.total.throttled} throttled`,
                ]),
            ],
          );
        };
      },
    },
  },
};
