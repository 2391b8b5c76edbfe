// The certificate's SHA-256 thumbprint, base64url, as cnf.x5t#S256 carries it (RFC 8705 §3.1):
// over the DER bytes, the same computation oidc-provider uses when it binds a token.
import { createHash, type X509Certificate } from 'node:crypto';

export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}
