// Cross-site request forgery protection for our sign-in and consent forms: each form carries a
// token bound to its interaction, which another site cannot compute without the server's key.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PageError } from './errors.js';

/** HMAC-SHA256(key, "csrf:" + uid), base64url: the same for every form of one interaction. */
export function csrfToken(key: string, uid: string): string {
  return createHmac('sha256', key).update(`csrf:${uid}`).digest('base64url');
}

export function csrfTokenMatches(key: string, uid: string, presented: string | null): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfToken(key, uid));
  const actual = Buffer.from(presented);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function assertCsrf(key: string, uid: string, presented: string | null): void {
  if (!csrfTokenMatches(key, uid, presented)) {
    throw new PageError(403, 'invalid_request', 'This form could not be verified. Go back, reload the page and try again.');
  }
}
