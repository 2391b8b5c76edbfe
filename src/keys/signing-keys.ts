// Signing keys live in the database so every restart (and every instance) serves the same JWKS.
// The newest key per algorithm signs; retired keys stay published for verification until the
// tokens they signed have expired, marked verify-only so oidc-provider never signs with them.
// A running server keeps signing with the keys it loaded, so a retired key's clock starts when a
// server first loads the key set without it, not when the operator retired it.
import type { JWK } from 'jose';
import type { Database } from '../persistence/prisma-client.js';
import { generateSigningKey, SIGNING_ALGORITHMS } from './generate-key.js';
import { exclusively, type Transaction } from '../persistence/exclusive.js';

export type PrivateJwks = { keys: JWK[] };

export interface StoredKey {
  kid: string;
  alg: string;
  createdAt: Date;
  retiredAt: Date | null;
  expiresAt: Date | null;
}

async function generateKeySet() {
  return Promise.all(SIGNING_ALGORITHMS.map((alg) => generateSigningKey(alg)));
}

async function storeKeySet(db: Database | Transaction, keys: Awaited<ReturnType<typeof generateKeySet>>): Promise<void> {
  await db.signingKey.createMany({
    data: keys.map((jwk) => ({ kid: jwk.kid, alg: String(jwk.alg), privateJwk: JSON.stringify(jwk) })),
  });
}

async function liveKeys(db: Database | Transaction, now: Date) {
  return db.signingKey.findMany({
    where: { OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    orderBy: { createdAt: 'desc' },
  });
}

/** Clock skew allowance on top of the longest lifetime of a signed token. */
const RETIRED_KEY_MARGIN_SECONDS = 60;

/** How long a retired key must stay published: the longest-lived JWT it may have signed, plus margin. */
export function retiredKeyLifetime(ttl: { idToken: number; accessToken: number; clientCredentials: number }): number {
  return Math.max(ttl.idToken, ttl.accessToken, ttl.clientCredentials) + RETIRED_KEY_MARGIN_SECONDS;
}

/** Loads the JWKS the provider signs with, creating a key set on first start. */
export async function loadSigningKeys(db: Database, retiredKeepSeconds: number, now = new Date()): Promise<PrivateJwks> {
  await db.signingKey.updateMany({
    where: { retiredAt: { not: null }, expiresAt: null },
    data: { expiresAt: new Date(now.getTime() + retiredKeepSeconds * 1000) },
  });
  let rows = await liveKeys(db, now);
  if (!rows.some((row) => row.retiredAt === null)) {
    // Instances starting together on an empty database must agree on one key set: generate outside
    // the lock (RSA takes a while), store only if nobody stored one meanwhile.
    const candidate = await generateKeySet();
    rows = await exclusively(db, 'signing-keys', async (tx) => {
      if (!(await liveKeys(tx, now)).some((row) => row.retiredAt === null)) await storeKeySet(tx, candidate);
      return liveKeys(tx, now);
    });
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
 * Creates a new key per algorithm and retires the current ones. Their expiry is set by the next
 * server start, which is when signing with them stops (see loadSigningKeys).
 */
export async function rotateSigningKeys(db: Database, now = new Date()): Promise<StoredKey[]> {
  const keys = await generateKeySet();
  await exclusively(db, 'signing-keys', async (tx) => {
    await tx.signingKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: now } });
    await storeKeySet(tx, keys);
  });
  return listSigningKeys(db, now);
}

export async function listSigningKeys(db: Database, now = new Date()): Promise<StoredKey[]> {
  const rows = await liveKeys(db, now);
  return rows.map(({ kid, alg, createdAt, retiredAt, expiresAt }) => ({ kid, alg, createdAt, retiredAt, expiresAt }));
}
