// What a JWT's signature cannot tell: whether it was revoked since it was issued. A JWT access
// token is refused when it was revoked at /token/revocation (the shared revoked list), when its
// client was deleted, or when the grant it was issued under is gone (revoked at logout, by
// refresh-token reuse, by revoking its refresh token, by the CLI, or expired). Each answer is at
// most REVOCATION_FRESHNESS_MS old, so the check honours the same 1 s bound as for API keys.
import type { Database } from '../persistence/prisma-client.js';
import { REVOCATION_FRESHNESS_MS, type RevokedJwts } from '../jwt-revocation/revoked-jwts.js';
import { FreshLookups } from '../persistence/fresh-lookups.js';

export interface JwtIdentity {
  jti: string | undefined;
  clientId: string;
  /** The grant it was issued under; undefined for a client's own token (client credentials). */
  grantId: string | undefined;
}

export type JwtDeath = 'revoked' | 'client_gone' | 'grant_gone';

interface GrantOwner {
  clientId: string;
  expiresAt: Date | null;
}

export class JwtLiveness {
  private readonly clients: FreshLookups<boolean>;
  private readonly grants: FreshLookups<GrantOwner | null>;

  constructor(private readonly db: Database, private readonly revoked: Pick<RevokedJwts, 'isRevoked'>) {
    this.clients = new FreshLookups(REVOCATION_FRESHNESS_MS);
    this.grants = new FreshLookups(REVOCATION_FRESHNESS_MS);
  }

  private clientExists(id: string): Promise<boolean> {
    return this.clients.get(id, async () => (await this.db.client.findUnique({ where: { id }, select: { id: true } })) !== null);
  }

  private grant(id: string): Promise<GrantOwner | null> {
    return this.grants.get(id, () => this.db.grant.findUnique({ where: { id }, select: { clientId: true, expiresAt: true } }));
  }

  /** undefined when the token is still good. */
  async deathOf(token: JwtIdentity): Promise<JwtDeath | undefined> {
    const [revoked, clientExists, grant] = await Promise.all([
      token.jti ? this.revoked.isRevoked(token.jti) : false,
      this.clientExists(token.clientId),
      token.grantId ? this.grant(token.grantId) : undefined,
    ]);
    if (revoked) return 'revoked';
    if (!clientExists) return 'client_gone';
    if (token.grantId) {
      const alive = grant && grant.clientId === token.clientId && (!grant.expiresAt || grant.expiresAt.getTime() > Date.now());
      if (!alive) return 'grant_gone';
    }
    return undefined;
  }
}
