// Protocol policies oidc-provider asks us about at request time.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

/** Public clients always rotate (reuse then revokes the grant); confidential ones as configured. */
export function rotateRefreshTokenPolicy(rotateConfidential: boolean) {
  return (ctx: KoaContextWithOIDC): boolean => {
    const client = ctx.oidc.client;
    if (!client || client.clientAuthMethod === 'none') return true;
    return rotateConfidential;
  };
}

/** Only confidential clients (resource servers, back ends) may introspect tokens. */
export const introspectionAllowed = async (_ctx: KoaContextWithOIDC, client: { clientAuthMethod?: string | undefined }) =>
  client.clientAuthMethod !== 'none';

/** Browser apps may call the token and userinfo endpoints from the origins of their redirect URIs. */
export const clientBasedCORS: NonNullable<Configuration['clientBasedCORS']> = (_ctx, origin, client) => {
  if (origin === 'null') return false;
  return client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false;
};
