// RFC 7009 revocation for JWT access tokens. oidc-provider refuses them at /token/revocation
// (unsupported_token_type: it never stored them), after it has authenticated the client. This
// middleware sits in front of it and, on that very answer, revokes the JWT instead: its jti goes
// on the shared revoked list until it expires, and its grant is revoked with everything issued
// under it, as oidc-provider does when an opaque access token is revoked. The answer then follows
// RFC 7009 and oidc-provider's policy: 200, also for a token that is expired or not ours; 400 when
// a confidential client presents another client's token.
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import type { JwtAccessTokens } from '../gateway/jwt-access-tokens.js';
import { GRANT_ID_CLAIM } from './grant-id-claim.js';
import type { RevokedJwts } from './revoked-jwts.js';

export const REVOCATION_PATH = '/token/revocation';

export interface JwtRevocationParts {
  provider: Provider;
  jwts: Pick<JwtAccessTokens, 'payloadOf'>;
  revoked: Pick<RevokedJwts, 'record'>;
  store: Pick<HotStore, 'revokeGrant'>;
}

function refusedAsJwt(ctx: KoaContextWithOIDC): boolean {
  const body = ctx.body as { error?: unknown } | undefined;
  return ctx.path === REVOCATION_PATH && ctx.status === 400 && body?.error === 'unsupported_token_type';
}

export function jwtRevocationEndpoint(parts: JwtRevocationParts): Middleware {
  return async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    if (!refusedAsJwt(ctx)) return;
    // oidc-provider only answers unsupported_token_type once the client has authenticated.
    const client = ctx.oidc?.client;
    const token = (ctx.oidc?.params as { token?: unknown } | undefined)?.token;
    if (!client || typeof token !== 'string') return;
    const payload = await parts.jwts.payloadOf(token);
    if (payload && payload !== 'expired') {
      if (payload.client_id !== client.clientId) {
        if (client.clientAuthMethod !== 'none') {
          ctx.body = { error: 'invalid_request', error_description: 'client is not authorized to revoke the presented token' };
          return;
        }
      } else {
        if (typeof payload.jti === 'string') await parts.revoked.record(payload.jti, new Date(payload.exp * 1000));
        const grantId = payload[GRANT_ID_CLAIM];
        if (typeof grantId === 'string') {
          await parts.store.revokeGrant(grantId);
          parts.provider.emit('grant.revoked', ctx, grantId);
        }
      }
    }
    ctx.status = 200;
    ctx.body = '';
  };
}
