// The hot-path statements on PostgreSQL, as named prepared statements on the pool Prisma's adapter
// also uses (each pooled connection parses a statement once). TIMESTAMP(3) columns hold UTC without a
// zone, as Prisma writes them: instants go in and come out as epoch milliseconds converted in SQL,
// so the session's TimeZone setting never shifts them.
import type { Pool, QueryResultRow } from 'pg';
import type {
  ClientLimitsRecord, DevicePollRecord, RateLimitRecord, GrantRecord, HotStore, PayloadRecord, RefreshTokenRecord, ResourceRecord, SecondaryColumn, StoredPayload, UserRecord,
} from './hot-store.js';

/** A parameter holding epoch milliseconds, as a UTC timestamp without zone. */
const at = (n: number) => `(to_timestamp($${n}::float8 / 1000) AT TIME ZONE 'UTC')`;
/** A timestamp column as epoch milliseconds (epoch of a zoneless timestamp reads it as UTC). */
const ms = (column: string) => `(extract(epoch from "${column}") * 1000)::float8 AS "${column}"`;

const PAYLOAD_COLUMNS = `"payload", ${ms('expiresAt')}, ${ms('consumedAt')}`;
const RESOURCE_COLUMNS = `"identifier", "scope", "accessTokenFormat", "accessTokenTtl", "jwtAlg", ${ms('createdAt')}`;

export class PostgresHotStore implements HotStore {
  constructor(private readonly pool: Pool) {}

  private async rows<T extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<T[]> {
    return (await this.pool.query<T>({ name: `gatehouse_${name}`, text, values })).rows;
  }

  private async first<T extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<T | undefined> {
    return (await this.rows<T>(name, text, values))[0];
  }

  async findClientMetadata(id: string): Promise<string | undefined> {
    return (await this.first<{ metadata: string }>('client', 'SELECT "metadata" FROM "Client" WHERE "id" = $1', [id]))?.metadata;
  }

  async findClientLimits(id: string): Promise<ClientLimitsRecord | undefined> {
    return this.first('client_limits', 'SELECT "rateLimit", "dailyQuota" FROM "Client" WHERE "id" = $1', [id]);
  }

  async upsertGrant(row: GrantRecord, now: number): Promise<void> {
    await this.rows('grant_upsert',
      `INSERT INTO "Grant" ("id", "accountId", "clientId", "payload", "expiresAt", "createdAt") VALUES ($1, $2, $3, $4, ${at(5)}, ${at(6)})
       ON CONFLICT ("id") DO UPDATE SET "accountId" = excluded."accountId", "clientId" = excluded."clientId",
         "payload" = excluded."payload", "expiresAt" = excluded."expiresAt"`,
      [row.id, row.accountId, row.clientId, row.payload, row.expiresAt, now]);
  }

  async findGrant(id: string): Promise<StoredPayload | undefined> {
    return this.first('grant_find', `SELECT "payload", ${ms('expiresAt')}, NULL::float8 AS "consumedAt" FROM "Grant" WHERE "id" = $1`, [id]);
  }

  async deleteGrant(id: string): Promise<void> {
    await this.rows('grant_delete', 'DELETE FROM "Grant" WHERE "id" = $1', [id]);
  }

  async upsertRefreshToken(row: RefreshTokenRecord, now: number): Promise<void> {
    await this.rows('refresh_upsert',
      `INSERT INTO "RefreshToken" ("idHash", "grantId", "accountId", "clientId", "payload", "expiresAt", "createdAt") VALUES ($1, $2, $3, $4, $5, ${at(6)}, ${at(7)})
       ON CONFLICT ("idHash") DO UPDATE SET "grantId" = excluded."grantId", "accountId" = excluded."accountId",
         "clientId" = excluded."clientId", "payload" = excluded."payload", "expiresAt" = excluded."expiresAt"`,
      [row.idHash, row.grantId, row.accountId, row.clientId, row.payload, row.expiresAt, now]);
  }

  async findRefreshToken(idHash: string): Promise<StoredPayload | undefined> {
    return this.first('refresh_find', `SELECT ${PAYLOAD_COLUMNS} FROM "RefreshToken" WHERE "idHash" = $1`, [idHash]);
  }

  async consumeRefreshToken(idHash: string, consumedAt: number): Promise<boolean> {
    const rows = await this.rows('refresh_consume', `UPDATE "RefreshToken" SET "consumedAt" = ${at(1)} WHERE "idHash" = $2 AND "consumedAt" IS NULL RETURNING "idHash"`, [consumedAt, idHash]);
    return rows.length > 0;
  }

  async deleteRefreshToken(idHash: string): Promise<void> {
    await this.rows('refresh_delete', 'DELETE FROM "RefreshToken" WHERE "idHash" = $1', [idHash]);
  }

  async deleteRefreshTokensOfGrant(grantId: string): Promise<void> {
    await this.rows('refresh_delete_grant', 'DELETE FROM "RefreshToken" WHERE "grantId" = $1', [grantId]);
  }

  // One statement, so one round trip and one transaction.
  async revokeGrant(grantId: string): Promise<void> {
    await this.rows('grant_revoke',
      `WITH refresh AS (DELETE FROM "RefreshToken" WHERE "grantId" = $1), bound AS (DELETE FROM "OidcPayload" WHERE "grantId" = $1)
       DELETE FROM "Grant" WHERE "id" = $1`, [grantId]);
  }

