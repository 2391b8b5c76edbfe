// Builds the oidc-provider instance from our configuration and wires the behaviour configuration
// cannot express: hashed client secrets and device polling throttling.
import Provider from 'oidc-provider';
import type { Config } from '../config/env.js';
import type { Database } from '../persistence/prisma-client.js';
import { devicePollThrottle } from '../device/poll-throttle.js';
import { buildConfiguration, type ProviderDependencies } from './configuration.js';
import { clientSecretMatches } from './client-secrets.js';
import { unsavedSessionGuard } from './unsaved-session-guard.js';

export interface ProviderHooks {
  /** Called whenever a device is told to slow down, for the rate-limit metric. */
  onSlowDown?: () => void;
}

export function createProvider(db: Database, deps: ProviderDependencies & ProviderHooks & { config: Config }): Provider {
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
  provider.use(devicePollThrottle(db, deps.config.devicePollInterval, deps.config.ttl.deviceCode, deps.onSlowDown));
  return provider;
}
