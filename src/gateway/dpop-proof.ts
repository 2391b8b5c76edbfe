// DPoP proofs (RFC 9449 §4.3) at the check, for the original request: a proof signed by the key
// the token is bound to, for the original method and URL, over this very token (ath), carrying a
// current server nonce, and never seen before. It follows oidc-provider's own validation (same
// algorithms, same nonces from the same secret, same replay store) so a client treats the token
// endpoint and the APIs alike.
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import ServerChallenge, { CHALLENGE_OK_WINDOW } from 'oidc-provider/lib/helpers/challenge.js';
import { refuse } from './refusal.js';

/** oidc-provider's ReplayDetection model: true the first time it sees (issuer, jti). */
interface ReplayDetection {
  unique(issuer: string, jti: string, expiresAt: number): Promise<boolean>;
}

export interface DpopSettings {
  nonceSecret: Buffer;
  requireNonce: boolean;
  algorithms: string[];
}

export interface ProofRequest {
  proof: string;
  method: string;
  url: URL;
  accessToken: string;
  /** The token's client: replays are tracked per client, as oidc-provider does. */
  clientId: string;
}

function invalidProof(description: string, nonce: string): never {
  refuse({ status: 401, error: 'invalid_dpop_proof', description, challenge: 'DPoP', dpopNonce: nonce, reason: 'dpop_invalid' });
}

/** The URL a proof's htu must name: no query, no fragment (RFC 9449 §4.3 item 9). */
function targetOf(url: URL | string): string | undefined {
  const parsed = URL.parse(String(url));
  if (!parsed) return undefined;
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

export class DpopProofs {
  private readonly nonces: ServerChallenge;

  constructor(private readonly provider: Provider, private readonly settings: DpopSettings) {
    this.nonces = new ServerChallenge(settings.nonceSecret, 'DPoP');
  }

  /** Checks the proof and returns the thumbprint of the key that signed it. */
  async verify(request: ProofRequest): Promise<string> {
    const nonce = this.nonces.nextChallenge();
    let payload: JWTPayload;
    let jwk: JWK | undefined;
    try {
      ({ payload, protectedHeader: { jwk } } = await jwtVerify(request.proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: this.settings.algorithms }));
    } catch {
      invalidProof('the DPoP proof is not a valid signed proof', nonce);
    }
    // EmbeddedJWK verified the signature with this very key, so it is there.
    if (!jwk) invalidProof('the DPoP proof carries no key', nonce);
    if (typeof payload.iat !== 'number' || typeof payload.jti !== 'string' || !payload.jti) invalidProof('the DPoP proof lacks iat or jti', nonce);
    if (payload.htm !== request.method) invalidProof('the DPoP proof is for another method', nonce);
    if (typeof payload.htu !== 'string' || targetOf(payload.htu) !== targetOf(request.url)) invalidProof('the DPoP proof is for another URL', nonce);
    if (payload.ath !== createHash('sha256').update(request.accessToken).digest('base64url')) invalidProof('the DPoP proof is not for this access token', nonce);

    if (payload.nonce === undefined) {
      const useNonce = (description: string) => refuse({ status: 401, error: 'use_dpop_nonce', description, challenge: 'DPoP', dpopNonce: nonce, reason: 'dpop_nonce' });
      if (this.settings.requireNonce) useNonce('a DPoP nonce is required in the proof');
      if (Math.abs(Date.now() / 1000 - payload.iat) > CHALLENGE_OK_WINDOW) useNonce('the DPoP proof is not recent enough; use a DPoP nonce');
    } else if (typeof payload.nonce !== 'string' || !this.nonces.checkChallenge(payload.nonce)) {
      refuse({ status: 401, error: 'use_dpop_nonce', description: 'the DPoP nonce is not current', challenge: 'DPoP', dpopNonce: nonce, reason: 'dpop_nonce' });
    }

    const replay = (this.provider as unknown as { ReplayDetection: ReplayDetection }).ReplayDetection;
    if (!(await replay.unique(request.clientId, payload.jti, Math.floor(Date.now() / 1000) + CHALLENGE_OK_WINDOW))) {
      invalidProof('the DPoP proof was already used', nonce);
    }
    return calculateJwkThumbprint(jwk);
  }
}
