// Content-Digest (RFC 9530): the sha-256 of a body, as a structured field dictionary such as
// `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`. Other algorithms may sit beside it;
// Gatehouse needs sha-256.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isInnerList, parseDictionary } from 'structured-headers';
import { signatureError } from './signature-error.js';

/** The sha-256 digest the header declares; refuses a header without a well-formed one. */
export function declaredSha256(header: string): Buffer {
  let members;
  try {
    members = parseDictionary(header);
  } catch {
    signatureError('digest_malformed', 'the Content-Digest header is not a valid structured field dictionary (RFC 9530)');
  }
  const member = members.get('sha-256');
  if (!member) signatureError('digest_missing', 'the Content-Digest header has no sha-256 value');
  if (isInnerList(member) || !(member[0] instanceof ArrayBuffer) || member[0].byteLength !== 32) {
    signatureError('digest_malformed', 'the Content-Digest sha-256 value must be a 32-byte byte sequence (:base64:)');
  }
  return Buffer.from(member[0]);
}

export function sha256Matches(declared: Buffer, body: Buffer): boolean {
  return timingSafeEqual(declared, createHash('sha256').update(body).digest());
}
