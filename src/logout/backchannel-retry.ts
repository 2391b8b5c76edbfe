// Back-channel logout (OpenID Connect Back-Channel Logout 1.0): oidc-provider POSTs one logout
// token per client when the user signs out. A client that is briefly down would miss it, so a
// failed delivery is retried a few times in the background, and every outcome is logged.
import type Provider from 'oidc-provider';
import type { Logger } from '../logging/logger.js';

type BackchannelClient = {
  clientId: string;
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
};

/** Delays before the retries after a failed first attempt, in milliseconds. */
export const RETRY_DELAYS_MS = [1000, 5000, 30000] as const;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function retryBackchannelLogout(provider: Provider, log: Logger, delays: readonly number[] = RETRY_DELAYS_MS): void {
  const prototype = provider.Client.prototype as unknown as BackchannelClient;
  const deliver = prototype.backchannelLogout;

  // The first attempt runs within the sign-out request, as oidc-provider intends; retries must not
  // hold the user's browser, so they run afterwards and the sign-out itself counts as done.
  prototype.backchannelLogout = async function deliverWithRetries(this: BackchannelClient, sub: string, sid: string) {
    const target = `client ${this.clientId} at ${this.backchannelLogoutUri}`;
    try {
      await deliver.call(this, sub, sid);
      log.info(`back-channel logout delivered to ${target}`);
      return;
    } catch (error) {
      log.error(`back-channel logout to ${target} failed (attempt 1 of ${delays.length + 1}): ${describe(error)}`);
    }
    const retry = async (attempt: number): Promise<void> => {
      try {
        // Each attempt signs a fresh logout token (new jti), so a receiver's replay check never trips.
        await deliver.call(this, sub, sid);
        log.info(`back-channel logout delivered to ${target} on attempt ${attempt + 1}`);
      } catch (error) {
        const final = attempt === delays.length;
        log.error(`back-channel logout to ${target} failed (attempt ${attempt + 1} of ${delays.length + 1}${final ? ', giving up' : ''}): ${describe(error)}`);
        if (!final) schedule(attempt + 1);
      }
    };
    const schedule = (attempt: number) => setTimeout(() => void retry(attempt), delays[attempt - 1]).unref();
    schedule(1);
  };
}
