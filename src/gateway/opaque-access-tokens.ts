// Opaque access tokens looked up where oidc-provider keeps them (through our adapter, so the row is
// found by the token's hash and unsealed with it), as its introspection does: a token revoked,
// or whose grant was revoked, is gone from the very next check on every instance.
import type Provider from 'oidc-provider';
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
}

export class OpaqueAccessTokens {
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
    const token = await this.find(value);
    if (!token) {
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
