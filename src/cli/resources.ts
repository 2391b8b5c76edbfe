// `gatehouse resource ...`: the APIs (resource servers) clients ask tokens for with `resource=`.
// The server reads them on every token request, so changes apply without a restart.
import { Resources, type GatewaySettings, type GatewaySettingsChange, type Resource } from '../resources/resources.js';
import { formatRequirement, parseRequirement } from '../api-policy/requirement.js';
import { AuditLog } from '../audit/audit-log.js';
import { optionalString, requiredString, type CommandContext, type CommandGroup, type ParsedValues } from './command.js';
import { failure, formatDate, table, usageError } from './output.js';
import { parseRate } from './quantities.js';
import { ruleCommands } from './api-rules.js';

function describeGateway(settings: GatewaySettings) {
  return {
    require: formatRequirement(settings.requirement),
    rate_limit_per_second: settings.rateLimit,
    daily_quota: settings.dailyQuota,
  };
}

function describe(resource: Resource, settings: GatewaySettings | null | undefined) {
  return {
    identifier: resource.identifier,
    scope: resource.scopes.join(' '),
    format: resource.format,
    ttl: resource.ttl ?? null,
    alg: resource.format === 'jwt' ? resource.alg : null,
    ...(settings ? describeGateway(settings) : {}),
    created_at: resource.createdAt.toISOString(),
  };
}

function gatewayLines(settings: GatewaySettings): string[] {
  return [
    `gateway check requires: ${formatRequirement(settings.requirement).replace(',', ' and ')}`,
    `rate limit: ${settings.rateLimit === null ? 'none' : `${settings.rateLimit}/s`} per API key (or client, without a key); `
    + `daily quota: ${settings.dailyQuota === null ? 'none' : `${settings.dailyQuota}/day`}`,
  ];
}

const GATEWAY_OPTIONS = { require: { type: 'string' }, 'rate-limit': { type: 'string' }, quota: { type: 'string' } } as const;

/** --require, --rate-limit and --quota, checked before anything touches the database. */
function gatewayChange(values: ParsedValues): GatewaySettingsChange {
  const require = optionalString(values, 'require');
  if (require !== undefined) parseRequirement(require);
  const rateRaw = optionalString(values, 'rate-limit');
  const quotaRaw = optionalString(values, 'quota');
  return {
    ...(require === undefined ? {} : { require }),
    ...(rateRaw === undefined ? {} : { rateLimit: parseRate('--rate-limit', rateRaw, 's') }),
    ...(quotaRaw === undefined ? {} : { dailyQuota: parseRate('--quota', quotaRaw, 'day') }),
  };
}

async function auditRevokedKeys(ctx: CommandContext, identifier: string, ids: string[]): Promise<void> {
  const audit = new AuditLog(ctx.db);
  for (const id of ids) {
    await audit.record({ type: 'apikey.revoked', userAgent: 'gatehouse-cli', detail: { api_key_id: id, resource: identifier, reason: 'resource_deleted' } });
  }
}

function parseTtl(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw usageError(`--ttl must be a whole number of seconds, got "${raw}"`);
  return Number(raw);
}

