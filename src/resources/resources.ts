// The APIs (resource servers, RFC 8707) Gatehouse issues access tokens for. Each is identified by
// the URI clients pass as `resource=`, which becomes the token's audience, and defines its scopes.
import type { Database } from '../persistence/prisma-client.js';
import { SCOPES } from '../oidc/scopes.js';
import { revokeKeysOf } from '../apikeys/api-keys.js';
import { formatRequirement, parseRequirement, storedRequirement, type Requirement } from '../api-policy/requirement.js';

export class ResourceInputError extends Error {
  override name = 'ResourceInputError';
}

/** The identifier is taken: the request is fine, it just cannot be done. */
export class ResourceExistsError extends Error {
  override name = 'ResourceExistsError';
}

export const TOKEN_FORMATS = ['jwt', 'opaque'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

/** Algorithms Gatehouse has generated keys for. ES256 first: RS256 signs about ten times slower. */
export const JWT_ALGS = ['ES256', 'EdDSA', 'RS256'] as const;
export type JwtAlg = (typeof JWT_ALGS)[number];

/** What the protocol configuration reads about APIs: the stored ones, or a fixed set (benchmark ceiling). */
export interface ResourceCatalog {
  list(): Promise<Resource[]>;
  allScopes(): Promise<string[]>;
}

export interface ResourceRequest extends GatewaySettingsChange {
  identifier: string;
  scope: string;
  format?: string;
  ttl?: number;
  alg?: string;
}

/** What the gateway check applies to an API (src/api-policy). */
export interface GatewaySettings {
  requirement: Requirement;
  /** Default calls per second per API key (or per client, for token-only calls); null: unlimited. */
  rateLimit: number | null;
  /** Default calls per UTC day, likewise. */
  dailyQuota: number | null;
}

/** `require` as typed (api_key, access_token or both); null clears a limit; undefined leaves a setting as is. */
export interface GatewaySettingsChange {
  require?: string;
  rateLimit?: number | null;
  dailyQuota?: number | null;
}

export interface DeletedResource {
  apiKeyIds: string[];
  rules: number;
}

function gatewayColumns(change: GatewaySettingsChange) {
  return {
    ...(change.require === undefined ? {} : { requirement: formatRequirement(parseRequirement(change.require)) }),
    ...(change.rateLimit === undefined ? {} : { rateLimit: change.rateLimit }),
    ...(change.dailyQuota === undefined ? {} : { dailyQuota: change.dailyQuota }),
  };
}

function toGatewaySettings(row: { requirement: string | null; rateLimit: number | null; dailyQuota: number | null }): GatewaySettings {
  return { requirement: storedRequirement(row.requirement), rateLimit: row.rateLimit, dailyQuota: row.dailyQuota };
}

export interface Resource {
  identifier: string;
  scopes: string[];
  format: TokenFormat;
  /** Seconds; undefined means the server's default access token lifetime. */
  ttl: number | undefined;
  alg: JwtAlg;
  createdAt: Date;
}

const OIDC_SCOPES: ReadonlySet<string> = new Set(SCOPES);
const MAX_TTL = 86400;

function parseIdentifier(raw: string): string {
  const identifier = raw.trim();
  const url = URL.parse(identifier);
  if (!url || !/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(identifier)) {
    throw new ResourceInputError(`resource identifier "${raw}" must be an absolute URI such as https://api.example.com`);
  }
  // RFC 8707 §2: a resource indicator must not carry a fragment (and should not carry a query).
  if (identifier.includes('#') || url.search) {
    throw new ResourceInputError(`resource identifier "${raw}" must not contain a query or fragment`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname))) {
    throw new ResourceInputError(`resource identifier "${raw}" must use https (http only on loopback)`);
  }
  return identifier;
}

export function parseScopes(raw: string): string[] {
  const scopes = [...new Set(raw.split(/\s+/).filter(Boolean))];
  if (scopes.length === 0) throw new ResourceInputError('a resource needs at least one scope');
  for (const scope of scopes) {
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)) {
      throw new ResourceInputError(`"${scope}" is not a valid scope token (RFC 6749 section 3.3)`);
    }
    if (OIDC_SCOPES.has(scope)) {
      throw new ResourceInputError(`"${scope}" is an OpenID Connect scope and cannot belong to an API`);
    }
  }
  return scopes;
}

