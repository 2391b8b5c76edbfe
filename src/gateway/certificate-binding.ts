// RFC 8705 §3: a certificate-bound access token works only with the certificate it is bound to.
// At the gateway check that certificate is the one the gateway forwards from the caller's TLS
// connection, in the same header (MTLS_CERTIFICATE_HEADER, trusted with TRUST_PROXY=true) that
// Gatehouse's own proxy uses: no header, a different certificate, or an unusable one is refused.
import type { ClientCertificateSource } from '../mtls/certificate-source.js';
import type { OriginalRequest } from './original-request.js';
import { refuse } from './refusal.js';

export function checkCertificateBinding(thumbprint: string, request: OriginalRequest, certificates: ClientCertificateSource): void {
  const presented = certificates.fromHeaders(request.headers);
  if (!presented) {
    refuse({ status: 401, error: 'invalid_token', description: 'the access token is bound to a client certificate, and the gateway forwarded none', challenge: 'Bearer', reason: 'certificate_missing' });
  }
  if (!presented.usable) {
    refuse({ status: 401, error: 'invalid_token', description: `the client certificate ${presented.problem}`, challenge: 'Bearer', reason: 'certificate_invalid' });
  }
  if (presented.thumbprint !== thumbprint) {
    refuse({ status: 401, error: 'invalid_token', description: 'the access token is bound to another client certificate', challenge: 'Bearer', reason: 'certificate_mismatch' });
  }
}
