// The client and upstream examples of docs/signed-requests.md, run exactly as printed there: the
// Node, Python (standard library) and shell (openssl, curl) clients sign GETs and POSTs through
// real nginx to an upstream that is the guide's own Content-Digest-checking Node server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { startNginx, type Gateway } from '../support/gateways.js';
import { createClient } from '../support/relying-party.js';
import { contentDigestOf, signRequest } from '../support/http-signature-signer.js';
import { projectRoot } from '../../src/project-root.js';

const run = promisify(execFile);

interface CreatedKey {
  id: string;
  signing_secret: string;
}

/** The code block after `<!-- example: NAME -->` in the guide. */
function example(guide: string, name: string): string {
  const match = new RegExp(`<!-- example: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(guide);
  if (!match) throw new Error(`docs/signed-requests.md has no example ${name}`);
  return `${match[1]}\n`;
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

describe('the examples in docs/signed-requests.md, through nginx', () => {
  let dir: string;
  let gh: Gatehouse;
  let upstream: ChildProcess;
  let nginx: Gateway;
  let key: CreatedKey;
  let api: string;
  const clients: Record<string, string[]> = {};

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-signing-docs-'));
    const guide = await readFile(join(projectRoot, 'docs', 'signed-requests.md'), 'utf8');
    await writeFile(join(dir, 'sign.mjs'), example(guide, 'node-client'));
    await writeFile(join(dir, 'sign.py'), example(guide, 'python-client'));
    await writeFile(join(dir, 'sign.sh'), example(guide, 'shell-client'));
    await writeFile(join(dir, 'upstream.mjs'), example(guide, 'node-upstream'));
    clients.node = [process.execPath, join(dir, 'sign.mjs')];
    clients.python = ['python3', join(dir, 'sign.py')];
    clients.shell = ['sh', join(dir, 'sign.sh')];

    const port = await freePort();
    upstream = spawn(process.execPath, [join(dir, 'upstream.mjs')], { env: { PATH: process.env.PATH ?? '', PORT: String(port) }, stdio: 'ignore' });
    await waitForPort(port);
    gh = await startGatehouse();
    nginx = await startNginx(gh.issuer, `http://127.0.0.1:${port}`);
    api = `${nginx.url}/payments`;
    await gh.cliJson(['resource', 'create', '--identifier', api, '--scope', 'payments:write', '--require', 'signature']);
    const service = await createClient(gh, ['--name', 'docs signer', '--grant', 'client_credentials', '--scope', 'payments:write']);
    key = await gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', api]);
  });
  after(async () => {
    await nginx?.stop();
    upstream?.kill();
    await gh?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const signWith = async (client: string, secret: string, ...args: string[]) => {
    const [command, ...script] = clients[client];
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, GATEHOUSE_KEY_ID: key.id, GATEHOUSE_SIGNING_SECRET: secret };
    const { stdout } = await run(command, [...script, ...args], { env, timeout: 60_000 });
    return stdout;
  };

  for (const client of ['node', 'python', 'shell']) {
    test(`${client}: a signed GET and a signed POST pass; a wrong secret is refused`, async () => {
      const get = await signWith(client, key.signing_secret, 'GET', `${api}/transfers?currency=EUR&page=2`);
      assert.match(get, client === 'shell' ? /\n200\n$/ : /^200 /, get);
      const body = JSON.stringify({ amount: 100, to: `alice via ${client}` });
      const post = await signWith(client, key.signing_secret, 'POST', `${api}/transfers`, body);
      assert.match(post, client === 'shell' ? /\n200\n$/ : /^200 /, post);
      assert.ok(post.includes(JSON.stringify({ received: body })), `the upstream got the body: ${post}`);
      const wrong = await signWith(client, 'ab'.repeat(32), 'GET', `${api}/transfers`);
      assert.match(wrong, /401/, wrong);
    });
  }

  test('the upstream example refuses a body that does not match the signed Content-Digest', async () => {
    const url = `${api}/transfers`;
    const signed = '{"amount":100}';
    const headers = signRequest({ id: key.id, secret: key.signing_secret }, { method: 'POST', url, body: signed });
    assert.equal(headers['content-digest'], contentDigestOf(signed));
    // nginx never shows the check the body: the signature over the header passes, the upstream catches it.
    const swapped = await fetch(url, { method: 'POST', headers, body: '{"amount":9999}' });
    assert.equal(swapped.status, 400);
    assert.match(await swapped.text(), /does not match Content-Digest/);
    const honest = await fetch(url, { method: 'POST', headers: signRequest({ id: key.id, secret: key.signing_secret }, { method: 'POST', url, body: signed }), body: signed });
    assert.equal(honest.status, 200);
  });
});
