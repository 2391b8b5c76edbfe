// Cookie signing keys are created once and kept in the database, so sessions survive restarts
// and are honoured by every instance sharing the database.
import { randomBytes } from 'node:crypto';
import type { Database } from '../persistence/prisma-client.js';
import { exclusively } from '../persistence/exclusive.js';

const NAME = 'cookie-keys';

export async function loadCookieKeys(db: Database): Promise<string[]> {
  const existing = await db.serverSecret.findUnique({ where: { name: NAME } });
  if (existing) return JSON.parse(existing.value) as string[];
  // Concurrent first starts take turns: the first stores its keys, the others read them.
  const row = await exclusively(db, 'cookie-keys', async (tx) => {
    const stored = await tx.serverSecret.findUnique({ where: { name: NAME } });
    return stored ?? tx.serverSecret.create({ data: { name: NAME, value: JSON.stringify([randomBytes(32).toString('base64url')]) } });
  });
  return JSON.parse(row.value) as string[];
}
