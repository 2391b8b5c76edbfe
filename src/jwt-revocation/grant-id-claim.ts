// JWT access tokens name the grant they were issued under, so a check can refuse one whose grant
// has been revoked (logout, refresh-token reuse, a revoked refresh token, the CLI, a deleted client)
// although nothing about the token itself was stored. A grant id is a random handle that no
// endpoint accepts from outside; client-credentials tokens have none.
import type { Configuration } from 'oidc-provider';

export const GRANT_ID_CLAIM = 'grant_id';

type JwtCustomizer = NonNullable<NonNullable<NonNullable<Configuration['formats']>['customizers']>['jwt']>;

export const addGrantIdClaim: JwtCustomizer = (_ctx, token, jwt) => {
  const { grantId } = token as { grantId?: unknown };
  if (typeof grantId === 'string') jwt.payload[GRANT_ID_CLAIM] = grantId;
};
