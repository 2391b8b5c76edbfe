// The applications a user connected: one per grant (oidc-provider's record of what the user
// allowed a client), with what it may do and when it last got a token. Revoking deletes the grant
// with every refresh token, access token and code issued under it, in one statement, the same
// revocation a replayed refresh token triggers, so the application's next token request fails.
import type { Database } from '../persistence/prisma-client.js';
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import { describeScope } from '../oidc/scopes.js';
import { ACCOUNT_CLIENT_ID } from './account-client.js';

export interface ConnectedApp {
  grantId: string;
  clientId: string;
  clientName: string;
  permissions: string[];
  grantedAt: Date;
  /** When the application last got a token under this grant, if ever. */
  lastUsedAt: Date | null;
}

interface GrantPayload {
  openid?: { scope?: string };
  resources?: Record<string, string>;
}

function permissionsOf(payload: GrantPayload): string[] {
  const scopes = new Set((payload.openid?.scope ?? '').split(' ').filter(Boolean));
  const lines = [...scopes].map(describeScope);
  for (const [resource, scope] of Object.entries(payload.resources ?? {})) {
    for (const name of scope.split(' ').filter(Boolean)) lines.push(`${describeScope(name)} at ${resource}`);
  }
  return lines;
}

function latest(...dates: (Date | null | undefined)[]): Date | null {
  const times = dates.filter((d): d is Date => d instanceof Date).map((d) => d.getTime());
  return times.length ? new Date(Math.max(...times)) : null;
}

export class ConnectedApps {
  constructor(private readonly db: Database, private readonly store: HotStore) {}

  async list(accountId: string, now = new Date()): Promise<ConnectedApp[]> {
    const grants = await this.db.grant.findMany({
      where: { accountId, clientId: { not: ACCOUNT_CLIENT_ID }, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
      orderBy: { createdAt: 'desc' },
    });
    const clients = await this.db.client.findMany({ where: { id: { in: grants.map((g) => g.clientId) } }, select: { id: true, name: true } });
    const names = new Map(clients.map((c) => [c.id, c.name]));
    return Promise.all(grants.map(async (grant) => {
      const [refresh, other] = await Promise.all([
        this.db.refreshToken.aggregate({ where: { grantId: grant.id }, _max: { createdAt: true } }),
        this.db.oidcPayload.aggregate({ where: { grantId: grant.id }, _max: { createdAt: true } }),
      ]);
      return {
        grantId: grant.id,
        clientId: grant.clientId,
        clientName: names.get(grant.clientId) ?? grant.clientId,
        permissions: permissionsOf(JSON.parse(grant.payload) as GrantPayload),
        grantedAt: grant.createdAt,
        lastUsedAt: latest(refresh._max.createdAt, other._max.createdAt),
      };
    }));
  }

  /** Revokes the grant if it is the account's; returns its client id, or undefined when it is not. */
  async revoke(accountId: string, grantId: string): Promise<string | undefined> {
    const grant = await this.db.grant.findUnique({ where: { id: grantId }, select: { accountId: true, clientId: true } });
    if (!grant || grant.accountId !== accountId || grant.clientId === ACCOUNT_CLIENT_ID) return undefined;
    await this.store.revokeGrant(grantId);
    return grant.clientId;
  }
}
