// At start: API keys' signing secrets stored without KEY_ENCRYPTION_SECRET are readable by anyone
// holding a copy of the database, and with them any request can be signed. Say so every start.
import type { Database } from '../persistence/prisma-client.js';
import { isEncrypted } from '../keys/key-encryption.js';

export async function plainSigningSecretsWarning(db: Database, keyEncryptionSecret: string | undefined): Promise<string | undefined> {
  const stored = await db.apiKey.findMany({ where: { signingSecret: { not: null } }, select: { signingSecret: true } });
  const plain = stored.filter((row) => row.signingSecret !== null && !isEncrypted(row.signingSecret)).length;
  if (plain === 0) return undefined;
  const cause = keyEncryptionSecret
    ? 'were stored before KEY_ENCRYPTION_SECRET was set and are not encrypted (rotate those keys)'
    : 'are stored unencrypted because KEY_ENCRYPTION_SECRET is not set';
  return `${plain} API key signing secret(s) ${cause}: a copy of the database can sign requests as those keys`;
}
