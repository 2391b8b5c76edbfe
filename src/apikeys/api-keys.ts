// The API keys repository: create (the key and its signing secret are returned once; the key is
// stored as a hash, the signing secret encrypted), list, show, revoke and rotate. A key belongs to one client and one API, may be narrowed to some of that API's
// scopes, and may override the API's default rate limit and daily quota.
import type { Database } from '../persistence/prisma-client.js';
import { hashClientSecret } from '../oidc/client-secrets.js';
import { parseScopes } from '../resources/resources.js';
import { generateApiKey, keyEnds } from './api-key-format.js';
import { generateSigningSecret, type SigningSecrets } from './signing-secret.js';

export class ApiKeyInputError extends Error {
  override name = 'ApiKeyInputError';
}

/** The client or API a key would belong to does not exist: the request is fine, it cannot be done. */
export class ApiKeyReferenceError extends Error {
  override name = 'ApiKeyReferenceError';
}

export const API_KEY_STATUSES = ['active', 'rotated', 'expired', 'revoked'] as const;
/** rotated: replaced with a grace period, and still working until it ends. */
export type ApiKeyStatus = (typeof API_KEY_STATUSES)[number];

export interface ApiKeyView {
  id: string;
  name: string | null;
  clientId: string;
  resource: string;
  /** undefined: all of the API's scopes. */
  scopes: string[] | undefined;
  keyStart: string;
  keyEnd: string;
  rateLimit: number | null;
  dailyQuota: number | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  rotatedTo: string | null;
  status: ApiKeyStatus;
}

export interface ApiKeyRequest {
  clientId: string;
  resource: string;
  name?: string;
  scope?: string;
  expiresInSeconds?: number;
  rateLimit?: number | null;
  dailyQuota?: number | null;
}

export interface CreatedApiKey {
  view: ApiKeyView;
  /** The key itself: shown once, stored nowhere. */
  apiKey: string;
  /** The HMAC secret for signed requests: shown once, stored encrypted. */
  signingSecret: string;
}

type ApiKeyRow = {
  id: string; name: string | null; clientId: string; resource: string; scope: string | null; keyStart: string; keyEnd: string;
  rateLimit: number | null; dailyQuota: number | null; createdAt: Date; lastUsedAt: Date | null; expiresAt: Date | null;
  revokedAt: Date | null; rotatedTo: string | null;
};

export function statusOf(row: { revokedAt: Date | null; expiresAt: Date | null }, now: Date): ApiKeyStatus {
  if (row.revokedAt && row.revokedAt <= now) return 'revoked';
  if (row.expiresAt && row.expiresAt <= now) return 'expired';
  if (row.revokedAt) return 'rotated';
  return 'active';
}

function toView(row: ApiKeyRow, now: Date): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    clientId: row.clientId,
    resource: row.resource,
    scopes: row.scope === null ? undefined : row.scope.split(' '),
    keyStart: row.keyStart,
    keyEnd: row.keyEnd,
    rateLimit: row.rateLimit,
    dailyQuota: row.dailyQuota,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    rotatedTo: row.rotatedTo,
    status: statusOf(row, now),
  };
}

const NAME_MAX = 200;

export class ApiKeys {
  constructor(
    private readonly db: Database,
    /** CLIENT_SECRET_PEPPER: keys are hashed with HMAC-SHA-256 under it, as client secrets are. */
    private readonly pepper: string | undefined,
    private readonly signingSecrets: SigningSecrets,
  ) {}

  /** Throws ApiKeyInputError for an unknown client or API, or scopes the API does not define. */
  async create(request: ApiKeyRequest, now = new Date()): Promise<CreatedApiKey> {
    const name = request.name?.trim() || null;
    if (name !== null && (name.length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(name))) {
      throw new ApiKeyInputError(`--name must be at most ${NAME_MAX} printable characters`);
    }
    const client = await this.db.client.findUnique({ where: { id: request.clientId }, select: { id: true } });
    if (!client) throw new ApiKeyReferenceError(`no client with id "${request.clientId}"`);
    const resource = await this.db.resourceServer.findUnique({ where: { identifier: request.resource } });
    if (!resource) throw new ApiKeyReferenceError(`no resource with identifier "${request.resource}" (see gatehouse resource list)`);
    let scope: string | null = null;
    if (request.scope !== undefined) {
      const scopes = parseScopes(request.scope);
      const apiScopes = resource.scope.split(' ');
      const unknown = scopes.filter((s) => !apiScopes.includes(s));
      if (unknown.length) throw new ApiKeyInputError(`--scope "${unknown.join(' ')}" is not a scope of ${resource.identifier} (it has: ${resource.scope})`);
      scope = scopes.join(' ');
    }
    const expiresAt = request.expiresInSeconds === undefined ? null : new Date(now.getTime() + request.expiresInSeconds * 1000);
    return this.insert({
      name, clientId: client.id, resource: resource.identifier, scope, expiresAt,
      rateLimit: request.rateLimit ?? null, dailyQuota: request.dailyQuota ?? null,
    }, now);
  }