  async upsertPayload(row: PayloadRecord, now: number): Promise<void> {
    await this.rows('payload_upsert',
      `INSERT INTO "OidcPayload" ("model", "idHash", "grantId", "clientId", "userCodeHash", "uidHash", "sealedId", "payload", "expiresAt", "createdAt")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${at(9)}, ${at(10)})
       ON CONFLICT ("model", "idHash") DO UPDATE SET "grantId" = excluded."grantId", "clientId" = excluded."clientId",
         "userCodeHash" = excluded."userCodeHash", "uidHash" = excluded."uidHash", "sealedId" = excluded."sealedId",
         "payload" = excluded."payload", "expiresAt" = excluded."expiresAt"`,
      [row.model, row.idHash, row.grantId, row.clientId, row.userCodeHash, row.uidHash, row.sealedId, row.payload, row.expiresAt, now]);
  }

  async findPayload(model: string, idHash: string): Promise<StoredPayload | undefined> {
    return this.first('payload_find', `SELECT ${PAYLOAD_COLUMNS} FROM "OidcPayload" WHERE "model" = $1 AND "idHash" = $2`, [model, idHash]);
  }

  async findPayloadBy(model: string, column: SecondaryColumn, hash: string, liveAfter: number): Promise<(StoredPayload & { sealedId: string | null }) | undefined> {
    const where = column === 'userCodeHash' ? '"userCodeHash" = $2' : '"uidHash" = $2';
    return this.first(`payload_find_${column}`,
      `SELECT ${PAYLOAD_COLUMNS}, "sealedId" FROM "OidcPayload"
       WHERE "model" = $1 AND ${where} AND ("expiresAt" IS NULL OR "expiresAt" >= ${at(3)})
       ORDER BY "createdAt" DESC LIMIT 1`,
      [model, hash, liveAfter]);
  }

  async consumePayload(model: string, idHash: string, consumedAt: number): Promise<boolean> {
    const rows = await this.rows('payload_consume', `UPDATE "OidcPayload" SET "consumedAt" = ${at(1)} WHERE "model" = $2 AND "idHash" = $3 AND "consumedAt" IS NULL RETURNING "idHash"`, [consumedAt, model, idHash]);
    return rows.length > 0;
  }

  async deletePayload(model: string, idHash: string): Promise<void> {
    await this.rows('payload_delete', 'DELETE FROM "OidcPayload" WHERE "model" = $1 AND "idHash" = $2', [model, idHash]);
  }

  async deletePayloadsOfGrant(model: string, grantId: string): Promise<void> {
    await this.rows('payload_delete_grant', 'DELETE FROM "OidcPayload" WHERE "model" = $1 AND "grantId" = $2', [model, grantId]);
  }

  async listResources(): Promise<ResourceRecord[]> {
    return this.rows('resources', `SELECT ${RESOURCE_COLUMNS} FROM "ResourceServer" ORDER BY "createdAt", "identifier"`, []);
  }

  async findDevicePoll(idHash: string): Promise<DevicePollRecord | undefined> {
    return this.first('poll_find', `SELECT ${ms('lastPolledAt')}, "interval" FROM "DevicePoll" WHERE "idHash" = $1`, [idHash]);
  }

  async insertDevicePoll(idHash: string, polledAt: number, interval: number, expiresAt: number): Promise<void> {
    await this.rows('poll_insert',
      `INSERT INTO "DevicePoll" ("idHash", "lastPolledAt", "interval", "expiresAt") VALUES ($1, ${at(2)}, $3, ${at(4)})
       ON CONFLICT ("idHash") DO UPDATE SET "lastPolledAt" = excluded."lastPolledAt"`,
      [idHash, polledAt, interval, expiresAt]);
  }

  async updateDevicePoll(idHash: string, polledAt: number, interval: number): Promise<void> {
    await this.rows('poll_update', `UPDATE "DevicePoll" SET "lastPolledAt" = ${at(1)}, "interval" = $2 WHERE "idHash" = $3`, [polledAt, interval, idHash]);
  }

  async findUser(id: string): Promise<UserRecord | undefined> {
    return this.first('user', 'SELECT "id", "email", "emailVerified", "name" FROM "User" WHERE "id" = $1', [id]);
  }

  async addRateLimitPoints(key: string, points: number, expire: number | null, now: number, replace: boolean): Promise<RateLimitRecord> {
    // Comparisons with a NULL expire are NULL, so a counter without a window is simply added to.
    const update = replace
      ? '"points" = excluded."points", "expire" = excluded."expire"'
      : `"points" = CASE WHEN "RateLimit"."expire" <= ${at(4)} THEN excluded."points" ELSE "RateLimit"."points" + excluded."points" END,
         "expire" = CASE WHEN "RateLimit"."expire" <= ${at(4)} THEN excluded."expire" ELSE "RateLimit"."expire" END`;
    const row = await this.first<RateLimitRecord>(replace ? 'rate_limit_set' : 'rate_limit_add',
      `INSERT INTO "RateLimit" ("key", "points", "expire") VALUES ($1, $2, ${at(3)})
       ON CONFLICT ("key") DO UPDATE SET ${update} RETURNING "points", ${ms('expire')}`,
      replace ? [key, points, expire] : [key, points, expire, now]);
    if (!row) throw new Error('the rate-limit upsert returned no row');
    return row;
  }

  async findRateLimit(key: string, now: number): Promise<RateLimitRecord | undefined> {
    return this.first('rate_limit_find', `SELECT "points", ${ms('expire')} FROM "RateLimit" WHERE "key" = $1 AND ("expire" IS NULL OR "expire" > ${at(2)})`, [key, now]);
  }

  async deleteRateLimit(key: string): Promise<boolean> {
    return (await this.rows('rate_limit_delete', 'DELETE FROM "RateLimit" WHERE "key" = $1 RETURNING "key"', [key])).length > 0;
  }
}
