// The one-time links Gatehouse mails: password resets and email verifications. The token in the
// link is 32 random bytes; only its SHA-256 is stored, so a copy of the database opens no link. A
// token is spent in one conditional update, so two clicks on the same link cannot both succeed.
import { randomBytes } from 'node:crypto';
import type { Database } from '../persistence/prisma-client.js';
import { hashId } from '../persistence/sealing.js';

export type AccountTokenPurpose = 'password_reset' | 'email_verification';

export const PASSWORD_RESET_TTL_SECONDS = 30 * 60;
export const EMAIL_VERIFICATION_TTL_SECONDS = 24 * 3600;

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export class AccountTokens {
  constructor(private readonly db: Database) {}

  /**
   * A new token; earlier unused ones of the same purpose stop working, so only the newest link does.
   * Tokens of any account that expired a day ago go too: issuing is rare enough to carry that sweep.
   */
  async issue(accountId: string, purpose: AccountTokenPurpose, ttlSeconds: number, now = new Date()): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.db.$transaction([
      this.db.accountToken.deleteMany({
        where: { OR: [{ accountId, purpose, usedAt: null }, { expiresAt: { lt: new Date(now.getTime() - 86_400_000) } }] },
      }),
      this.db.accountToken.create({
        data: { idHash: hashId(token), accountId, purpose, expiresAt: new Date(now.getTime() + ttlSeconds * 1000) },
      }),
    ]);
    return token;
  }

  /** The account a token would open, without spending it (to show the form the link leads to). */
  async peek(token: string, purpose: AccountTokenPurpose, now = new Date()): Promise<string | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const row = await this.db.accountToken.findUnique({ where: { idHash: hashId(token) } });
    if (!row || row.purpose !== purpose || row.usedAt !== null || row.expiresAt <= now) return undefined;
    return row.accountId;
  }

  /** Spends the token and returns its account; undefined when it is unknown, expired or already used. */
  async spend(token: string, purpose: AccountTokenPurpose, now = new Date()): Promise<string | undefined> {
    const accountId = await this.peek(token, purpose, now);
    if (!accountId) return undefined;
    const { count } = await this.db.accountToken.updateMany({
      where: { idHash: hashId(token), purpose, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    return count === 1 ? accountId : undefined;
  }
}
