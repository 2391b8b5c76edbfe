// The hot-path statements on SQLite, prepared once on Prisma's own better-sqlite3 connection. Sharing
// it matters: a second connection would wait synchronously (blocking the event loop) for a write
// lock that Prisma, on this very event loop, could never release. DateTime columns hold epoch
// milliseconds, the format the Prisma adapter is configured with (driver-adapter.ts).
//
// Writes are group-committed: those queued in one turn of the event loop run in one transaction, and
// each caller's promise settles once it is committed. A commit costs more than the insert itself
// (WAL frames, locks), so under load this does several requests' writes for the price of one.
import type BetterSqlite3 from 'better-sqlite3';
import type {
  ClientLimitsRecord, DevicePollRecord, RateLimitRecord, GrantRecord, HotStore, PayloadRecord, RefreshTokenRecord, ResourceRecord, SecondaryColumn, StoredPayload, UserRecord,
} from './hot-store.js';

type Row = Record<string, unknown>;

interface QueuedWrite {
  statement: BetterSqlite3.Statement;
  params: unknown[];
  /** Statements with RETURNING hand back their row. */
  returning: boolean;
  resolve: (row: unknown) => void;
  reject: (error: unknown) => void;
}

/** What a write in a batch came to: its RETURNING row (or undefined), or its error. */
type Outcome = { row: unknown } | { error: unknown };

const PAYLOAD_COLUMNS = '"payload", "expiresAt", "consumedAt"';

export class SqliteHotStore implements HotStore {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private queued: QueuedWrite[] = [];
  /** Runs a batch in one transaction (a savepoint inside one Prisma has open), keeping per-write errors apart. */
  private readonly commitBatch: (batch: QueuedWrite[]) => Outcome[];

  constructor(private readonly database: BetterSqlite3.Database) {
    this.commitBatch = database.transaction((batch: QueuedWrite[]) => batch.map(({ statement, params, returning }): Outcome => {
      // Some errors (busy, I/O, full disk) roll the whole transaction back; what follows must not
      // then run outside it in autocommit, reported as failed but actually written.
      if (!database.inTransaction) return { error: new Error('the batch was rolled back by an earlier write error') };
      try {
        if (returning) return { row: statement.get(...params) };
        statement.run(...params);
        return { row: undefined };
      } catch (error) {
        return { error };
      }
    }));
  }

