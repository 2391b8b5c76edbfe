// The access token step of a check: verify the token (offline for JWTs, a lookup for opaque ones),
// then that it is for this API and bound to this sender.
import type { DpopProofs } from './dpop-proof.js';
import { looksLikeJwt, type JwtAccessTokens } from './jwt-access-tokens.js';
import type { OpaqueAccessTokens } from './opaque-access-tokens.js';
import type { OriginalRequest } from './original-request.js';
import type { PresentedCredentials } from './presented-credentials.js';
import type { VerifiedAccessToken } from './verified-access-token.js';
import { checkSenderBinding } from './sender-binding.js';
import { refuse } from './refusal.js';
import type { ClientCertificateSource } from '../mtls/certificate-source.js';

export class AccessTokenCheck {
  constructor(private readonly jwts: JwtAccessTokens, private readonly opaque: OpaqueAccessTokens, private readonly dpop: DpopProofs, private readonly certificates: ClientCertificateSource) {}

  async check(presented: PresentedCredentials, request: OriginalRequest, resource: string): Promise<VerifiedAccessToken> {
    const token = presented.accessToken;
    if (!token) {
      refuse({ status: 401, error: 'invalid_token', description: 'an access token is required (Authorization: Bearer or DPoP)', challenge: 'Bearer', reason: 'token_missing' });
    }
    const verified = looksLikeJwt(token.value) ? await this.jwts.verify(token.value) : await this.opaque.verify(token.value);
    if (!verified.audiences.includes(resource)) {
      refuse({ status: 403, error: 'insufficient_scope', description: 'the access token is for another API', challenge: 'Bearer', reason: 'token_other_api' });
    }
    await checkSenderBinding(verified, token, presented.dpopProof, request, this.dpop, this.certificates);
    return verified;
  }
}
