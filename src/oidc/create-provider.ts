// Builds the oidc-provider instance from our configuration and wires the behaviour configuration
// cannot express: hashed client secrets (with a grace period after rotation), per-client rate
// limits, public clients naming themselves in a password-less Basic header, device polling
// throttling, registration rules and limits, back-channel logout retries, and rotated refresh
// tokens derived from their parents for the retry window.
import Provider from 'oidc-provider';
import type { Config } from '../config/env.js';
import type { Database } from '../persistence/prisma-client.js';
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import { devicePollThrottle } from '../device/poll-throttle.js';
import { buildConfiguration, type ProviderDependencies } from './configuration.js';
import { clientSecretMatches } from './client-secrets.js';
import { clientRateLimits } from '../throttling/client-limits.js';
import { basicIdentification } from './basic-identification.js';
import type { AuditLog } from '../audit/audit-log.js';
import { unsavedSessionGuard } from './unsaved-session-guard.js';
import type { Logger } from '../logging/logger.js';
import { registrationGuard } from '../registration/registration-guard.js';
import { registrationRateLimiter } from '../registration/rate-limit.js';
import { takeInitialAccessTokenUse } from '../registration/initial-access-tokens.js';
import { retryBackchannelLogout } from '../logout/backchannel-retry.js';
import type { RefreshRetryWindow } from '../persistence/oidc-adapter.js';
import { deriveRotatedRefreshTokenIds } from './refresh-retry.js';

export interface ProviderHooks {
  /** Called whenever a device is told to slow down, for the rate-limit metric. */
  onSlowDown?: () => void;
  /** The refresh-token retry window the adapter honours; undefined when it is off. */
  refreshRetry?: RefreshRetryWindow;
}

export function createProvider(db: Database, deps: ProviderDependencies & ProviderHooks & { config: Config; log: Logger; audit: AuditLog; store: HotStore }): Provider {
  const provider = new Provider(deps.config.issuer, buildConfiguration(deps));

  // Stored clients carry a SHA-256 of their secret in `client_secret`; compare against that.
  const pepper = deps.config.clientSecretPepper;
  // After `rotate-secret --grace`, the previous secret also matches until its expiry.
  const clientPrototype = provider.Client.prototype as unknown as {
    compareClientSecret(actual: string): Promise<boolean>;
  };
  clientPrototype.compareClientSecret = async function compareHashed(this: { clientId: string; clientSecret?: string }, actual: string) {
    if (clientSecretMatches(this.clientSecret, actual, pepper)) return true;
    const row = await db.client.findUnique({
      where: { id: this.clientId },
      select: { previousSecretHash: true, previousSecretExpiresAt: true },
    });
    if (!row?.previousSecretHash || !row.previousSecretExpiresAt || row.previousSecretExpiresAt <= new Date()) return false;
    return clientSecretMatches(row.previousSecretHash, actual, pepper);
  };

  // First, so the rate limiter and everything after see a public client's Basic id as a body client_id.
  provider.use(basicIdentification(deps.config.issuer));
  if (!deps.config.rateLimits.disabled) provider.use(clientRateLimits(deps.store, deps.config.rateLimits, deps.audit));

  provider.use(unsavedSessionGuard);
  provider.use(devicePollThrottle(deps.store, deps.config.devicePollInterval, deps.config.ttl.deviceCode, deps.onSlowDown));
  provider.use(registrationGuard({
    limiter: registrationRateLimiter(db, deps.config.registrationRateLimit),
    policy: async () => ({ apiScopes: await deps.resources.allScopes() }),
    takeTokenUse: deps.config.openRegistration ? undefined : (token) => takeInitialAccessTokenUse(db, token),
  }));
  provider.on('registration_create.success', (ctx) => {
    deps.log.info(`client ${ctx.oidc.entities.Client?.clientId} registered dynamically from ${ctx.ip}`);
  });
  retryBackchannelLogout(provider, deps.log);
  if (deps.refreshRetry) deriveRotatedRefreshTokenIds(provider, deps.refreshRetry);
  return provider;
}