  // Prisma's adapter turns safe integers on for the connection; these columns fit in a double.
  private statement(sql: string): BetterSqlite3.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.database.prepare(sql);
      if (prepared.reader) prepared.safeIntegers(false);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  private get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }

  private queue(sql: string, params: unknown[], returning: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queued.push({ statement: this.statement(sql), params, returning, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => this.flush());
    });
  }

  private async run(sql: string, ...params: unknown[]): Promise<void> {
    await this.queue(sql, params, false);
  }

  private async returning<T>(sql: string, ...params: unknown[]): Promise<T> {
    return (await this.queue(sql, params, true)) as T;
  }

  private flush(): void {
    const batch = this.queued;
    this.queued = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.commitBatch(batch);
    } catch (error) {
      // The commit itself failed (e.g. another process held the lock past the busy timeout): nothing was written.
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i];
      if ('error' in outcome) write.reject(outcome.error);
      else write.resolve(outcome.row);
    });
  }

  async findClientMetadata(id: string): Promise<string | undefined> {
    return this.get<{ metadata: string }>('SELECT "metadata" FROM "Client" WHERE "id" = ?', id)?.metadata;
  }

  async findClientLimits(id: string): Promise<ClientLimitsRecord | undefined> {
    return this.get<ClientLimitsRecord>('SELECT "rateLimit", "dailyQuota" FROM "Client" WHERE "id" = ?', id);
  }

  async upsertGrant(row: GrantRecord, now: number): Promise<void> {
    await this.run(
      `INSERT INTO "Grant" ("id", "accountId", "clientId", "payload", "expiresAt", "createdAt") VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT ("id") DO UPDATE SET "accountId" = excluded."accountId", "clientId" = excluded."clientId",
         "payload" = excluded."payload", "expiresAt" = excluded."expiresAt"`,
      row.id, row.accountId, row.clientId, row.payload, row.expiresAt, now,
    );
  }

  async findGrant(id: string): Promise<StoredPayload | undefined> {
    return this.get<StoredPayload>('SELECT "payload", "expiresAt", NULL AS "consumedAt" FROM "Grant" WHERE "id" = ?', id);
  }

  async deleteGrant(id: string): Promise<void> {
    await this.run('DELETE FROM "Grant" WHERE "id" = ?', id);
  }

  async upsertRefreshToken(row: RefreshTokenRecord, now: number): Promise<void> {
    await this.run(
      `INSERT INTO "RefreshToken" ("idHash", "grantId", "accountId", "clientId", "payload", "expiresAt", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT ("idHash") DO UPDATE SET "grantId" = excluded."grantId", "accountId" = excluded."accountId",
         "clientId" = excluded."clientId", "payload" = excluded."payload", "expiresAt" = excluded."expiresAt"`,
      row.idHash, row.grantId, row.accountId, row.clientId, row.payload, row.expiresAt, now,
    );
  }

  async findRefreshToken(idHash: string): Promise<StoredPayload | undefined> {
    return this.get<StoredPayload>(`SELECT ${PAYLOAD_COLUMNS} FROM "RefreshToken" WHERE "idHash" = ?`, idHash);
  }

  async consumeRefreshToken(idHash: string, at: number): Promise<boolean> {
    const row = await this.returning('UPDATE "RefreshToken" SET "consumedAt" = ? WHERE "idHash" = ? AND "consumedAt" IS NULL RETURNING "idHash"', at, idHash);
    return row !== undefined;
  }

  async deleteRefreshToken(idHash: string): Promise<void> {
    await this.run('DELETE FROM "RefreshToken" WHERE "idHash" = ?', idHash);
  }

  async deleteRefreshTokensOfGrant(grantId: string): Promise<void> {
    await this.run('DELETE FROM "RefreshToken" WHERE "grantId" = ?', grantId);
  }

  // Queued in one turn, the three deletes share one transaction.
  async revokeGrant(grantId: string): Promise<void> {
    await Promise.all([
      this.run('DELETE FROM "RefreshToken" WHERE "grantId" = ?', grantId),
      this.run('DELETE FROM "OidcPayload" WHERE "grantId" = ?', grantId),
      this.run('DELETE FROM "Grant" WHERE "id" = ?', grantId),
    ]);
  }

  async upsertPayload(row: PayloadRecord, now: number): Promise<void> {
    await this.run(
      `INSERT INTO "OidcPayload" ("model", "idHash", "grantId", "clientId", "userCodeHash", "uidHash", "sealedId", "payload", "expiresAt", "createdAt")
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT ("model", "idHash") DO UPDATE SET "grantId" = excluded."grantId", "clientId" = excluded."clientId",
         "userCodeHash" = excluded."userCodeHash", "uidHash" = excluded."uidHash", "sealedId" = excluded."sealedId",
         "payload" = excluded."payload", "expiresAt" = excluded."expiresAt"`,
      row.model, row.idHash, row.grantId, row.clientId, row.userCodeHash, row.uidHash, row.sealedId, row.payload, row.expiresAt, now,
    );
  }

  async findPayload(model: string, idHash: string): Promise<StoredPayload | undefined> {
    return this.get<StoredPayload>(`SELECT ${PAYLOAD_COLUMNS} FROM "OidcPayload" WHERE "model" = ? AND "idHash" = ?`, model, idHash);
  }

  async findPayloadBy(model: string, column: SecondaryColumn, hash: string, liveAfter: number): Promise<(StoredPayload & { sealedId: string | null }) | undefined> {
    const where = column === 'userCodeHash' ? '"userCodeHash" = ?' : '"uidHash" = ?';
    return this.get(
      `SELECT ${PAYLOAD_COLUMNS}, "sealedId" FROM "OidcPayload"
       WHERE "model" = ? AND ${where} AND ("expiresAt" IS NULL OR "expiresAt" >= ?)
       ORDER BY "createdAt" DESC LIMIT 1`,
      model, hash, liveAfter,
    );
  }

  async consumePayload(model: string, idHash: string, at: number): Promise<boolean> {
    const row = await this.returning('UPDATE "OidcPayload" SET "consumedAt" = ? WHERE "model" = ? AND "idHash" = ? AND "consumedAt" IS NULL RETURNING "idHash"', at, model, idHash);
    return row !== undefined;
  }

  async deletePayload(model: string, idHash: string): Promise<void> {
    await this.run('DELETE FROM "OidcPayload" WHERE "model" = ? AND "idHash" = ?', model, idHash);
  }

  async deletePayloadsOfGrant(model: string, grantId: string): Promise<void> {
    await this.run('DELETE FROM "OidcPayload" WHERE "model" = ? AND "grantId" = ?', model, grantId);
  }

  async listResources(): Promise<ResourceRecord[]> {
    return this.statement(
      'SELECT "identifier", "scope", "accessTokenFormat", "accessTokenTtl", "jwtAlg", "createdAt" FROM "ResourceServer" ORDER BY "createdAt", "identifier"',
    ).all() as ResourceRecord[];
  }

  async findDevicePoll(idHash: string): Promise<DevicePollRecord | undefined> {
    return this.get<DevicePollRecord>('SELECT "lastPolledAt", "interval" FROM "DevicePoll" WHERE "idHash" = ?', idHash);
  }

  async insertDevicePoll(idHash: string, polledAt: number, interval: number, expiresAt: number): Promise<void> {
    await this.run(
      `INSERT INTO "DevicePoll" ("idHash", "lastPolledAt", "interval", "expiresAt") VALUES (?, ?, ?, ?)
       ON CONFLICT ("idHash") DO UPDATE SET "lastPolledAt" = excluded."lastPolledAt"`,
      idHash, polledAt, interval, expiresAt,
    );
  }

  async updateDevicePoll(idHash: string, polledAt: number, interval: number): Promise<void> {
    await this.run('UPDATE "DevicePoll" SET "lastPolledAt" = ?, "interval" = ? WHERE "idHash" = ?', polledAt, interval, idHash);
  }

  async findUser(id: string): Promise<UserRecord | undefined> {
    const row = this.get<Row>('SELECT "id", "email", "emailVerified", "name" FROM "User" WHERE "id" = ?', id);
    if (!row) return undefined;
    return { id: String(row.id), email: String(row.email), emailVerified: Boolean(row.emailVerified), name: row.name === null ? null : String(row.name) };
  }

  async addRateLimitPoints(key: string, points: number, expire: number | null, now: number, replace: boolean): Promise<RateLimitRecord> {
    // Comparisons with a NULL expire are NULL, so a counter without a window is simply added to.
    const update = replace
      ? '"points" = excluded."points", "expire" = excluded."expire"'
      : `"points" = CASE WHEN "RateLimit"."expire" <= @now THEN excluded."points" ELSE "RateLimit"."points" + excluded."points" END,
         "expire" = CASE WHEN "RateLimit"."expire" <= @now THEN excluded."expire" ELSE "RateLimit"."expire" END`;
    return this.returning<RateLimitRecord>(
      `INSERT INTO "RateLimit" ("key", "points", "expire") VALUES (@key, @points, @expire)
       ON CONFLICT ("key") DO UPDATE SET ${update} RETURNING "points", "expire"`,
      replace ? { key, points, expire } : { key, points, expire, now },
    );
  }

  async findRateLimit(key: string, now: number): Promise<RateLimitRecord | undefined> {
    return this.get<RateLimitRecord>('SELECT "points", "expire" FROM "RateLimit" WHERE "key" = ? AND ("expire" IS NULL OR "expire" > ?)', key, now);
  }

  async deleteRateLimit(key: string): Promise<boolean> {
    return (await this.returning<{ key: string } | undefined>('DELETE FROM "RateLimit" WHERE "key" = ? RETURNING "key"', key)) !== undefined;
  }
}
