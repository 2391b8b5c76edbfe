// Subject alternative names of a certificate, for tls_client_auth clients registered by SAN
// (RFC 8705 §2.1.2). Node lists them as "DNS:a.example, URI:spiffe://x, IP Address:10.0.0.1,
// email:a@example", quoting (as JSON strings) any value holding a comma, quote or other
// special character, so the list splits unambiguously.
import type { X509Certificate } from 'node:crypto';
import { isIP, SocketAddress } from 'node:net';

/** The registrable SAN kinds, by their client metadata suffix (tls_client_auth_san_<kind>). */
export const SAN_KINDS = ['dns', 'uri', 'ip', 'email'] as const;
export type SanKind = (typeof SAN_KINDS)[number];

const NODE_LABELS: Record<string, SanKind> = { DNS: 'dns', URI: 'uri', 'IP Address': 'ip', email: 'email' };

const ENTRY = /\s*([A-Za-z][A-Za-z ]*):("(?:[^"\\]|\\.)*"|[^,]*)(?:,|$)/y;

function sansOf(certificate: X509Certificate): { kind: SanKind; value: string }[] {
  const text = certificate.subjectAltName;
  if (!text) return [];
  const names: { kind: SanKind; value: string }[] = [];
  ENTRY.lastIndex = 0;
  while (ENTRY.lastIndex < text.length) {
    const match = ENTRY.exec(text);
    if (!match) break;
    const kind = NODE_LABELS[match[1]];
    let value = match[2];
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        continue;
      }
    }
    if (kind) names.push({ kind, value });
  }
  return names;
}

/** An IP address in one spelling, so "::0001" and "::1" are the same address. */
function canonicalIp(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return undefined;
  return new SocketAddress({ address, family: family === 6 ? 'ipv6' : 'ipv4' }).address;
}

function sameName(kind: SanKind, actual: string, expected: string): boolean {
  switch (kind) {
    case 'dns':
    case 'email':
      return actual.toLowerCase() === expected.toLowerCase();
    case 'uri':
      return actual === expected;
    case 'ip': {
      const canonical = canonicalIp(actual);
      return canonical !== undefined && canonical === canonicalIp(expected);
    }
  }
}

export function hasSubjectAltName(certificate: X509Certificate, kind: SanKind, expected: string): boolean {
  return sansOf(certificate).some((name) => name.kind === kind && sameName(kind, name.value, expected));
}

/** Why a value cannot be registered as a SAN of this kind, or undefined when it can. */
export function sanProblem(kind: SanKind, value: string): string | undefined {
  if (value.length === 0 || value.length > 1000 || /[\s\u0000-\u001f\u007f]/.test(value)) return 'must be non-empty, without spaces or control characters';
  switch (kind) {
    case 'dns':
      return /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(value) ? undefined : 'is not a DNS name';
    case 'uri':
      return URL.parse(value) ? undefined : 'is not an absolute URI';
    case 'ip':
      return canonicalIp(value) ? undefined : 'is not an IPv4 or IPv6 address';
    case 'email':
      return /^[^@]+@[^@]+$/.test(value) ? undefined : 'is not an email address';
  }
}
