// The secret an API key's signed requests (RFC 9421, hmac-sha256) are made with: 256 random bits,
// shown once as 64 hex digits, the HMAC key being the 32 bytes they spell. Unlike the key itself it
// cannot be stored as a hash, since the check must compute the same HMAC. So it is encrypted under
// KEY_ENCRYPTION_SECRET and bound to the key's id; without that secret it is stored as it is, and a
// copy of the database can sign requests (the start-up warning says so).
import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret } from '../keys/key-encryption.js';

const SECRET_BYTES = 32;

export function generateSigningSecret(): string {
  return randomBytes(SECRET_BYTES).toString('hex');
}

export class SigningSecrets {
  constructor(private readonly encryptionSecret: string | undefined) {}

  /** What the row stores for a key's new secret. */
  seal(keyId: string, signingSecret: string): string {
    return this.encryptionSecret ? encryptSecret(signingSecret, keyId, this.encryptionSecret, 'requestSigningSecret') : signingSecret;
  }

  /** The HMAC key; throws KeyDecryptionError when KEY_ENCRYPTION_SECRET is missing or wrong. */
  open(keyId: string, stored: string): Buffer {
    return Buffer.from(decryptSecret(stored, keyId, this.encryptionSecret, 'requestSigningSecret', 'API key signing secret'), 'hex');
  }
}
