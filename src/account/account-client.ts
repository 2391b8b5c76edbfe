// The account page signs people in through oidc-provider like any application, as a first-party
// client of its own: static (in the provider's configuration, never in the clients table, so the
// CLI cannot change or delete it), public, with one redirect URI under the issuer, asking only for
// `openid`. It never shows a consent page: its grant is made as soon as someone has signed in.
import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';

export const ACCOUNT_CLIENT_ID = 'gatehouse-account';
export const ACCOUNT_CALLBACK_PATH = '/account/callback';

export function accountClientMetadata(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Gatehouse account',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${issuer}${ACCOUNT_CALLBACK_PATH}`],
    scope: 'openid',
  };
}

type Grant = InstanceType<KoaContextWithOIDC['oidc']['provider']['Grant']>;

/**
 * oidc-provider's default (the grant the consent step or the session names), plus a grant made on
 * the spot for the account client, which is what keeps its consent page from ever appearing.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const clientId = oidc.client?.clientId;
  if (!clientId) return undefined;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
  const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (existing || clientId !== ACCOUNT_CLIENT_ID || !oidc.session?.accountId) return existing;
  const grant = new oidc.provider.Grant({ accountId: oidc.session.accountId, clientId });
  grant.addOIDCScope('openid');
  await grant.save();
  return grant;
}
