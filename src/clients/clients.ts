// The clients repository. A client row holds oidc-provider metadata as JSON text, which the
// provider's Client adapter reads as is; the secret itself is never stored, only its hash, both in
// `secretHash` and as `client_secret` in the metadata, which is what the provider compares against.
import { randomBytes } from 'node:crypto';
import type { Database } from '../persistence/prisma-client.js';
import { revokeKeysOf } from '../apikeys/api-keys.js';
import { generateClientSecret, hashClientSecret } from '../oidc/client-secrets.js';
import {
  ClientInputError, validateClientRequest, type ClientPolicy, type ClientProfile, type ClientRequest,
} from './validate-client.js';

/** A client as shown to operators: its metadata without anything secret. */
export interface ClientView extends ClientProfile {
  client_id: string;
  created_at: Date;
  updated_at: Date;
}

export interface ClientWithSecret {
  client: ClientView;
  /** Only ever returned here, at creation or rotation; confidential clients only. */
  clientSecret?: string;
}

export interface RevokedCounts {
  grants: number;
  refreshTokens: number;
  /** Codes, access tokens, device codes and the like, tied to the client directly or through their grant. */
  grantTokens: number;
  /** Ids of the API keys revoked with the client. */
  apiKeyIds: string[];
}

export interface ClientLimits {
  /** Requests per second; null: the server default. */
  rateLimit: number | null;
  /** Requests per UTC day; null: unlimited. */
  dailyQuota: number | null;
  /** Until when the previous secret still works after a rotation with grace. */
  previousSecretExpiresAt: Date | null;
}

type StoredMetadata = ClientProfile & { client_id: string; client_secret?: string };

type ClientRow = { id: string; metadata: string; createdAt: Date; updatedAt: Date };