/** Every scope some API defines: what a client may be registered with beside the OpenID scopes. */
export function scopesOf(resources: Resource[]): string[] {
  return [...new Set(resources.flatMap((r) => r.scopes))];
}

export function toResource(row: { identifier: string; scope: string; accessTokenFormat: string; accessTokenTtl: number | null; jwtAlg: string; createdAt: Date }): Resource {
  return {
    identifier: row.identifier,
    scopes: row.scope.split(' '),
    format: row.accessTokenFormat as TokenFormat,
    ttl: row.accessTokenTtl ?? undefined,
    alg: row.jwtAlg as JwtAlg,
    createdAt: row.createdAt,
  };
}

export class Resources {
  constructor(private readonly db: Database) {}

  async create(request: ResourceRequest): Promise<Resource> {
    const identifier = parseIdentifier(request.identifier);
    const scopes = parseScopes(request.scope);
    const format = TOKEN_FORMATS.find((f) => f === (request.format ?? 'jwt'));
    if (!format) throw new ResourceInputError(`format must be jwt or opaque, got "${request.format}"`);
    const alg = JWT_ALGS.find((a) => a === (request.alg ?? 'ES256'));
    if (!alg) throw new ResourceInputError(`alg must be one of ${JWT_ALGS.join(', ')}, got "${request.alg}"`);
    if (request.ttl !== undefined && (!Number.isSafeInteger(request.ttl) || request.ttl < 30 || request.ttl > MAX_TTL)) {
      throw new ResourceInputError(`ttl must be a whole number of seconds between 30 and ${MAX_TTL}`);
    }
    if (await this.db.resourceServer.findUnique({ where: { identifier } })) {
      throw new ResourceExistsError(`a resource with identifier "${identifier}" already exists`);
    }
    const gateway = gatewayColumns(request);
    const row = await this.db.resourceServer.create({
      data: { identifier, scope: scopes.join(' '), accessTokenFormat: format, accessTokenTtl: request.ttl ?? null, jwtAlg: alg, ...gateway },
    });
    return toResource(row);
  }

  async list(): Promise<Resource[]> {
    const rows = await this.db.resourceServer.findMany({ orderBy: [{ createdAt: 'asc' }, { identifier: 'asc' }] });
    return rows.map(toResource);
  }

  /**
   * Tokens already issued for it stay valid until they expire; new ones are refused. Its API keys
   * are revoked and its rules deleted with it. Null when there is no such API.
   */
  async delete(identifier: string): Promise<DeletedResource | null> {
    return this.db.$transaction(async (tx) => {
      if ((await tx.resourceServer.deleteMany({ where: { identifier } })).count === 0) return null;
      const rules = await tx.apiRule.deleteMany({ where: { resource: identifier } });
      return { apiKeyIds: await revokeKeysOf(tx, { resource: identifier }), rules: rules.count };
    });
  }

  /** Sets what the gateway check applies to an API; null when there is no such API. */
  async updateGatewaySettings(identifier: string, change: GatewaySettingsChange): Promise<GatewaySettings | null> {
    const { count } = await this.db.resourceServer.updateMany({ where: { identifier }, data: gatewayColumns(change) });
    return count > 0 ? this.gatewaySettings(identifier) : null;
  }

  async gatewaySettings(identifier: string): Promise<GatewaySettings | null> {
    const row = await this.db.resourceServer.findUnique({ where: { identifier }, select: { requirement: true, rateLimit: true, dailyQuota: true } });
    return row ? toGatewaySettings(row) : null;
  }

  /** Every API's gateway settings by identifier. */
  async allGatewaySettings(): Promise<Map<string, GatewaySettings>> {
    const rows = await this.db.resourceServer.findMany({ select: { identifier: true, requirement: true, rateLimit: true, dailyQuota: true } });
    return new Map(rows.map((row) => [row.identifier, toGatewaySettings(row)]));
  }

  /** The longest token lifetime an API sets itself (0 when none does), for how long retired keys stay published. */
  async longestTtl(): Promise<number> {
    const { _max } = await this.db.resourceServer.aggregate({ _max: { accessTokenTtl: true } });
    return _max.accessTokenTtl ?? 0;
  }

  async allScopes(): Promise<string[]> {
    return scopesOf(await this.list());
  }
}
