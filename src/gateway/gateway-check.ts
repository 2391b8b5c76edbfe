// Assembles the gateway check from the server's parts: the provider (opaque tokens, DPoP replay
// store), the signing keys and the revoked list (JWTs), API keys, API policy, limits, metering, metrics and audit.
import type Provider from 'oidc-provider';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Database } from '../persistence/prisma-client.js';
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import type { PrivateJwks } from '../keys/signing-keys.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AuditLog } from '../audit/audit-log.js';
import { JWT_ALGS } from '../resources/resources.js';
import { DPOP_REQUIRES_NONCE, DPOP_SIGNING_ALGS } from '../oidc/configuration.js';
import { ApiKeyVerifier } from '../apikeys/api-key-verifier.js';
import { ApiPolicy } from '../api-policy/api-policy.js';
import { ApiLimits } from '../api-limits/api-limits.js';
import { ApiUsageMeter } from '../api-limits/api-usage-meter.js';
import { RevokedJwts } from '../jwt-revocation/revoked-jwts.js';
import { jwtRevocationEndpoint } from '../jwt-revocation/revocation-endpoint.js';
import { JwtAccessTokens } from './jwt-access-tokens.js';
import { JwtLiveness } from './jwt-liveness.js';
import { OpaqueAccessTokens } from './opaque-access-tokens.js';
import { DpopProofs } from './dpop-proof.js';
import { AccessTokenCheck } from './access-token-check.js';
import { ApiKeyCheck } from './api-key-check.js';
import { SigningSecrets } from '../apikeys/signing-secret.js';
import { NonceReplay } from '../signatures/nonce-replay.js';
import { SignatureCheck } from './signature-check.js';
import { DeniedCheckAudit } from './denied-check-audit.js';
import { createCheckRouter } from './check-routes.js';
import { ClientCertificateSource } from '../mtls/certificate-source.js';

export interface GatewayCheckParts {
  provider: Provider;
  issuer: string;
  jwks: PrivateJwks;
  dpopNonceSecret: Buffer;
  db: Database;
  store: HotStore;
  metrics: Metrics;
  audit: AuditLog;
  clientSecretPepper: string | undefined;
  /** The header gateways forward the caller's client certificate in (trusted only with TRUST_PROXY). */
  certificateHeader: string | undefined;
  keyEncryptionSecret: string | undefined;
  signatureMaxSkewSeconds: number;
  onError: (error: unknown) => void;
}

export interface GatewayCheck {
  routes: Router;
  /** In front of oidc-provider: revokes JWT access tokens at /token/revocation, which it refuses. */
  jwtRevocation: Middleware;
  /** Writes what is still batched: last-used times, usage counts, denied-check summaries. */
  close(): Promise<void>;
}

export function createGatewayCheck(parts: GatewayCheckParts): GatewayCheck {
  const keys = new ApiKeyVerifier(parts.db, { pepper: parts.clientSecretPepper, onError: parts.onError });
  const usage = new ApiUsageMeter(parts.db, parts.onError);
  const revokedJwts = new RevokedJwts(parts.db);
  const deniedAudit = new DeniedCheckAudit(parts.audit);
  const jwts = new JwtAccessTokens(parts.jwks, parts.issuer, [...JWT_ALGS], new JwtLiveness(parts.db, revokedJwts));
  const dpop = new DpopProofs(parts.provider, { nonceSecret: parts.dpopNonceSecret, requireNonce: DPOP_REQUIRES_NONCE, algorithms: [...DPOP_SIGNING_ALGS] });
  const routes = createCheckRouter({
    steps: {
      policy: new ApiPolicy(parts.db),
      apiKeys: new ApiKeyCheck(keys),
      signatures: new SignatureCheck(
        keys,
        new SigningSecrets(parts.keyEncryptionSecret),
        new NonceReplay(parts.store, parts.signatureMaxSkewSeconds),
        { maxSkewSeconds: parts.signatureMaxSkewSeconds },
        { refused: (reason) => parts.metrics.apiSignatureRefusals.inc({ reason }), error: parts.onError },
      ),
      accessTokens: new AccessTokenCheck(jwts, new OpaqueAccessTokens(parts.provider), dpop, new ClientCertificateSource(parts.certificateHeader)),
      limits: new ApiLimits(parts.store),
    },
    usage,
    metrics: parts.metrics,
    deniedAudit,
    challenge: { realm: parts.issuer, dpopAlgorithms: [...DPOP_SIGNING_ALGS] },
  });
  return {
    routes,
    jwtRevocation: jwtRevocationEndpoint({ provider: parts.provider, jwts, revoked: revokedJwts, store: parts.store }),
    async close() {
      await Promise.all([keys.close(), usage.close(), deniedAudit.close()]);
    },
  };
}
