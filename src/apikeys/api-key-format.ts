// What an API key looks like, made for secret scanners (GitHub's, truffleHog's, gitleaks'):
//
//   gatehouse_<id: 12 base62>_<secret: 32 base62><checksum: 6 base62>
//
// The fixed prefix names the issuer; the secret is 32 characters from 62 (190 bits); the checksum
// is the CRC-32 of everything before it, in base62, so a scanner (or the gateway check, before any
// database lookup) can tell a real key from random text offline. The id is the public part: lists,
// logs, audit events and metrics name a key by it, never by the key.
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const API_KEY_PREFIX = 'gatehouse_';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 12;
const SECRET_LENGTH = 32;
const CHECKSUM_LENGTH = 6;

/** The whole key; what a scanner's rule matches. */
export const API_KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}([0-9A-Za-z]{${ID_LENGTH}})_[0-9A-Za-z]{${SECRET_LENGTH + CHECKSUM_LENGTH}}$`);

export const API_KEY_ID_PATTERN = new RegExp(`^[0-9A-Za-z]{${ID_LENGTH}}$`);

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 is the largest multiple of 62 below 256: rejecting above it keeps every character equally likely.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

function base62(value: number, width: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < width; i += 1) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** 62^6 exceeds 2^32, so six characters hold any CRC-32. */
function checksumOf(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH);
}

export interface NewApiKey {
  id: string;
  key: string;
}

export function generateApiKey(): NewApiKey {
  const id = randomBase62(ID_LENGTH);
  const body = `${API_KEY_PREFIX}${id}_${randomBase62(SECRET_LENGTH)}`;
  return { id, key: body + checksumOf(body) };
}

/** Has the shape and a correct checksum: worth a lookup. Never throws. */
export function looksLikeApiKey(presented: string): boolean {
  return apiKeyIdOf(presented) !== undefined;
}

/** The public id inside a well-formed key with a correct checksum; undefined for anything else. */
export function apiKeyIdOf(presented: string): string | undefined {
  const match = API_KEY_PATTERN.exec(presented);
  if (!match) return undefined;
  const body = presented.slice(0, -CHECKSUM_LENGTH);
  return checksumOf(body) === presented.slice(-CHECKSUM_LENGTH) ? match[1] : undefined;
}

/** What lists show of a key: the prefix, id and first secret characters, and its last four. */
export function keyEnds(key: string): { start: string; end: string } {
  return { start: key.slice(0, API_KEY_PREFIX.length + ID_LENGTH + 1 + 4), end: key.slice(-4) };
}
