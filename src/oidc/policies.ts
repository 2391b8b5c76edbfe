// Protocol policies oidc-provider asks us about at request time.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { ClientCertificateSource } from '../mtls/certificate-source.js';

/** Public clients always rotate (reuse then revokes the grant); confidential ones as configured. */
export function rotateRefreshTokenPolicy(rotateConfidential: boolean) {
  return (ctx: KoaContextWithOIDC): boolean => {
    const client = ctx.oidc.client;
    if (!client || client.clientAuthMethod === 'none') return true;
    return rotateConfidential;
  };
}

type IntrospectionPolicy = NonNullable<NonNullable<NonNullable<Configuration['features']>['introspection']>['allowedPolicy']>;

/**
 * Only confidential clients (resource servers, back ends) may introspect tokens. A client asking
 * about its own certificate-bound token must present that certificate, as it must at userinfo:
 * otherwise the token is reported inactive. Any other client is told the binding (cnf.x5t#S256)
 * and compares it with the certificate its caller presented (RFC 8705 §3.2).
 */
export function introspectionAllowed(certificates: ClientCertificateSource): IntrospectionPolicy {
  return (ctx, client, token) => {
    if (client.clientAuthMethod === 'none') return false;
    const bound = token['x5t#S256'];
    if (!bound || client.clientId !== token.clientId) return true;
    const presented = certificates.of(ctx.req);
    return presented?.usable === true && presented.thumbprint === bound;
  };
}

/** Browser apps may call the token and userinfo endpoints from the origins of their redirect URIs. */
export const clientBasedCORS: NonNullable<Configuration['clientBasedCORS']> = (_ctx, origin, client) => {
  if (origin === 'null') return false;
  return client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false;
};
