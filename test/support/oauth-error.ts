// The OAuth error code of a failed openid-client call, whether the server answered with a JSON
// error body or (for failed client authentication) a WWW-Authenticate challenge.
import * as oidc from 'openid-client';

export function oauthError(error: unknown): string | undefined {
  if (error instanceof oidc.ResponseBodyError) return error.error;
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    return error.cause.map((challenge) => challenge.parameters.error).find(Boolean);
  }
  return undefined;
}
