// Recovery codes: ten single-use codes for when the authenticator is lost. Each carries 80 random
// bits, so a SHA-256 is enough to store it: unlike a password there is nothing to guess offline.
import { randomBytes } from 'node:crypto';
import { hashId } from '../persistence/sealing.js';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford-style base 32 without the letters people confuse (i, l, o, u). */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CHARACTERS = 16;

/** "xxxx-xxxx-xxxx-xxxx": 16 characters of 5 bits each. */
export function newRecoveryCode(): string {
  const bytes = randomBytes(CHARACTERS);
  const characters = [...bytes].map((byte) => ALPHABET[byte & 31]);
  return (characters.join('').match(/.{4}/g) ?? []).join('-');
}

/** Case, spaces and dashes do not matter when the code is typed back; the letters people confuse map to digits. */
export function normaliseRecoveryCode(input: string): string | undefined {
  const compact = input.toLowerCase().replace(/[\s-]+/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (compact.length !== CHARACTERS || [...compact].some((c) => !ALPHABET.includes(c))) return undefined;
  return (compact.match(/.{4}/g) ?? []).join('-');
}

export function hashRecoveryCode(normalised: string): string {
  return hashId(`recovery:${normalised}`);
}
