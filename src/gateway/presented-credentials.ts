// What the caller presented, from the original request's headers: an API key (X-API-Key only), an
// access token (Authorization: Bearer or DPoP) and a DPoP proof. A key in the URL is refused
// outright: URLs end up in logs, browser history and Referer headers, so such a key is leaked.
import type { OriginalRequest } from './original-request.js';
import { refuse } from './refusal.js';

export const QUERY_KEY_PARAMETERS = ['api_key', 'apikey', 'key'] as const;

export interface PresentedCredentials {
  apiKey: string | undefined;
  accessToken: { value: string; scheme: 'Bearer' | 'DPoP' } | undefined;
  dpopProof: string | undefined;
}

function headerValues(request: OriginalRequest, name: string): string[] {
  const value = request.headers[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function atMostOne(request: OriginalRequest, name: string): string | undefined {
  const values = headerValues(request, name);
  if (values.length > 1) refuse({ status: 400, error: 'invalid_request', description: `more than one ${name} header`, reason: 'malformed_request' });
  return values[0]?.trim() || undefined;
}

const AUTHORIZATION = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*)$/i;

function accessTokenOf(request: OriginalRequest): PresentedCredentials['accessToken'] {
  const header = atMostOne(request, 'authorization');
  if (header === undefined) return undefined;
  const match = AUTHORIZATION.exec(header);
  // Another scheme (Basic, a signature) is not an access token; the API may want it for itself.
  if (!match) return undefined;
  return { value: match[2], scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer' };
}

export function presentedCredentials(request: OriginalRequest): PresentedCredentials {
  for (const name of QUERY_KEY_PARAMETERS) {
    if (request.url.searchParams.has(name)) {
      refuse({
        status: 401,
        error: 'invalid_request',
        description: `API keys are not accepted in the URL (the "${name}" parameter): send the key in the X-API-Key header, and replace this one, it may have been logged`,
        challenge: 'ApiKey',
        reason: 'key_in_url',
      });
    }
  }
  return { apiKey: atMostOne(request, 'x-api-key'), accessToken: accessTokenOf(request), dpopProof: atMostOne(request, 'dpop') };
}