  private async insert(
    fields: Pick<ApiKeyRow, 'name' | 'clientId' | 'resource' | 'scope' | 'expiresAt' | 'rateLimit' | 'dailyQuota'>,
    now: Date,
    tx: Pick<Database, 'apiKey'> = this.db,
  ): Promise<CreatedApiKey> {
    const { id, key } = generateApiKey();
    const { start, end } = keyEnds(key);
    const signingSecret = generateSigningSecret();
    const row = await tx.apiKey.create({
      data: {
        id, ...fields, keyHash: hashClientSecret(key, this.pepper), signingSecret: this.signingSecrets.seal(id, signingSecret), keyStart: start, keyEnd: end, createdAt: now,
      },
    });
    return { view: toView(row, now), apiKey: key, signingSecret };
  }

  async list(filter: { clientId?: string } = {}, now = new Date()): Promise<ApiKeyView[]> {
    const rows = await this.db.apiKey.findMany({
      where: filter.clientId === undefined ? {} : { clientId: filter.clientId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map((row) => toView(row, now));
  }

  async find(id: string, now = new Date()): Promise<ApiKeyView | null> {
    const row = await this.db.apiKey.findUnique({ where: { id } });
    return row ? toView(row, now) : null;
  }

  /**
   * Revokes a key at once (also one rotated with grace). Returns the key as it is now, null when
   * there is none, and the key unchanged when it was already revoked.
   */
  async revoke(id: string, now = new Date()): Promise<{ view: ApiKeyView; changed: boolean } | null> {
    const { count } = await this.db.apiKey.updateMany({
      where: { id, OR: [{ revokedAt: null }, { revokedAt: { gt: now } }] },
      data: { revokedAt: now },
    });
    const view = await this.find(id, now);
    return view ? { view, changed: count > 0 } : null;
  }

  /**
   * Issues a new key with the same client, API, name, scopes, limits and expiry. The old key stops
   * working at once, or after `graceSeconds`, so callers can switch without downtime.
   */
  async rotate(id: string, graceSeconds: number, now = new Date()): Promise<{ old: ApiKeyView; created: CreatedApiKey } | null> {
    return this.db.$transaction(async (tx) => {
      const row = await tx.apiKey.findUnique({ where: { id } });
      if (!row) return null;
      const status = statusOf(row, now);
      if (status !== 'active') throw new ApiKeyReferenceError(`API key ${id} is ${status}; only an active key can be rotated`);
      const created = await this.insert(
        { name: row.name, clientId: row.clientId, resource: row.resource, scope: row.scope, expiresAt: row.expiresAt, rateLimit: row.rateLimit, dailyQuota: row.dailyQuota },
        now,
        tx,
      );
      const old = await tx.apiKey.update({
        where: { id },
        data: { revokedAt: new Date(now.getTime() + graceSeconds * 1000), rotatedTo: created.view.id },
      });
      return { old: toView(old, now), created };
    });
  }
}

/**
 * Revokes every key still working of a client or an API being deleted, inside the caller's
 * transaction; returns the ids it revoked.
 */
export async function revokeKeysOf(
  tx: Pick<Database, 'apiKey'>,
  owner: { clientId: string } | { resource: string },
  now = new Date(),
): Promise<string[]> {
  const where = { ...owner, OR: [{ revokedAt: null }, { revokedAt: { gt: now } }] };
  const ids = (await tx.apiKey.findMany({ where, select: { id: true } })).map((row) => row.id);
  if (ids.length) await tx.apiKey.updateMany({ where: { id: { in: ids } }, data: { revokedAt: now } });
  return ids;
}