function toView(row: ClientRow): ClientView {
  const { client_secret: _secret, ...metadata } = JSON.parse(row.metadata) as StoredMetadata;
  return { ...metadata, client_id: row.id, created_at: row.createdAt, updated_at: row.updatedAt };
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 24;

/**
 * 24 alphanumerics (about 143 bits), so ids cannot be guessed. No "-" or "_": an id starting with
 * "-" reads as an option on a command line, and these ids are typed into one.
 */
export function newClientId(): string {
  let id = '';
  while (id.length < ID_LENGTH) {
    for (const byte of randomBytes(32)) {
      // 248 is the largest multiple of 62 below 256: rejecting above it keeps every character equally likely.
      if (byte < 248 && id.length < ID_LENGTH) id += ID_ALPHABET[byte % ID_ALPHABET.length];
    }
  }
  return id;
}

/** Only these methods authenticate with a shared secret; private_key_jwt and public clients have none. */
export function usesSecret(method: string): boolean {
  return method === 'client_secret_basic' || method === 'client_secret_post';
}

export class Clients {
  constructor(
    private readonly db: Database,
    private readonly policy: ClientPolicy = {},
    /** CLIENT_SECRET_PEPPER: new secrets are hashed with HMAC-SHA-256 under it. */
    private readonly pepper?: string,
  ) {}

  /** Validates and stores a client; throws ClientInputError for metadata Gatehouse refuses. */
  async create(request: ClientRequest): Promise<ClientWithSecret> {
    const profile = validateClientRequest(request, this.policy);
    const id = newClientId();
    const secret = usesSecret(profile.token_endpoint_auth_method) ? generateClientSecret() : undefined;
    const secretHash = secret === undefined ? null : hashClientSecret(secret, this.pepper);
    const metadata: StoredMetadata = {
      client_id: id,
      ...profile,
      ...(secretHash === null ? {} : { client_secret: secretHash }),
    };
    const row = await this.db.client.create({
      data: { id, name: profile.client_name, metadata: JSON.stringify(metadata), secretHash },
    });
    return { client: toView(row), ...(secret === undefined ? {} : { clientSecret: secret }) };
  }

  async list(): Promise<ClientView[]> {
    const rows = await this.db.client.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return rows.map(toView);
  }

  async find(id: string): Promise<ClientView | null> {
    const row = await this.db.client.findUnique({ where: { id } });
    return row ? toView(row) : null;
  }

  /**
   * Deletes the client and everything issued to it, so nothing it was given keeps working; its API
   * keys are revoked rather than deleted, so lists and audit still name them.
   * Returns null when there is no such client.
   */
  async delete(id: string): Promise<RevokedCounts | null> {
    return this.db.$transaction(async (tx) => {
      if (!(await tx.client.findUnique({ where: { id }, select: { id: true } }))) return null;
      const grantIds = (await tx.grant.findMany({ where: { clientId: id }, select: { id: true } })).map((g) => g.id);
      const refreshTokens = await tx.refreshToken.deleteMany({
        where: { OR: [{ clientId: id }, { grantId: { in: grantIds } }] },
      });
      const grantTokens = await tx.oidcPayload.deleteMany({ where: { OR: [{ clientId: id }, { grantId: { in: grantIds } }] } });
      const grants = await tx.grant.deleteMany({ where: { clientId: id } });
      const apiKeyIds = await revokeKeysOf(tx, { clientId: id });
      await tx.client.delete({ where: { id } });
      return { grants: grants.count, refreshTokens: refreshTokens.count, grantTokens: grantTokens.count, apiKeyIds };
    });
  }

  /**
   * Replaces a confidential client's secret. Without a grace period the old secret stops working
   * at once (the provider re-reads the metadata on every lookup); with one, the old secret's hash
   * is kept and accepted until then, so services can roll over without downtime.
   * Returns null when there is no such client.
   */
  async rotateSecret(id: string, graceSeconds = 0, now = new Date()): Promise<ClientWithSecret | null> {
    return this.db.$transaction(async (tx) => {
      const row = await tx.client.findUnique({ where: { id } });
      if (!row) return null;
      const metadata = JSON.parse(row.metadata) as StoredMetadata;
      if (!usesSecret(metadata.token_endpoint_auth_method)) {
        throw new ClientInputError(`client ${id} authenticates with ${metadata.token_endpoint_auth_method} and has no secret to rotate`);
      }
      const secret = generateClientSecret();
      const secretHash = hashClientSecret(secret, this.pepper);
      const updated = await tx.client.update({
        where: { id },
        data: {
          secretHash,
          metadata: JSON.stringify({ ...metadata, client_secret: secretHash }),
          previousSecretHash: graceSeconds > 0 ? row.secretHash : null,
          previousSecretExpiresAt: graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null,
        },
      });
      return { client: toView(updated), clientSecret: secret };
    });
  }

  /** Sets (a number) or clears (null) a client's rate limit and daily quota; undefined leaves one as is. */
  async updateLimits(id: string, limits: { rateLimit?: number | null; dailyQuota?: number | null }): Promise<ClientLimits | null> {
    const { count } = await this.db.client.updateMany({
      where: { id },
      data: {
        ...(limits.rateLimit === undefined ? {} : { rateLimit: limits.rateLimit }),
        ...(limits.dailyQuota === undefined ? {} : { dailyQuota: limits.dailyQuota }),
      },
    });
    return count > 0 ? this.limits(id) : null;
  }

  /** Sets or clears `require_mfa` in the client's metadata; the provider reads it on the next request. */
  async setRequireMfa(id: string, required: boolean): Promise<ClientView | null> {
    return this.db.$transaction(async (tx) => {
      const row = await tx.client.findUnique({ where: { id } });
      if (!row) return null;
      const { require_mfa: _previous, ...metadata } = JSON.parse(row.metadata) as StoredMetadata;
      const updated = await tx.client.update({
        where: { id },
        data: { metadata: JSON.stringify(required ? { ...metadata, require_mfa: true } : metadata) },
      });
      return toView(updated);
    });
  }

  async limits(id: string): Promise<ClientLimits | null> {
    return this.db.client.findUnique({ where: { id }, select: { rateLimit: true, dailyQuota: true, previousSecretExpiresAt: true } });
  }
}
