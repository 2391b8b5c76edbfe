// The adapter's busiest statements (saving and reading a token on nearly every request) as raw SQL:
// Prisma's model layer costs several times a raw statement here. `INSERT ... ON CONFLICT DO UPDATE`
// is the same on SQLite and PostgreSQL, and dates go through the driver adapter as Prisma writes them.
import type { Database } from './prisma-client.js';

export interface StoredRow {
  payload: string;
  expiresAt: Date | null;
  consumedAt: Date | null;
}

export interface PayloadRow {
  model: string;
  idHash: string;
  grantId: string | null;
  userCodeHash: string | null;
  uidHash: string | null;
  sealedId: string | null;
  payload: string;
  expiresAt: Date | null;
}

export interface RefreshTokenRow {
  idHash: string;
  grantId: string | null;
  accountId: string | null;
  clientId: string | null;
  payload: string;
  expiresAt: Date | null;
}

// consumedAt and createdAt are left alone on conflict: a re-save must never make a used token usable again.
export async function upsertPayload(db: Database, row: PayloadRow): Promise<void> {
  await db.$executeRaw`INSERT INTO "OidcPayload" ("model", "idHash", "grantId", "userCodeHash", "uidHash", "sealedId", "payload", "expiresAt", "createdAt")
    VALUES (${row.model}, ${row.idHash}, ${row.grantId}, ${row.userCodeHash}, ${row.uidHash}, ${row.sealedId}, ${row.payload}, ${row.expiresAt}, ${new Date()})
    ON CONFLICT ("model", "idHash") DO UPDATE SET "grantId" = excluded."grantId", "userCodeHash" = excluded."userCodeHash",
      "uidHash" = excluded."uidHash", "sealedId" = excluded."sealedId", "payload" = excluded."payload", "expiresAt" = excluded."expiresAt"`;
}

export async function findPayload(db: Database, model: string, idHash: string): Promise<StoredRow | undefined> {
  const rows = await db.$queryRaw<StoredRow[]>`SELECT "payload", "expiresAt", "consumedAt" FROM "OidcPayload" WHERE "model" = ${model} AND "idHash" = ${idHash}`;
  return rows[0];
}

export async function upsertRefreshToken(db: Database, row: RefreshTokenRow): Promise<void> {
  await db.$executeRaw`INSERT INTO "RefreshToken" ("idHash", "grantId", "accountId", "clientId", "payload", "expiresAt", "createdAt")
    VALUES (${row.idHash}, ${row.grantId}, ${row.accountId}, ${row.clientId}, ${row.payload}, ${row.expiresAt}, ${new Date()})
    ON CONFLICT ("idHash") DO UPDATE SET "grantId" = excluded."grantId", "accountId" = excluded."accountId",
      "clientId" = excluded."clientId", "payload" = excluded."payload", "expiresAt" = excluded."expiresAt"`;
}

export async function findRefreshToken(db: Database, idHash: string): Promise<StoredRow | undefined> {
  const rows = await db.$queryRaw<StoredRow[]>`SELECT "payload", "expiresAt", "consumedAt" FROM "RefreshToken" WHERE "idHash" = ${idHash}`;
  return rows[0];
}

export async function consumePayload(db: Database, model: string, idHash: string): Promise<void> {
  await db.$executeRaw`UPDATE "OidcPayload" SET "consumedAt" = ${new Date()} WHERE "model" = ${model} AND "idHash" = ${idHash}`;
}

export async function consumeRefreshToken(db: Database, idHash: string): Promise<void> {
  await db.$executeRaw`UPDATE "RefreshToken" SET "consumedAt" = ${new Date()} WHERE "idHash" = ${idHash}`;
}

export async function findGrant(db: Database, id: string): Promise<Omit<StoredRow, 'consumedAt'> | undefined> {
  const rows = await db.$queryRaw<Omit<StoredRow, 'consumedAt'>[]>`SELECT "payload", "expiresAt" FROM "Grant" WHERE "id" = ${id}`;
  return rows[0];
}
