// Signing keys live in the database so every restart (and every instance) serves the same JWKS.
// The newest key per algorithm signs; retired keys stay published for verification until the
// tokens they signed have expired, marked verify-only so oidc-provider never signs with them.
import type { JWK } from 'jose';
import type { Database } from '../persistence/prisma-client.js';
import { generateSigningKey, SIGNING_ALGORITHMS } from './generate-key.js';

export type PrivateJwks = { keys: JWK[] };

export interface StoredKey {
  kid: string;
  alg: string;
  createdAt: Date;
  retiredAt: Date | null;
  expiresAt: Date | null;
}

async function createKeySet(db: Database): Promise<void> {
  const keys = await Promise.all(SIGNING_ALGORITHMS.map((alg) => generateSigningKey(alg)));
  await db.signingKey.createMany({
    data: keys.map((jwk) => ({ kid: jwk.kid, alg: String(jwk.alg), privateJwk: JSON.stringify(jwk) })),
  });
}

async function liveKeys(db: Database, now: Date) {
  return db.signingKey.findMany({
    where: { OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    orderBy: { createdAt: 'desc' },
  });
}

/** Loads the JWKS the provider signs with, creating a key set on first start. */
export async function loadSigningKeys(db: Database, now = new Date()): Promise<PrivateJwks> {
  let rows = await liveKeys(db, now);
  if (!rows.some((row) => row.retiredAt === null)) {
    await createKeySet(db);
    rows = await liveKeys(db, now);
  }
  const active = rows.filter((row) => row.retiredAt === null);
  const retired = rows.filter((row) => row.retiredAt !== null);
  return {
    keys: [
      ...active.map((row) => JSON.parse(row.privateJwk) as JWK),
      ...retired.map((row) => ({ ...(JSON.parse(row.privateJwk) as JWK), key_ops: ['verify'] })),
    ],
  };
}

/**
 * Creates a new key per algorithm and retires the current ones. Retired keys leave the JWKS
 * after `keepForSeconds`, which must cover the longest lifetime of anything they signed.
 */
export async function rotateSigningKeys(db: Database, keepForSeconds: number, now = new Date()): Promise<StoredKey[]> {
  const expiresAt = new Date(now.getTime() + keepForSeconds * 1000);
  await db.signingKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: now, expiresAt } });
  await createKeySet(db);
  return listSigningKeys(db, now);
}

export async function listSigningKeys(db: Database, now = new Date()): Promise<StoredKey[]> {
  const rows = await liveKeys(db, now);
  return rows.map(({ kid, alg, createdAt, retiredAt, expiresAt }) => ({ kid, alg, createdAt, retiredAt, expiresAt }));
}
