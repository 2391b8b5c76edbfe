// Cookie signing keys are created once and kept in the database, so sessions survive restarts
// and are honoured by every instance sharing the database.
import { randomBytes } from 'node:crypto';
import type { Database } from '../persistence/prisma-client.js';

const NAME = 'cookie-keys';

export async function loadCookieKeys(db: Database): Promise<string[]> {
  const existing = await db.serverSecret.findUnique({ where: { name: NAME } });
  if (existing) return JSON.parse(existing.value) as string[];
  const created = JSON.stringify([randomBytes(32).toString('base64url')]);
  // A concurrent first start may have written it meanwhile: keep whichever landed first.
  const row = await db.serverSecret.upsert({ where: { name: NAME }, create: { name: NAME, value: created }, update: {} });
  return JSON.parse(row.value) as string[];
}
