// Builds the oidc-provider instance from our configuration and wires the behaviour configuration
// cannot express: hashed client secrets, device polling throttling, registration rules and limits,
// and back-channel logout retries.
import Provider from 'oidc-provider';
import type { Config } from '../config/env.js';
import type { Database } from '../persistence/prisma-client.js';
import { devicePollThrottle } from '../device/poll-throttle.js';
import { buildConfiguration, type ProviderDependencies } from './configuration.js';
import { clientSecretMatches } from './client-secrets.js';
import { unsavedSessionGuard } from './unsaved-session-guard.js';
import type { Logger } from '../logging/logger.js';
import { registrationGuard } from '../registration/registration-guard.js';
import { registrationRateLimiter } from '../registration/rate-limit.js';
import { takeInitialAccessTokenUse } from '../registration/initial-access-tokens.js';
import { retryBackchannelLogout } from '../logout/backchannel-retry.js';

export function createProvider(db: Database, deps: ProviderDependencies & { config: Config; log: Logger }): Provider {
  const provider = new Provider(deps.config.issuer, buildConfiguration(deps));

  // Stored clients carry a SHA-256 of their secret in `client_secret`; compare against that.
  const clientPrototype = provider.Client.prototype as unknown as {
    clientSecret?: string;
    compareClientSecret(actual: string): Promise<boolean> | boolean;
  };
  clientPrototype.compareClientSecret = function compareHashed(this: { clientSecret?: string }, actual: string) {
    return clientSecretMatches(this.clientSecret, actual);
  };

  provider.use(unsavedSessionGuard);
  provider.use(devicePollThrottle(db, deps.config.devicePollInterval, deps.config.ttl.deviceCode));
  provider.use(registrationGuard({
    limiter: registrationRateLimiter(db, deps.config.registrationRateLimit),
    policy: async () => ({ apiScopes: await deps.resources.allScopes() }),
    takeTokenUse: deps.config.openRegistration ? undefined : (token) => takeInitialAccessTokenUse(db, token),
  }));
  provider.on('registration_create.success', (ctx) => {
    deps.log.info(`client ${ctx.oidc.entities.Client?.clientId} registered dynamically from ${ctx.ip}`);
  });
  retryBackchannelLogout(provider, deps.log);
  return provider;
}
