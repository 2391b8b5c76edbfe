// Limits the requests that make Gatehouse send mail (password reset, sign-up): per account (a hash
// of the email, known or not, so the limit reveals nothing) and per client IP. Counted before any
// work, like sign-ins, so a burst cannot slip through between check and count. It keeps anyone from
// flooding a mailbox or using the server to spam.
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import { accountKey } from './login-throttle.js';
import { DatabaseCounter, retryAfterSeconds } from './store.js';

export const MAIL_REQUEST_WINDOW_SECONDS = 3600;
export const MAIL_REQUESTS_PER_ACCOUNT = 3;
export const MAIL_REQUESTS_PER_IP = 20;

export type MailRequestVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class MailRequestThrottle {
  private readonly perAccount: DatabaseCounter;
  private readonly perIp: DatabaseCounter;

  constructor(store: HotStore, kind: string) {
    this.perAccount = new DatabaseCounter(store, `${kind}-account`, MAIL_REQUEST_WINDOW_SECONDS);
    this.perIp = new DatabaseCounter(store, `${kind}-ip`, MAIL_REQUEST_WINDOW_SECONDS);
  }

  async take(email: string, ip: string): Promise<MailRequestVerdict> {
    const [account, address] = await Promise.all([this.perAccount.penalty(accountKey(email)), this.perIp.penalty(ip)]);
    const waits = [
      account.consumedPoints > MAIL_REQUESTS_PER_ACCOUNT ? account.msBeforeNext : 0,
      address.consumedPoints > MAIL_REQUESTS_PER_IP ? address.msBeforeNext : 0,
    ];
    const wait = Math.max(...waits);
    return wait > 0 ? { allowed: false, retryAfterSeconds: retryAfterSeconds(wait) } : { allowed: true };
  }
}
