// What a call to an API must present at the gateway check, as operators write it
// (`--require api_key|signature|access_token`, or a key or signature with access_token) and as it
// is stored.
export interface Requirement {
  apiKey: boolean;
  accessToken: boolean;
  /** An RFC 9421 signature under an API key's signing secret: proves the key without sending it. */
  signature: boolean;
}

export class PolicyInputError extends Error {
  override name = 'PolicyInputError';
}

/** An API with nothing set wants an access token: the safe default for an API that holds user data. */
export const DEFAULT_REQUIREMENT: Requirement = { apiKey: false, accessToken: true, signature: false };

const PARTS = { api_key: 'apiKey', access_token: 'accessToken', signature: 'signature' } as const;

export function parseRequirement(raw: string): Requirement {
  const parts = raw.split(',').map((part) => part.trim());
  const requirement: Requirement = { apiKey: false, accessToken: false, signature: false };
  for (const part of parts) {
    if (!Object.hasOwn(PARTS, part)) {
      throw new PolicyInputError(`--require must be api_key, access_token, signature, api_key,access_token or signature,access_token, got "${raw}"`);
    }
    requirement[PARTS[part as keyof typeof PARTS]] = true;
  }
  if (requirement.apiKey && requirement.signature) {
    throw new PolicyInputError('--require: a signature already proves the API key; use signature (or signature,access_token) without api_key');
  }
  return requirement;
}

/** The stored and displayed form; parseRequirement reads it back. */
export function formatRequirement(requirement: Requirement): string {
  return [requirement.apiKey ? 'api_key' : '', requirement.signature ? 'signature' : '', requirement.accessToken ? 'access_token' : ''].filter(Boolean).join(',');
}

/** A stored value (null: the default). Stored values were written by formatRequirement. */
export function storedRequirement(raw: string | null): Requirement {
  return raw === null ? DEFAULT_REQUIREMENT : parseRequirement(raw);
}
