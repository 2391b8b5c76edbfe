// The user's side of the device flow, as a person does it on a phone: enter the code on ISSUER/device,
// confirm it, sign in if asked, and allow or deny.
import assert from 'node:assert/strict';
import { Browser, labels } from './browser.js';
import type { Gatehouse } from './gatehouse-process.js';
import { PASSWORD } from './relying-party.js';

/** Returns the final page's HTML. */
export async function approveOnPhone(gh: Gatehouse, userCode: string, email: string, decision: 'Allow' | 'Deny' = 'Allow'): Promise<string> {
  const browser = new Browser();
  const entry = await browser.request(`${gh.issuer}/device`);
  assert.ok(labels(entry.html).includes('Code'), 'the device page has a field labelled Code');
  const confirm = await browser.submit(entry, 'Continue', { user_code: userCode });
  assert.match(confirm.html, new RegExp(userCode));
  const afterConfirm = await browser.submit(confirm, 'Continue');
  const consent = labels(afterConfirm.html).includes('Password')
    ? await browser.submit(afterConfirm, 'Sign in', { email, password: PASSWORD })
    : afterConfirm;
  const done = await browser.submit(consent, decision);
  return done.html;
}
