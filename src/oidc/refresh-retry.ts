// The refresh-token retry window (REFRESH_TOKEN_RETRY_GRACE). A client whose refresh response was
// lost (a crash, a dropped connection, two tabs refreshing at once) presents the token it still
// holds again; within the window after that token was rotated, it gets the same answer: the same
// child refresh token and a fresh access token of the same grant, scope and binding.
//
// The child's value is derived from the parent's (an HMAC under a server secret), so every request
// and every instance rotating one parent makes the one same child, with nothing to coordinate and
// nothing stored: only a holder of the parent can have the server produce it, and a copy of the
// database holds no working token. With KEY_ENCRYPTION_SECRET set, that secret is mixed in too, so
// a database copy together with an old token of the chain cannot compute its descendants either.
import { createHmac } from 'node:crypto';
import Provider from 'oidc-provider';
import type { Database } from '../persistence/prisma-client.js';
import type { RefreshRetryWindow } from '../persistence/oidc-adapter.js';
import { loadServerSecret } from '../keys/server-secret.js';

/** The window, or undefined when REFRESH_TOKEN_RETRY_GRACE is 0 (every reuse then revokes). */
export async function loadRefreshRetryWindow(db: Database, graceSeconds: number, keyEncryptionSecret: string | undefined): Promise<RefreshRetryWindow | undefined> {
  if (graceSeconds === 0) return undefined;
  const key = createHmac('sha256', await loadServerSecret(db, 'refresh-token-child-secret'))
    .update(keyEncryptionSecret ?? '', 'utf8').digest();
  return {
    windowMs: graceSeconds * 1000,
    // 256 bits, base64url: the length of oidc-provider's own random token ids.
    childOf: (parentId) => createHmac('sha256', key).update(parentId, 'utf8').digest('base64url'),
    isRefreshOf(id) {
      const params = Provider.ctx?.oidc.params;
      return params?.grant_type === 'refresh_token' && params.refresh_token === id;
    },
  };
}

/** Makes every rotated refresh token's id the one derived from the token it replaces. */
export function deriveRotatedRefreshTokenIds(provider: Provider, window: RefreshRetryWindow): void {
  const prototype = provider.RefreshToken.prototype as unknown as { generateTokenId(): string };
  const randomId = prototype.generateTokenId;
  prototype.generateTokenId = function generateTokenId(this: unknown) {
    // oidc-provider records the token being rotated before it creates the one replacing it.
    const parent = Provider.ctx?.oidc.entities.RotatedRefreshToken?.jti;
    return parent ? window.childOf(parent) : randomId.call(this);
  };
}
