// DPoP nonces (RFC 9449 §8) are derived from a server secret; keeping it in the database lets a
// nonce issued before a restart, or by another instance on the same database, still be accepted.
import { randomBytes } from 'node:crypto';
import type { Database } from '../persistence/prisma-client.js';

const NAME = 'dpop-nonce-secret';

export async function loadDpopNonceSecret(db: Database): Promise<Buffer> {
  const created = randomBytes(32).toString('base64url');
  // A concurrent first start may have written it meanwhile: keep whichever landed first.
  const row = await db.serverSecret.upsert({ where: { name: NAME }, create: { name: NAME, value: created }, update: {} });
  return Buffer.from(row.value, 'base64url');
}
