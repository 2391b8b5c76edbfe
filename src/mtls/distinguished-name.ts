// Subject distinguished names, compared as RFC 8705 §2.1.2 asks: the registered value is an
// RFC 4514 string (last RDN first, "CN=svc,O=Example"), the certificate's subject comes from Node
// (OpenSSL's RFC 2253 escaping, first RDN first, one RDN per line). Both become the same list of
// RDNs, attribute types by canonical name and values compared ignoring case and extra spaces, as
// LDAP's caseIgnoreMatch does, so "cn=SVC, o=Example" names the same subject.
import type { X509Certificate } from 'node:crypto';

export class DistinguishedNameError extends Error {
  override name = 'DistinguishedNameError';
}

interface Attribute {
  type: string;
  value: string;
}

/** One RDN: its attributes sorted, since a multi-valued RDN is a set. */
type Rdn = Attribute[];

/** Names and OIDs that mean the same attribute, by the name compared. */
const TYPE_ALIASES: Record<string, string> = {
  '2.5.4.3': 'cn', commonname: 'cn',
  '2.5.4.10': 'o', organizationname: 'o',
  '2.5.4.11': 'ou', organizationalunitname: 'ou',
  '2.5.4.6': 'c', countryname: 'c',
  '2.5.4.7': 'l', localityname: 'l',
  '2.5.4.8': 'st', stateorprovincename: 'st',
  '2.5.4.9': 'street', streetaddress: 'street',
  '2.5.4.5': 'serialnumber',
  '0.9.2342.19200300.100.1.25': 'dc', domaincomponent: 'dc',
  '0.9.2342.19200300.100.1.1': 'uid', userid: 'uid',
  '1.2.840.113549.1.9.1': 'emailaddress', e: 'emailaddress', email: 'emailaddress',
};

const HEX_PAIR = /^[0-9a-fA-F]{2}$/;

function canonicalType(raw: string): string {
  const type = raw.trim().toLowerCase().replace(/^oid\./, '');
  if (!/^([a-z][a-z0-9-]*|\d+(\.\d+)+)$/.test(type)) throw new DistinguishedNameError(`"${raw.trim()}" is not an attribute type`);
  return TYPE_ALIASES[type] ?? type;
}

function canonicalValue(value: string): string {
  return value.replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * Splits `text` into RDNs at unescaped `rdnSeparator` characters and their attributes at unescaped
 * "+", undoing RFC 4514 escapes (a backslash before a special character, or two hex digits for a
 * byte of UTF-8).
 */
function parseRdns(text: string, rdnSeparator: ',' | '\n'): Rdn[] {
  const rdns: Rdn[] = [];
  let rdn: Attribute[] = [];
  let type: string | undefined;
  let bytes: number[] = [];
  const literal = (s: string) => bytes.push(...Buffer.from(s, 'utf8'));
  const endAttribute = () => {
    const value = Buffer.from(bytes).toString('utf8');
    if (type === undefined) {
      if (value.trim() === '' && rdn.length === 0) throw new DistinguishedNameError('an RDN is empty');
      throw new DistinguishedNameError(`"${value.trim()}" has no "=" (expected TYPE=value)`);
    }
    if (value.trim().startsWith('#')) throw new DistinguishedNameError('hex-encoded (#...) values are not supported; write the value as text');
    rdn.push({ type: canonicalType(type), value: canonicalValue(value) });
    type = undefined;
    bytes = [];
  };
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '\\') {
      const pair = text.slice(i + 1, i + 3);
      if (HEX_PAIR.test(pair)) {
        bytes.push(parseInt(pair, 16));
        i += 2;
      } else if (i + 1 < text.length) {
        literal(text[i + 1]);
        i += 1;
      } else {
        throw new DistinguishedNameError('the name ends with a lone "\\"');
      }
    } else if (ch === '=' && type === undefined) {
      type = Buffer.from(bytes).toString('utf8');
      bytes = [];
    } else if (ch === '+') {
      endAttribute();
    } else if (ch === rdnSeparator) {
      endAttribute();
      rdns.push(rdn.sort(compareAttributes));
      rdn = [];
    } else {
      literal(ch);
    }
  }
  endAttribute();
  rdns.push(rdn.sort(compareAttributes));
  return rdns;
}

function compareAttributes(a: Attribute, b: Attribute): number {
  return a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type);
}

const MAX_LENGTH = 1000;

/** An RFC 4514 string as RDNs in certificate order (first RDN first); throws DistinguishedNameError. */
export function parseDistinguishedName(dn: string): Rdn[] {
  if (dn.trim() === '') throw new DistinguishedNameError('the subject DN is empty');
  if (dn.length > MAX_LENGTH) throw new DistinguishedNameError(`the subject DN must be at most ${MAX_LENGTH} characters`);
  if (/[\u0000-\u001f\u007f]/.test(dn)) throw new DistinguishedNameError('the subject DN must not contain control characters');
  return parseRdns(dn, ',').reverse();
}

function certificateSubject(certificate: X509Certificate): Rdn[] | undefined {
  try {
    // Node writes multi-valued RDNs as "A=x + B=y"; the spaces around "+" go with the trimming.
    return parseRdns(certificate.subject, '\n');
  } catch {
    return undefined;
  }
}

function sameRdns(a: Rdn[], b: Rdn[]): boolean {
  return a.length === b.length && a.every((rdn, i) => rdn.length === b[i].length
    && rdn.every((attribute, j) => attribute.type === b[i][j].type && attribute.value === b[i][j].value));
}

export function subjectMatches(certificate: X509Certificate, registeredDn: string): boolean {
  const subject = certificateSubject(certificate);
  if (!subject) return false;
  let expected: Rdn[];
  try {
    expected = parseDistinguishedName(registeredDn);
  } catch {
    return false;
  }
  return sameRdns(subject, expected);
}
