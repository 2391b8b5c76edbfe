// DPoP nonces (RFC 9449 §8) are derived from a server secret; keeping it in the database lets a
// nonce issued before a restart, or by another instance on the same database, still be accepted.
import type { Database } from '../persistence/prisma-client.js';
import { loadServerSecret } from './server-secret.js';

export async function loadDpopNonceSecret(db: Database): Promise<Buffer> {
  return loadServerSecret(db, 'dpop-nonce-secret');
}
