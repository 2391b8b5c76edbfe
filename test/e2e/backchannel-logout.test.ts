// Back-channel logout: when the user signs out, every client of the session that registered a
// backchannel_logout_uri receives a signed logout token; failed deliveries are retried and logged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, createUser, relyingParty, signInAndDecide, startAuthorization } from '../support/relying-party.js';

const EMAIL = 'backchannel@example.com';

interface Receiver {
  url: string;
  tokens: string[];
  /** Answers this many deliveries with 503 before accepting. */
  failFirst: number;
}

describe('back-channel logout', () => {
  let gh: Gatehouse;
  let server: Server;
  const receivers = new Map<string, Receiver>();
  let base: string;

  before(async () => {
    gh = await startGatehouse({ ALLOW_PRIVATE_NETWORK_FETCH: 'true' });
    await createUser(gh, EMAIL);
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      req.on('end', () => {
        const receiver = receivers.get(req.url ?? '');
        if (!receiver) return void res.writeHead(404).end();
        if (receiver.failFirst > 0) {
          receiver.failFirst -= 1;
          return void res.writeHead(503).end();
        }
        receiver.tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    server?.close();
    await gh?.stop();
  });

  function receiver(path: string, failFirst = 0): Receiver {
    const created = { url: `${base}${path}`, tokens: [], failFirst };
    receivers.set(path, created);
    return created;
  }

  async function signedInClient(browser: ReturnType<typeof browserFor>, name: string, redirect: string, logoutUri: string) {
    const client = await createClient(gh, ['--name', name, '--grant', 'authorization_code', '--redirect-uri', redirect, '--backchannel-logout-uri', logoutUri]);
    const rp = await relyingParty(gh, client);
    const start = await startAuthorization(rp, redirect);
    const landed = await signInAndDecide(browser, start.url, EMAIL);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    return { client, rp, tokens };
  }

  async function until(condition: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  test('signing out sends each client of the session a logout token it can verify', async () => {
    const first = receiver('/first');
    const second = receiver('/second');
    const browser = browserFor('http://127.0.0.1:9730');
    const a = await signedInClient(browser, 'App A', 'http://127.0.0.1:9730/a', first.url);
    const b = await signedInClient(browser, 'App B', 'http://127.0.0.1:9730/b', second.url);

    const confirm = await browser.request(oidc.buildEndSessionUrl(a.rp, { id_token_hint: a.tokens.id_token! }).href);
    await browser.submit(confirm, 'Sign out');
    assert.equal(first.tokens.length, 1);
    assert.equal(second.tokens.length, 1, 'the other client of the session is told too');

    const jwks = createRemoteJWKSet(new URL(`${gh.issuer}/jwks`));
    for (const [received, app] of [[first, a], [second, b]] as const) {
      const { payload, protectedHeader } = await jwtVerify(received.tokens[0], jwks, { issuer: gh.issuer, audience: app.client.client_id });
      assert.equal(protectedHeader.typ, 'logout+jwt');
      assert.equal(payload.sub, app.tokens.claims()!.sub);
      assert.ok(typeof payload.sid === 'string');
      assert.equal(payload.sid, app.tokens.claims()!.sid);
      assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
      assert.equal(payload.nonce, undefined);
    }
    assert.match(gh.output(), new RegExp(`back-channel logout delivered to client ${a.client.client_id}`));
  });

  test('a failed delivery is retried in the background and logged', async () => {
    const flaky = receiver('/flaky', 1);
    const browser = browserFor('http://127.0.0.1:9731');
    const app = await signedInClient(browser, 'Flaky app', 'http://127.0.0.1:9731/cb', flaky.url);
    const confirm = await browser.request(oidc.buildEndSessionUrl(app.rp, { id_token_hint: app.tokens.id_token! }).href);
    const done = await browser.submit(confirm, 'Sign out');
    assert.equal(done.status, 200, 'the user is not kept waiting for retries');
    assert.equal(flaky.tokens.length, 0);
    await until(() => flaky.tokens.length === 1, 10_000);
    const log = gh.output();
    assert.match(log, new RegExp(`back-channel logout to client ${app.client.client_id} at ${flaky.url} failed \\(attempt 1 of 4\\): expected 200 OK`));
    await until(() => /on attempt 2/.test(gh.output()), 2000);
    assert.match(gh.output(), new RegExp(`back-channel logout delivered to client ${app.client.client_id} at ${flaky.url} on attempt 2`));
  });

  test('the CLI refuses a back-channel logout URI that is not https (or loopback http)', async () => {
    const result = await gh.cli(['client', 'create', '--name', 'Bad', '--grant', 'authorization_code', '--redirect-uri', 'https://a.example.com/cb', '--backchannel-logout-uri', 'http://a.example.com/logout']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /backchannel_logout_uri .* must use https/);
  });
});
