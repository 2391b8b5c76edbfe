// Encrypts secrets the server must be able to read back before they are stored (private signing
// keys, API keys' signing secrets, authenticator-app secrets), with AES-256-GCM under a key derived from KEY_ENCRYPTION_SECRET,
// so a copy of the database alone cannot sign tokens or requests. Each kind of secret has its own
// derived key, and the row's id is bound in as associated data, so an encrypted value cannot be
// swapped into another row unnoticed.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The HKDF info per kind of secret; the signing keys' one predates the others and stays as it was. */
export const ENCRYPTION_PURPOSES = {
  signingKey: 'signing-key-encryption',
  requestSigningSecret: 'api-key-signing-secret-encryption',
  totpSecret: 'totp-secret-encryption',
} as const;
export type EncryptionPurpose = keyof typeof ENCRYPTION_PURPOSES;

export class KeyDecryptionError extends Error {
  override name = 'KeyDecryptionError';
}

// Derived once per secret and purpose: a signed request opens its key's secret on every gateway
// check, and the derivation would otherwise run each time. A process holds one or two secrets.
const derivedKeys = new Map<string, Buffer>();

function derive(secret: string, purpose: EncryptionPurpose): Buffer {
  const id = `${purpose}\u0000${secret}`;
  let key = derivedKeys.get(id);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, 'gatehouse', ENCRYPTION_PURPOSES[purpose], 32));
    derivedKeys.set(id, key);
  }
  return key;
}

export function isEncrypted(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

export function encryptSecret(plaintext: string, boundTo: string, secret: string, purpose: EncryptionPurpose): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', derive(secret, purpose), iv);
  cipher.setAAD(Buffer.from(boundTo));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

/** A value stored before KEY_ENCRYPTION_SECRET was set is returned as it is. `what` names one such secret in errors. */
export function decryptSecret(stored: string, boundTo: string, secret: string | undefined, purpose: EncryptionPurpose, what: string): string {
  if (!isEncrypted(stored)) return stored;
  if (!secret) throw new KeyDecryptionError(`the ${what}s in the database are encrypted: set KEY_ENCRYPTION_SECRET`);
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', derive(secret, purpose), raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new KeyDecryptionError(`KEY_ENCRYPTION_SECRET does not decrypt ${what} ${boundTo}`);
  }
}

export function encryptPrivateJwk(json: string, kid: string, secret: string): string {
  return encryptSecret(json, kid, secret, 'signingKey');
}

export function decryptPrivateJwk(stored: string, kid: string, secret: string | undefined): string {
  return decryptSecret(stored, kid, secret, 'signingKey', 'signing key');
}
