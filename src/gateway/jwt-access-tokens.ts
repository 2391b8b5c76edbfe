// JWT access tokens (RFC 9068) checked against Gatehouse's own public signing keys: signature,
// `typ` at+jwt, issuer and expiry offline, then whether it was revoked since (answered from
// memory at most half a second old, see jwt-liveness.ts). The audience is compared with the API by
// the caller, to answer 403 not 401.
import { createHash } from 'node:crypto';
import { createLocalJWKSet, errors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { PrivateJwks } from '../keys/signing-keys.js';
import { GRANT_ID_CLAIM } from '../jwt-revocation/grant-id-claim.js';
import type { JwtDeath, JwtLiveness } from './jwt-liveness.js';
import { audienceList, scopeList, type VerifiedAccessToken } from './verified-access-token.js';
import { refuse } from './refusal.js';

/** Members of a private JWK that must never leave it; what remains is the public key. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function publicJwk(key: JWK): JWK {
  const copy: Record<string, unknown> = { ...key };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return copy as JWK;
}

function invalidToken(description: string, reason: string): never {
  refuse({ status: 401, error: 'invalid_token', description, challenge: 'Bearer', reason });
}

export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

export type AccessTokenPayload = JWTPayload & { exp: number; client_id: string };

const DEATHS: Record<JwtDeath, string> = {
  revoked: 'the access token has been revoked',
  client_gone: 'the access token was issued to a client that no longer exists',
  grant_gone: 'the authorization the access token was issued under has been revoked',
};

/** Tokens whose signature is known good, so a client calling again with one is not verified anew. */
const VERIFIED_MAX_ENTRIES = 10_000;

export class JwtAccessTokens {
  private readonly keys: ReturnType<typeof createLocalJWKSet>;
  /**
   * By a SHA-256 of the token, so memory holds no token. A signature stays good (the keys are fixed
   * for the process's life); only expiry and revocation change, and both are checked on every call.
   */
  private readonly verified = new Map<string, AccessTokenPayload>();

  constructor(jwks: PrivateJwks, private readonly issuer: string, private readonly algorithms: string[], private readonly liveness: Pick<JwtLiveness, 'deathOf'>) {
    this.keys = createLocalJWKSet({ keys: jwks.keys.map(publicJwk) });
  }

  /** The payload of one of our access tokens (signature, issuer, typ), 'expired', or undefined. */
  async payloadOf(token: string): Promise<AccessTokenPayload | 'expired' | undefined> {
    const digest = createHash('sha256').update(token).digest('base64url');
    const known = this.verified.get(digest);
    if (known) {
      if (known.exp * 1000 > Date.now()) return known;
      this.verified.delete(digest);
      return 'expired';
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { issuer: this.issuer, typ: 'at+jwt', algorithms: this.algorithms, requiredClaims: ['exp', 'client_id'] }));
    } catch (error) {
      return error instanceof errors.JWTExpired ? 'expired' : undefined;
    }
    if (typeof payload.client_id !== 'string' || typeof payload.exp !== 'number') return undefined;
    // Map order is insertion order: the first entry is the oldest.
    if (this.verified.size >= VERIFIED_MAX_ENTRIES) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(digest, payload as AccessTokenPayload);
    return payload as AccessTokenPayload;
  }

  async verify(token: string): Promise<VerifiedAccessToken> {
    const payload = await this.payloadOf(token);
    if (payload === 'expired') invalidToken('the access token has expired', 'token_expired');
    if (!payload) invalidToken('the access token is not valid', 'token_invalid');
    const clientId = payload.client_id;
    const grantId = payload[GRANT_ID_CLAIM];
    const death = await this.liveness.deathOf({ jti: payload.jti, clientId, grantId: typeof grantId === 'string' ? grantId : undefined });
    if (death) invalidToken(DEATHS[death], `token_${death}`);
    const cnf = (payload.cnf ?? {}) as Record<string, unknown>;
    return {
      clientId,
      // oidc-provider sets sub to the client's id when no user is involved (RFC 9068 §2.2).
      subject: typeof payload.sub === 'string' && payload.sub !== clientId ? payload.sub : undefined,
      scopes: scopeList(payload.scope),
      audiences: audienceList(payload.aud),
      jkt: typeof cnf.jkt === 'string' ? cnf.jkt : undefined,
      certificateThumbprint: typeof cnf['x5t#S256'] === 'string' ? cnf['x5t#S256'] : undefined,
    };
  }
}
