// Encrypts private signing keys (and other server-held secrets, such as TOTP secrets) before they
// are stored, with AES-256-GCM under a key derived from KEY_ENCRYPTION_SECRET, so a copy of the
// database alone cannot sign tokens or compute codes. The row's id (kid, account) is bound in as
// associated data, so an encrypted value cannot be swapped into another row unnoticed.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class KeyDecryptionError extends Error {
  override name = 'KeyDecryptionError';
}

function derive(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'gatehouse', 'signing-key-encryption', 32));
}

export function isEncrypted(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

export function encryptPrivateJwk(json: string, kid: string, secret: string): string {
  return encryptWithKeySecret(json, kid, secret);
}

/**
 * Encrypts any server-held secret (signing keys, TOTP secrets) under KEY_ENCRYPTION_SECRET;
 * `boundTo` names the row it belongs to, so it cannot be moved to another row unnoticed.
 */
export function encryptWithKeySecret(plaintext: string, boundTo: string, secret: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', derive(secret), iv);
  cipher.setAAD(Buffer.from(boundTo));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

export function decryptPrivateJwk(stored: string, kid: string, secret: string | undefined): string {
  if (isEncrypted(stored) && !secret) throw new KeyDecryptionError('the signing keys in the database are encrypted: set KEY_ENCRYPTION_SECRET');
  return decryptWithKeySecret(stored, kid, secret, `signing key ${kid}`);
}

/** Reverses encryptWithKeySecret; a value stored before encryption was turned on comes back as is. */
export function decryptWithKeySecret(stored: string, boundTo: string, secret: string | undefined, what: string): string {
  if (!isEncrypted(stored)) return stored;
  if (!secret) throw new KeyDecryptionError(`${what} in the database is encrypted: set KEY_ENCRYPTION_SECRET`);
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', derive(secret), raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new KeyDecryptionError(`KEY_ENCRYPTION_SECRET does not decrypt ${what}`);
  }
}
