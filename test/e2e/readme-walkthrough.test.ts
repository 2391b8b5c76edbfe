// The README's five-minute walk-through, run as written: the shell blocks marked
// `<!-- walkthrough -->` go, in order, through one bash session in the project folder (so `npx
// gatehouse` is the project's own CLI and variables carry from block to block), against a real
// server; the browser step in between is done by a scripted browser pressing the buttons the README
// names. If a command, flag, endpoint or page label in the README stops working, this fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root.js';
import { startGatehouse } from '../support/gatehouse-process.js';
import { Browser } from '../support/browser.js';
import { markedShellBlocks, ShellSession } from '../support/shell-session.js';

const README_ISSUER = 'http://localhost:3000';

test('the README walk-through: a user, a client, one token', { timeout: 240_000 }, async () => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const blocks = markedShellBlocks(readme, 'walkthrough');
  assert.equal(blocks.length, 3, 'the README marks three walk-through blocks (before and after the browser step)');
  for (const label of ['**Continue**', '**Allow**']) assert.ok(readme.includes(label), `the README tells the reader to press ${label}`);
  const email = /--email (\S+)/.exec(blocks[0])?.[1];
  const password = /<<< '([^']+)'/.exec(blocks[0])?.[1];
  assert.ok(email && password, 'the first block creates a user with an email and a password');
  assert.ok(readme.includes(`\`${password}\``), 'the browser step names the password the first block set');

  const gh = await startGatehouse();
  const shell = new ShellSession(gh.env, projectRoot);
  try {
    const forThisServer = (block: string) => block.replaceAll(README_ISSUER, gh.issuer);

    const created = await shell.run(forThisServer(blocks[0]));
    const clientId = created.trim().split('\n').at(-1) ?? '';
    assert.match(clientId, /^[\w-]{10,}$/, `the first block prints the new client's id, got:\n${created}`);

    const asked = await shell.run(forThisServer(blocks[1]));
    const verificationUri = asked.trim().split('\n').at(-1) ?? '';
    assert.ok(verificationUri.startsWith(`${gh.issuer}/device?user_code=`), `the second block prints where to enter the code, got:\n${asked}`);

    // Step 3, as a person in a browser: the code is filled in; Continue, confirm, sign in, Allow.
    const browser = new Browser();
    const entry = await browser.request(verificationUri);
    const confirm = await browser.submit(entry, 'Continue');
    const signIn = await browser.submit(confirm, 'Continue');
    const consent = await browser.submit(signIn, 'Sign in', { email, password });
    const done = await browser.submit(consent, 'Allow');
    assert.equal(done.status, 200);
    assert.doesNotMatch(done.html, /denied|expired|invalid/i);

    const got = await shell.run(forThisServer(blocks[2]));
    const [summary, userinfo] = splitJsonDocuments(got);
    assert.equal(summary.token_type, 'Bearer');
    assert.ok(typeof summary.scope === 'string' && summary.scope.split(' ').includes('openid'), `scope in ${got}`);
    assert.equal(userinfo.email, email, 'the last command shows who signed in');
    assert.equal(userinfo.name, 'Alice');
    assert.ok(typeof userinfo.sub === 'string' && userinfo.sub.length > 0);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nserver log:\n${gh.output()}`);
  } finally {
    shell.close();
    await gh.stop();
  }
});

/** jq pretty-prints one document, curl prints another after it: split them by parsing. */
function splitJsonDocuments(text: string): Record<string, unknown>[] {
  const documents: Record<string, unknown>[] = [];
  let rest = text.trim();
  while (rest) {
    let parsed: Record<string, unknown> | undefined;
    for (let end = rest.indexOf('}') + 1; end > 0; end = rest.indexOf('}', end) + 1) {
      try {
        parsed = JSON.parse(rest.slice(0, end)) as Record<string, unknown>;
        rest = rest.slice(end).trim();
        break;
      } catch {
        // not a whole document yet: extend it to the next closing brace
      }
    }
    if (!parsed) throw new Error(`expected JSON documents, got:\n${text}`);
    documents.push(parsed);
  }
  return documents;
}
