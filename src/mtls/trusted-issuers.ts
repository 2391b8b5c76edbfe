// Whether a tls_client_auth certificate comes from a CA the operator trusts (TLS_CLIENT_CA_FILE).
// A proxy forwards the client's own certificate only, without its chain, so the CA that issued it
// directly must be in the file (intermediates included); that CA is a trust anchor, as RFC 5280
// allows. The checks are OpenSSL's, through Node: issuer name and key identifiers, the signature,
// basicConstraints CA, the CA's validity, and, when the certificate limits its use, clientAuth.
import { X509Certificate } from 'node:crypto';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

export function splitPemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function within(certificate: X509Certificate, now: Date): boolean {
  return new Date(certificate.validFrom) <= now && now <= new Date(certificate.validTo);
}

export class TrustedIssuers {
  private readonly cas: X509Certificate[];

  constructor(pems: readonly string[]) {
    this.cas = pems.map((pem) => new X509Certificate(pem));
  }

  /** True when a trusted CA issued and signed this (already date-checked) certificate for client use. */
  issued(certificate: X509Certificate, now = new Date()): boolean {
    // keyUsage is Node's name for the extended key usage OIDs; undefined when the extension is absent.
    const usages = certificate.keyUsage as string[] | undefined;
    if (usages && !usages.includes(CLIENT_AUTH) && !usages.includes(ANY_EXTENDED_KEY_USAGE)) return false;
    return this.cas.some((ca) => ca.ca && within(ca, now) && certificate.checkIssued(ca) && certificate.verify(ca.publicKey));
  }
}