export const resourceCommands: CommandGroup = {
  name: 'resource',
  description: 'Register the APIs (resource servers) access tokens are issued for',
  commands: {
    create: {
      synopsis:
        '--identifier URI --scope "SCOPE ..." [--format jwt|opaque] [--ttl SECONDS] [--alg ES256|EdDSA|RS256] '
        + '[--require api_key|access_token|signature|api_key,access_token|signature,access_token] [--rate-limit N/s] [--quota N/day]',
      description:
        'Register an API. Tokens for it have the identifier as audience and only its scopes; jwt (default) '
        + 'tokens follow RFC 9068 and are signed with ES256 unless --alg says otherwise. --require says what '
        + 'the gateway check wants on each call (default: an access token); --rate-limit and --quota are '
        + 'the defaults per API key (or client, for calls without a key)',
      options: {
        ...GATEWAY_OPTIONS,
        identifier: { type: 'string' },
        scope: { type: 'string' },
        format: { type: 'string' },
        ttl: { type: 'string' },
        alg: { type: 'string' },
      },
      positionals: [],
      prepare(values) {
        const format = optionalString(values, 'format');
        const alg = optionalString(values, 'alg');
        const ttl = parseTtl(optionalString(values, 'ttl'));
        const request = {
          ...gatewayChange(values),
          identifier: requiredString(values, 'identifier'),
          scope: requiredString(values, 'scope'),
          ...(format === undefined ? {} : { format }),
          ...(alg === undefined ? {} : { alg }),
          ...(ttl === undefined ? {} : { ttl }),
        };
        return async (ctx) => {
          const resources = new Resources(ctx.db);
          const resource = await resources.create(request);
          const settings = await resources.gatewaySettings(resource.identifier);
          ctx.out.result(describe(resource, settings), [
            `Created resource ${resource.identifier}`,
            `scopes: ${resource.scopes.join(' ')}`,
            `tokens: ${resource.format === 'jwt' ? `JWT (RFC 9068) signed with ${resource.alg}` : 'opaque (use introspection)'}, `
            + `lifetime ${resource.ttl === undefined ? 'server default' : `${resource.ttl} s`}`,
            ...(settings ? gatewayLines(settings) : []),
          ]);
        };
      },
    },

    list: {
      synopsis: '',
      description: 'List APIs, oldest first',
      options: {},
      positionals: [],
      prepare() {
        return async (ctx) => {
          const repository = new Resources(ctx.db);
          const resources = await repository.list();
          const settings = await repository.allGatewaySettings();
          const rate = (s: GatewaySettings | undefined) => [s?.rateLimit ? `${s.rateLimit}/s` : '-', s?.dailyQuota ? `${s.dailyQuota}/day` : '-'].join(' ');
          ctx.out.result(
            { resources: resources.map((r) => describe(r, settings.get(r.identifier))) },
            resources.length === 0
              ? 'No resources.'
              : table(
                ['IDENTIFIER', 'SCOPES', 'FORMAT', 'TTL', 'REQUIRES', 'LIMITS', 'CREATED'],
                resources.map((r) => {
                  const s = settings.get(r.identifier);
                  return [
                    r.identifier, r.scopes.join(' '), r.format === 'jwt' ? `jwt ${r.alg}` : 'opaque', r.ttl === undefined ? '-' : String(r.ttl),
                    s ? formatRequirement(s.requirement) : '-', rate(s), formatDate(r.createdAt),
                  ];
                }),
              ),
          );
        };
      },
    },

    delete: {
      synopsis: 'IDENTIFIER',
      description:
        'Delete an API: no new tokens are issued for it (issued ones run until they expire), its API keys '
        + 'are revoked and its rules deleted',
      options: {},
      positionals: ['IDENTIFIER'],
      prepare(_values, [identifier]) {
        return async (ctx) => {
          const deleted = await new Resources(ctx.db).delete(identifier);
          if (!deleted) throw failure(`no resource with identifier "${identifier}"`);
          await auditRevokedKeys(ctx, identifier, deleted.apiKeyIds);
          ctx.out.result(
            { identifier, deleted: true, api_keys_revoked: deleted.apiKeyIds.length, rules_deleted: deleted.rules },
            `Deleted resource ${identifier}; revoked ${deleted.apiKeyIds.length} API key(s), deleted ${deleted.rules} rule(s)`,
          );
        };
      },
    },

    update: {
      synopsis: 'IDENTIFIER [--require api_key|access_token|signature|api_key,access_token|signature,access_token] [--rate-limit N/s|none] [--quota N/day|none]',
      description:
        'Set what the gateway check requires on calls to an API, and the default rate limit and daily quota '
        + 'per API key (or client, for calls without a key); "none" removes a limit. Applies within a second',
      options: GATEWAY_OPTIONS,
      positionals: ['IDENTIFIER'],
      prepare(values, [identifier]) {
        const change = gatewayChange(values);
        if (Object.keys(change).length === 0) throw usageError('give --require, --rate-limit or --quota');
        return async (ctx) => {
          const settings = await new Resources(ctx.db).updateGatewaySettings(identifier, change);
          if (!settings) throw failure(`no resource with identifier "${identifier}"`);
          ctx.out.result({ identifier, ...describeGateway(settings) }, [`Updated resource ${identifier}:`, ...gatewayLines(settings)]);
        };
      },
    },

    ...ruleCommands,
  },
};
