// Client secrets are high-entropy random strings, so a fast SHA-256 protects them at rest as well
// as a slow hash would, without costing every token request an argon2 verification. With
// CLIENT_SECRET_PEPPER set, new hashes are HMAC-SHA-256 keyed with it, so the database alone is
// not even enough to test a guessed secret; plain SHA-256 hashes made before keep working.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256:';
const PEPPERED_PREFIX = 'hmac-sha256:';

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashClientSecret(secret: string, pepper?: string): string {
  if (pepper) return PEPPERED_PREFIX + createHmac('sha256', pepper).update(secret).digest('base64url');
  return PREFIX + createHash('sha256').update(secret).digest('base64url');
}

/** True for what hashClientSecret returns: such a value is stored as is, never hashed again. */
export function isHashedSecret(value: string): boolean {
  return value.startsWith(PREFIX) || value.startsWith(PEPPERED_PREFIX);
}

export function clientSecretMatches(storedHash: string | undefined | null, presented: string, pepper?: string): boolean {
  let actualHash: string;
  if (storedHash?.startsWith(PREFIX)) actualHash = hashClientSecret(presented);
  else if (storedHash?.startsWith(PEPPERED_PREFIX) && pepper) actualHash = hashClientSecret(presented, pepper);
  else return false;
  const expected = Buffer.from(storedHash);
  const actual = Buffer.from(actualHash);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
