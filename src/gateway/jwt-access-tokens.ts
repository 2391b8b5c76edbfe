// JWT access tokens (RFC 9068) checked offline against Gatehouse's own public signing keys: no
// database read, which is what makes a JWT check as cheap as it is. Signature, `typ` at+jwt,
// issuer and expiry; the audience is compared with the API by the caller, to answer 403 not 401.
import { createLocalJWKSet, errors, jwtVerify, type JWK } from 'jose';
import type { PrivateJwks } from '../keys/signing-keys.js';
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

export class JwtAccessTokens {
  private readonly keys: ReturnType<typeof createLocalJWKSet>;

  constructor(jwks: PrivateJwks, private readonly issuer: string, private readonly algorithms: string[]) {
    this.keys = createLocalJWKSet({ keys: jwks.keys.map(publicJwk) });
  }

  async verify(token: string): Promise<VerifiedAccessToken> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { issuer: this.issuer, typ: 'at+jwt', algorithms: this.algorithms, requiredClaims: ['exp', 'client_id'] }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) invalidToken('the access token has expired', 'token_expired');
      invalidToken('the access token is not valid', 'token_invalid');
    }
    const clientId = payload.client_id;
    if (typeof clientId !== 'string') invalidToken('the access token is not valid', 'token_invalid');
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
