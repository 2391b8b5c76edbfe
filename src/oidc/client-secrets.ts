// Client secrets are high-entropy random strings, so a fast SHA-256 protects them at rest as well
// as a slow hash would, without costing every token request an argon2 verification.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256:';

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashClientSecret(secret: string): string {
  return PREFIX + createHash('sha256').update(secret).digest('base64url');
}

/** True for what hashClientSecret returns: such a value is stored as is, never hashed again. */
export function isHashedSecret(value: string): boolean {
  return value.startsWith(PREFIX);
}

export function clientSecretMatches(storedHash: string | undefined, presented: string): boolean {
  if (!storedHash?.startsWith(PREFIX)) return false;
  const expected = Buffer.from(storedHash);
  const actual = Buffer.from(hashClientSecret(presented));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
