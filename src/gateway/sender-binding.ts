// A sender-constrained token works only for the sender it is bound to. DPoP (RFC 9449): the proof's
// key must be the token's cnf.jkt, and a bound token sent as plain Bearer is refused (§7.1), as is
// a DPoP-scheme request with an unbound token. Certificate-bound tokens (RFC 8705): the certificate
// the gateway forwards must be the token's cnf.x5t#S256.
import type { DpopProofs } from './dpop-proof.js';
import type { OriginalRequest } from './original-request.js';
import type { PresentedCredentials } from './presented-credentials.js';
import type { VerifiedAccessToken } from './verified-access-token.js';
import { refuse } from './refusal.js';
import type { ClientCertificateSource } from '../mtls/certificate-source.js';
import { checkCertificateBinding } from './certificate-binding.js';

type PresentedToken = NonNullable<PresentedCredentials['accessToken']>;

export async function checkSenderBinding(
  token: VerifiedAccessToken,
  presented: PresentedToken,
  proof: string | undefined,
  request: OriginalRequest,
  dpop: DpopProofs,
  certificates: ClientCertificateSource,
): Promise<void> {
  if (token.certificateThumbprint) checkCertificateBinding(token.certificateThumbprint, request, certificates);
  if (!token.jkt) {
    if (presented.scheme === 'DPoP') {
      refuse({ status: 401, error: 'invalid_token', description: 'the access token is not DPoP-bound; send it as Bearer', challenge: 'Bearer', reason: 'not_dpop_bound' });
    }
    return;
  }
  if (presented.scheme !== 'DPoP') {
    refuse({ status: 401, error: 'invalid_token', description: 'the access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof', challenge: 'DPoP', reason: 'dpop_as_bearer' });
  }
  if (!proof) {
    refuse({ status: 401, error: 'invalid_dpop_proof', description: 'a DPoP proof is required with this access token', challenge: 'DPoP', reason: 'dpop_missing' });
  }
  const thumbprint = await dpop.verify({ proof, method: request.method, url: request.url, accessToken: presented.value, clientId: token.clientId });
  if (thumbprint !== token.jkt) {
    refuse({ status: 401, error: 'invalid_dpop_proof', description: 'the DPoP proof is signed by another key than the token is bound to', challenge: 'DPoP', reason: 'dpop_key_mismatch' });
  }
}
