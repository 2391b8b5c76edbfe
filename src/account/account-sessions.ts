// A user's browser sessions. oidc-provider stores each Session under a hash of its id with a sealed
// payload and no account column, so it cannot list them per user; each sign-in also records the
// session here (same hash, the account, where it came from). The provider's row stays the truth: a
// session signed out or expired there is gone here too, and ending one deletes the provider's row.
import type { Database } from '../persistence/prisma-client.js';
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import { hashId } from '../persistence/sealing.js';

const SESSION_MODEL = 'Session';

export interface SessionView {
  idHash: string;
  ip: string | null;
  userAgent: string | null;
  signedInAt: Date;
  current: boolean;
}

export class AccountSessions {
  constructor(private readonly db: Database, private readonly store: HotStore) {}

  async record(sessionId: string, accountId: string, origin: { ip: string; userAgent: string }, signedInAt: Date): Promise<void> {
    const idHash = hashId(sessionId);
    const data = { accountId, ip: origin.ip.slice(0, 64), userAgent: origin.userAgent.slice(0, 512) || null, signedInAt };
    await this.db.accountSession.upsert({ where: { idHash }, create: { idHash, ...data }, update: data });
  }

  /** The account's live sessions, newest sign-in first; rows of sessions that ended are dropped. */
  async list(accountId: string, currentSessionId: string | undefined, now = Date.now()): Promise<SessionView[]> {
    const rows = await this.db.accountSession.findMany({ where: { accountId }, orderBy: { signedInAt: 'desc' } });
    const current = currentSessionId ? hashId(currentSessionId) : undefined;
    const live: SessionView[] = [];
    const ended: string[] = [];
    for (const row of rows) {
      const stored = await this.store.findPayload(SESSION_MODEL, row.idHash);
      if (stored && (stored.expiresAt === null || stored.expiresAt > now)) {
        live.push({ idHash: row.idHash, ip: row.ip, userAgent: row.userAgent, signedInAt: row.signedInAt, current: row.idHash === current });
      } else {
        ended.push(row.idHash);
      }
    }
    if (ended.length) await this.db.accountSession.deleteMany({ where: { idHash: { in: ended } } });
    return live;
  }

  /** Ends every session of the account but `keepSessionId`'s; returns how many were live. */
  async endAll(accountId: string, keepSessionId?: string): Promise<number> {
    const keep = keepSessionId ? hashId(keepSessionId) : undefined;
    const rows = await this.db.accountSession.findMany({ where: { accountId }, select: { idHash: true } });
    let ended = 0;
    for (const { idHash } of rows) {
      if (idHash === keep) continue;
      if (await this.store.findPayload(SESSION_MODEL, idHash)) ended += 1;
      await this.store.deletePayload(SESSION_MODEL, idHash);
      await this.db.accountSession.deleteMany({ where: { idHash } });
    }
    return ended;
  }
}
