// How long an expired row is kept before the sweeper deletes it. oidc-provider checks expiry itself
// on every lookup and needs to see recently expired rows to answer precisely (RFC 8628
// `expired_token`, "refresh token is expired") rather than "not found".
export const EXPIRED_ROW_RETENTION_MS = 10 * 60 * 1000;

/** Rows whose expiry is before this instant are gone for good. */
export function retentionCutoff(now: Date = new Date()): Date {
  return new Date(now.getTime() - EXPIRED_ROW_RETENTION_MS);
}
