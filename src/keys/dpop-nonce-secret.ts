// DPoP nonces (RFC 9449 §8) are derived from a server secret; keeping it in the database lets a
// nonce issued before a restart, or by another instance on the same database, still be accepted.
import { randomBytes } from 'node:crypto';
import type { Database } from '../persistence/prisma-client.js';
import { exclusively } from '../persistence/exclusive.js';

const NAME = 'dpop-nonce-secret';

export async function loadDpopNonceSecret(db: Database): Promise<Buffer> {
  const existing = await db.serverSecret.findUnique({ where: { name: NAME } });
  if (existing) return Buffer.from(existing.value, 'base64url');
  // Concurrent first starts take turns, as for the cookie keys: an upsert alone raced on PostgreSQL
  // (both inserted, one failed on the primary key and the instance did not start).
  const row = await exclusively(db, 'dpop-nonce-secret', async (tx) => {
    const stored = await tx.serverSecret.findUnique({ where: { name: NAME } });
    return stored ?? tx.serverSecret.create({ data: { name: NAME, value: randomBytes(32).toString('base64url') } });
  });
  return Buffer.from(row.value, 'base64url');
}
