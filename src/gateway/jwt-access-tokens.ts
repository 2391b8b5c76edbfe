// JWT access tokens (RFC 9068) checked against Gatehouse's own public signing keys: signature,
// `typ` at+jwt, issuer and expiry offline, then whether it was revoked since (answered from
// memory at most half a second old, see jwt-liveness.ts). The audience is compared with the API by
// the caller, to answer 403 not 401.
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

export class JwtAccessTokens {
  private readonly keys: ReturnType<typeof createLocalJWKSet>;

  constructor(jwks: PrivateJwks, private readonly issuer: string, private readonly algorithms: string[], private readonly liveness: Pick<JwtLiveness, 'deathOf'>) {
    this.keys = createLocalJWKSet({ keys: jwks.keys.map(publicJwk) });
  }

  /** The payload of one of our access tokens (signature, issuer, typ), 'expired', or undefined. */
  async payloadOf(token: string): Promise<AccessTokenPayload | 'expired' | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.keys, { issuer: this.issuer, typ: 'at+jwt', algorithms: this.algorithms, requiredClaims: ['exp', 'client_id'] });
      return typeof payload.client_id === 'string' ? (payload as AccessTokenPayload) : undefined;
    } catch (error) {
      return error instanceof errors.JWTExpired ? 'expired' : undefined;
    }
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
