// Random server secrets kept in the database, so every instance on it, and the same instance after a
// restart, derives the same values from them.
import { randomBytes } from 'node:crypto';
import type { Database } from '../persistence/prisma-client.js';
import { exclusively } from '../persistence/exclusive.js';

export async function loadServerSecret(db: Database, name: string): Promise<Buffer> {
  const existing = await db.serverSecret.findUnique({ where: { name } });
  if (existing) return Buffer.from(existing.value, 'base64url');
  // Concurrent first starts take turns, as for the cookie keys: an upsert alone raced on PostgreSQL
  // (both inserted, one failed on the primary key and the instance did not start).
  const row = await exclusively(db, name, async (tx) => {
    const stored = await tx.serverSecret.findUnique({ where: { name } });
    return stored ?? tx.serverSecret.create({ data: { name, value: randomBytes(32).toString('base64url') } });
  });
  return Buffer.from(row.value, 'base64url');
}
