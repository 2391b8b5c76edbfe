// Signing keys live in the database so every restart (and every instance) serves the same JWKS.
// The newest key per algorithm signs; retired keys stay published for verification until the
// tokens they signed have expired, marked verify-only so oidc-provider never signs with them.
// A running server keeps signing with the keys it loaded, so a retired key's clock starts when a
// server first loads the key set without it, not when the operator retired it.
// With KEY_ENCRYPTION_SECRET set, private keys are stored encrypted (plain ones are encrypted on load).
import type { JWK } from 'jose';
import type { Database } from '../persistence/prisma-client.js';
import { generateSigningKey, SIGNING_ALGORITHMS } from './generate-key.js';
import { decryptPrivateJwk, encryptPrivateJwk, isEncrypted } from './key-encryption.js';
import { exclusively, type Transaction } from '../persistence/exclusive.js';

export type PrivateJwks = { keys: JWK[] };

export interface StoredKey {
  kid: string;
  alg: string;
  createdAt: Date;
  retiredAt: Date | null;
  expiresAt: Date | null;
}

function sealJwk(json: string, kid: string, secret: string | undefined): string {
  return secret ? encryptPrivateJwk(json, kid, secret) : json;
}

async function generateKeySet() {
  return Promise.all(SIGNING_ALGORITHMS.map((alg) => generateSigningKey(alg)));
}

async function storeKeySet(db: Database | Transaction, keys: Awaited<ReturnType<typeof generateKeySet>>, secret: string | undefined): Promise<void> {
  await db.signingKey.createMany({
    data: keys.map((jwk) => ({ kid: String(jwk.kid), alg: String(jwk.alg), privateJwk: sealJwk(JSON.stringify(jwk), String(jwk.kid), secret) })),
  });
}

/** Encrypts any key still stored in clear, once a secret is configured. */
async function encryptPlainKeys(db: Database, secret: string): Promise<void> {
  const rows = await db.signingKey.findMany({ select: { kid: true, privateJwk: true } });
  for (const row of rows.filter((r) => !isEncrypted(r.privateJwk))) {
    await db.signingKey.updateMany({
      where: { kid: row.kid, privateJwk: row.privateJwk },
      data: { privateJwk: encryptPrivateJwk(row.privateJwk, row.kid, secret) },
    });
  }
}

async function liveKeys(db: Database | Transaction, now: Date) {
  return db.signingKey.findMany({
    where: { OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    orderBy: { createdAt: 'desc' },
  });
}

/** Clock skew allowance on top of the longest lifetime of a signed token. */
const RETIRED_KEY_MARGIN_SECONDS = 60;

/**
 * How long a retired key must stay published: the longest-lived JWT it may have signed, plus margin.
 * `longestResourceTtl` covers APIs whose JWT access tokens have a lifetime of their own.
 */
export function retiredKeyLifetime(ttl: { idToken: number; accessToken: number; clientCredentials: number }, longestResourceTtl = 0): number {
  return Math.max(ttl.idToken, ttl.accessToken, ttl.clientCredentials, longestResourceTtl) + RETIRED_KEY_MARGIN_SECONDS;
}

/** Loads the JWKS the provider signs with, creating a key set on first start. */
export async function loadSigningKeys(
  db: Database,
  retiredKeepSeconds: number,
  now = new Date(),
  encryptionSecret?: string,
): Promise<PrivateJwks> {
  if (encryptionSecret) await encryptPlainKeys(db, encryptionSecret);
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
      if (!(await liveKeys(tx, now)).some((row) => row.retiredAt === null)) await storeKeySet(tx, candidate, encryptionSecret);
      return liveKeys(tx, now);
    });
  }
  const open = (row: { kid: string; privateJwk: string }) => JSON.parse(decryptPrivateJwk(row.privateJwk, row.kid, encryptionSecret)) as JWK;
  const active = rows.filter((row) => row.retiredAt === null);
  const retired = rows.filter((row) => row.retiredAt !== null);
  return {
    keys: [
      ...active.map(open),
      ...retired.map((row) => ({ ...open(row), key_ops: ['verify'] })),
    ],
  };
}

/**
 * Creates a new key per algorithm and retires the current ones. Their expiry is set by the next
 * server start, which is when signing with them stops (see loadSigningKeys).
 */
export async function rotateSigningKeys(db: Database, now = new Date(), encryptionSecret?: string): Promise<StoredKey[]> {
  const keys = await generateKeySet();
  await exclusively(db, 'signing-keys', async (tx) => {
    await tx.signingKey.updateMany({ where: { retiredAt: null }, data: { retiredAt: now } });
    await storeKeySet(tx, keys, encryptionSecret);
  });
  return listSigningKeys(db, now);
}

export async function listSigningKeys(db: Database, now = new Date()): Promise<StoredKey[]> {
  const rows = await liveKeys(db, now);
  return rows.map(({ kid, alg, createdAt, retiredAt, expiresAt }) => ({ kid, alg, createdAt, retiredAt, expiresAt }));
}
