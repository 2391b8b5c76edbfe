// The API key step of a check: a key from the X-API-Key header, valid, and for this API.
import { isRefusal, type ApiKeyVerifier, type VerifiedApiKey } from '../apikeys/api-key-verifier.js';
import type { CallerIdentity } from './decide.js';
import type { PresentedCredentials } from './presented-credentials.js';
import { refuse } from './refusal.js';

const REFUSALS = {
  unknown: 'the API key is not known',
  revoked: 'the API key has been revoked',
  expired: 'the API key has expired',
  malformed: 'the X-API-Key header does not hold a Gatehouse API key',
} as const;

export class ApiKeyCheck {
  constructor(private readonly keys: Pick<ApiKeyVerifier, 'verify'>) {}

  /** `identity` learns a revoked or expired key's id and client, for metering and the audit trail. */
  async check(presented: PresentedCredentials, resource: string, identity: CallerIdentity): Promise<VerifiedApiKey> {
    if (!presented.apiKey) {
      refuse({ status: 401, error: 'invalid_token', description: 'an API key is required in the X-API-Key header', challenge: 'ApiKey', reason: 'key_missing' });
    }
    const verified = await this.keys.verify(presented.apiKey);
    if (isRefusal(verified)) {
      identity.apiKeyId = verified.id;
      identity.clientId = verified.clientId;
      refuse({ status: 401, error: 'invalid_token', description: REFUSALS[verified.refused], challenge: 'ApiKey', reason: `key_${verified.refused}` });
    }
    identity.apiKeyId = verified.id;
    identity.clientId = verified.clientId;
    if (verified.resource !== resource) {
      refuse({ status: 403, error: 'insufficient_scope', description: 'the API key is for another API', challenge: 'ApiKey', reason: 'key_other_api' });
    }
    return verified;
  }
}
