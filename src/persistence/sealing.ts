// Token ids, codes and session ids are bearer secrets. Rows are found by a hash of the id, and
// their payloads are sealed under a key derived from the id, so a copy of the database yields
// neither a working credential nor (since payloads repeat the id as `jti`) a way to read one.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// A fixed, application-specific salt: the secrets are random ids, so a per-row salt adds nothing,
// while naming Gatehouse keeps these keys apart from any other HKDF use of the same values.
const HKDF_SALT = Buffer.from('Gatehouse sealed payload v1', 'utf8');

/** The lookup key for a secret id: SHA-256, base64url. */
export function hashId(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

const FIRST_BLOCK = Buffer.of(1);

/**
 * HKDF-SHA-256 (RFC 5869) of `secret` with HKDF_SALT and `context` as info, spelled out with two
 * HMACs: one output block is all a 32-byte key needs, and hkdfSync's key-object set-up costs more
 * than the hashing itself on every token read and write. The output is hkdfSync's, byte for byte.
 * Derived per call and never cached: a cache keyed by secrets would itself be a store of secrets.
 */
export function deriveKey(secret: string, context: string): Buffer {
  const pseudoRandomKey = createHmac('sha256', HKDF_SALT).update(secret, 'utf8').digest();
  return createHmac('sha256', pseudoRandomKey).update(context, 'utf8').update(FIRST_BLOCK).digest().subarray(0, KEY_BYTES);
}

/** Encrypts `plaintext` under a key derived from `secret` and `context`; base64url of iv|tag|ciphertext. */
export function seal(secret: string, context: string, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, deriveKey(secret, context), iv, { authTagLength: TAG_BYTES });
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

/** Reverses `seal`; throws when the secret or context is wrong or the value was altered. */
export function unseal(secret: string, context: string, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value is too short');
  const decipher = createDecipheriv(CIPHER, deriveKey(secret, context), raw.subarray(0, IV_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}
