// `gatehouse resource ...`: the APIs (resource servers) clients ask tokens for with `resource=`.
// The server reads them on every token request, so changes apply without a restart.
import { Resources, type Resource } from '../resources/resources.js';
import { optionalString, requiredString, type CommandGroup } from './command.js';
import { failure, formatDate, table, usageError } from './output.js';

function describe(resource: Resource) {
  return {
    identifier: resource.identifier,
    scope: resource.scopes.join(' '),
    format: resource.format,
    ttl: resource.ttl ?? null,
    alg: resource.format === 'jwt' ? resource.alg : null,
    created_at: resource.createdAt.toISOString(),
  };
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
      synopsis: '--identifier URI --scope "SCOPE ..." [--format jwt|opaque] [--ttl SECONDS] [--alg ES256|EdDSA|RS256]',
      description:
        'Register an API. Tokens for it have the identifier as audience and only its scopes; jwt (default) '
        + 'tokens follow RFC 9068 and are signed with ES256 unless --alg says otherwise',
      options: {
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
          identifier: requiredString(values, 'identifier'),
          scope: requiredString(values, 'scope'),
          ...(format === undefined ? {} : { format }),
          ...(alg === undefined ? {} : { alg }),
          ...(ttl === undefined ? {} : { ttl }),
        };
        return async (ctx) => {
          const resource = await new Resources(ctx.db).create(request);
          ctx.out.result(describe(resource), [
            `Created resource ${resource.identifier}`,
            `scopes: ${resource.scopes.join(' ')}`,
            `tokens: ${resource.format === 'jwt' ? `JWT (RFC 9068) signed with ${resource.alg}` : 'opaque (use introspection)'}, `
            + `lifetime ${resource.ttl === undefined ? 'server default' : `${resource.ttl} s`}`,
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
          const resources = await new Resources(ctx.db).list();
          ctx.out.result(
            { resources: resources.map(describe) },
            resources.length === 0
              ? 'No resources.'
              : table(
                ['IDENTIFIER', 'SCOPES', 'FORMAT', 'TTL', 'CREATED'],
                resources.map((r) => [r.identifier, r.scopes.join(' '), r.format === 'jwt' ? `jwt ${r.alg}` : 'opaque', r.ttl === undefined ? '-' : String(r.ttl), formatDate(r.createdAt)]),
              ),
          );
        };
      },
    },

    delete: {
      synopsis: 'IDENTIFIER',
      description: 'Delete an API: no new tokens are issued for it (issued ones run until they expire)',
      options: {},
      positionals: ['IDENTIFIER'],
      prepare(_values, [identifier]) {
        return async (ctx) => {
          if (!(await new Resources(ctx.db).delete(identifier))) throw failure(`no resource with identifier "${identifier}"`);
          ctx.out.result({ identifier, deleted: true }, `Deleted resource ${identifier}`);
        };
      },
    },
  },
};
