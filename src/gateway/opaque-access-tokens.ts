// Opaque access tokens looked up where oidc-provider keeps them (through our adapter, so the row is
// found by the token's hash and unsealed with it), as its introspection does. A lookup is kept in
// memory for at most REVOCATION_FRESHNESS_MS, as API keys are, so a token called with again and
// again costs one lookup per half second: a token revoked, or whose grant was revoked, is refused
// on every instance within that bound plus one query. Expiry is checked on every call.
import { createHash } from 'node:crypto';
import type Provider from 'oidc-provider';
import { REVOCATION_FRESHNESS_MS } from '../jwt-revocation/revoked-jwts.js';
import { FreshLookups } from '../persistence/fresh-lookups.js';
import { audienceList, scopeList, type VerifiedAccessToken } from './verified-access-token.js';
import { refuse } from './refusal.js';

interface StoredToken {
  clientId: string;
  accountId?: string | undefined;
  grantId?: string | undefined;
  scope?: string | undefined;
  aud?: string | string[] | undefined;
  jkt?: string | undefined;
  'x5t#S256'?: string | undefined;
  /** Seconds since the epoch. */
  exp?: number | undefined;
}

export class OpaqueAccessTokens {
  /** By a SHA-256 of the token, so memory holds no token. */
  private readonly lookups = new FreshLookups<StoredToken | undefined>(REVOCATION_FRESHNESS_MS);

  constructor(private readonly provider: Provider) {}

  private async find(value: string): Promise<StoredToken | undefined> {
    // A token is one of the two kinds; both reads at once keep a miss on the first off the latency.
    const [userToken, clientToken] = await Promise.all([
      this.provider.AccessToken.find(value) as Promise<StoredToken | undefined>,
      this.provider.ClientCredentials.find(value) as Promise<StoredToken | undefined>,
    ]);
    if (clientToken) return clientToken;
    if (!userToken) return undefined;
    if (userToken.grantId) {
      const grant = await this.provider.Grant.find(userToken.grantId);
      if (!grant || grant.clientId !== userToken.clientId || grant.accountId !== userToken.accountId) return undefined;
    }
    return userToken;
  }

  async verify(value: string): Promise<VerifiedAccessToken> {
    const token = await this.lookups.get(createHash('sha256').update(value).digest('base64url'), () => this.find(value));
    if (!token || (token.exp !== undefined && token.exp * 1000 <= Date.now())) {
      refuse({ status: 401, error: 'invalid_token', description: 'the access token is unknown, expired or revoked', challenge: 'Bearer', reason: 'token_unknown' });
    }
    return {
      clientId: token.clientId,
      subject: token.accountId,
      scopes: scopeList(token.scope),
      audiences: audienceList(token.aud),
      jkt: token.jkt,
      certificateThumbprint: token['x5t#S256'],
    };
  }
}
