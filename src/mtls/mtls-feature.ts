// oidc-provider's mutual TLS (RFC 8705): tls_client_auth, self_signed_tls_client_auth and
// certificate-bound tokens, with the certificate from ClientCertificateSource. oidc-provider asks
// for the certificate only where one matters (an mTLS client authenticating, a bound token used
// or issued), so only there is an unusable one (garbage, expired, not yet valid) refused, with a
// 400 saying what is wrong with it.
import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { ClientCertificateSource } from './certificate-source.js';
import type { TrustedIssuers } from './trusted-issuers.js';
import { subjectMatches } from './distinguished-name.js';
import { hasSubjectAltName, type SanKind } from './subject-alternative-names.js';

type MtlsConfiguration = NonNullable<NonNullable<Configuration['features']>['mTLS']>;

/** The request's usable certificate, undefined when it has none; throws for an unusable one. */
function usableCertificate(source: ClientCertificateSource, ctx: KoaContextWithOIDC) {
  const presented = source.of(ctx.req);
  if (!presented) return undefined;
  if (!presented.usable) throw new errors.InvalidRequest(`the client certificate ${presented.problem}`);
  return presented;
}

export function mtlsFeature(source: ClientCertificateSource, issuers: TrustedIssuers): MtlsConfiguration {
  return {
    enabled: true,
    certificateBoundAccessTokens: true,
    tlsClientAuth: true,
    selfSignedTlsClientAuth: true,
    getCertificate: (ctx) => usableCertificate(source, ctx)?.certificate,
    certificateAuthorized(ctx) {
      const presented = usableCertificate(source, ctx);
      return presented !== undefined && issuers.issued(presented.certificate);
    },
    certificateSubjectMatches(ctx, property, expected) {
      const presented = usableCertificate(source, ctx);
      if (!presented) return false;
      if (property === 'tls_client_auth_subject_dn') return subjectMatches(presented.certificate, expected);
      return hasSubjectAltName(presented.certificate, property.replace('tls_client_auth_san_', '') as SanKind, expected);
    },
  };
}
