// A client certificate as a request presents it: from Gatehouse's own TLS connection, or from the
// header a TLS-terminating proxy sets. The header holds a URL-encoded PEM (nginx
// $ssl_client_escaped_cert, AWS ALB) or, as some proxies send it, base64 DER; anything else, and a
// certificate outside its validity period, is a problem to refuse with, never a crash.
import { X509Certificate } from 'node:crypto';
import { certificateThumbprint } from './certificate-thumbprint.js';

export type PresentedCertificate =
  | { usable: true; certificate: X509Certificate; thumbprint: string }
  | { usable: false; problem: string };

/** A PEM certificate is about 1 KB (RSA 4096 about 2 KB); larger headers are not certificates. */
const MAX_HEADER_LENGTH = 16 * 1024;
const PEM = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/;

const unusable = (problem: string): PresentedCertificate => ({ usable: false, problem });

function derOf(headerValue: string): Buffer | undefined {
  let text: string;
  try {
    text = decodeURIComponent(headerValue.replace(/\+/g, '%2B'));
  } catch {
    return undefined;
  }
  const pem = PEM.exec(text);
  const base64 = (pem ? pem[1] : text).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  return Buffer.from(base64, 'base64');
}

/** The validity window, checked here because neither the proxy nor Node's parser rejects it. */
export function checkValidity(certificate: X509Certificate, now: Date): PresentedCertificate {
  if (new Date(certificate.validFrom) > now) return unusable(`is not valid before ${new Date(certificate.validFrom).toISOString()}`);
  if (new Date(certificate.validTo) < now) return unusable(`expired at ${new Date(certificate.validTo).toISOString()}`);
  return { usable: true, certificate, thumbprint: certificateThumbprint(certificate) };
}

export function certificateFromHeader(headerValue: string, now = new Date()): PresentedCertificate {
  if (headerValue.length > MAX_HEADER_LENGTH) return unusable('header is too long to hold a certificate');
  const der = derOf(headerValue.trim());
  if (!der) return unusable('header does not hold a URL-encoded PEM certificate');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    return unusable('header does not hold a valid X.509 certificate');
  }
  return checkValidity(certificate, now);
}
