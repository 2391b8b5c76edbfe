// What operators and load balancers rely on: health and readiness endpoints, a bounded graceful
// shutdown on SIGTERM/SIGINT, migrating before rollout (MIGRATE_ON_START=false with `gatehouse db
// migrate` / `db status`), and TRUST_PROXY behind a TLS-terminating proxy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createClient } from '../support/relying-party.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a raw connection and sends a request whose body is still missing `held` bytes. */
async function startSlowRequest(port: number, body: string, held: number): Promise<{ socket: Socket; finish(): void; response: Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  const response = new Promise<string>((resolve) => {
    socket.on('data', (chunk) => { received += chunk.toString(); });
    socket.on('close', () => resolve(received));
  });
  socket.write([
    'POST /token/introspection HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Content-Type: application/x-www-form-urlencoded',
    'Accept: application/json',
    `Content-Length: ${body.length}`,
    '',
    body.slice(0, body.length - held),
  ].join('\r\n'));
  return { socket, finish: () => socket.write(body.slice(body.length - held)), response };
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch (error) {
    return /ECONNREFUSED/.test(String((error as { cause?: unknown }).cause ?? error));
  }
}

describe('health and readiness', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse();
  });
  after(async () => gh?.stop());

  test('GET /healthz answers 200 with a JSON status', async () => {
    const response = await fetch(`${gh.issuer}/healthz`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  test('GET /readyz answers 200 and lists its checks', async () => {
    const response = await fetch(`${gh.issuer}/readyz`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await response.json(), {
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', keys: 'ok', shutdown: 'ok' },
    });
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM: new connections are refused, the request in flight completes, exit 0', async () => {
    const gh = await startGatehouse();
    try {
      const port = Number(gh.env.PORT);
      const slow = await startSlowRequest(port, 'token=some-token-value&client_id=nobody', 10);
      await sleep(300); // the server has read the headers: the request is in flight
      const exited = gh.halt('SIGTERM');
      await sleep(500);
      assert.ok(await refused(`${gh.issuer}/healthz`), 'the listener is closed');
      slow.finish();
      const finishedAt = Date.now();
      const response = await slow.response;
      assert.match(response, /^HTTP\/1\.1 (400|401) /, `the in-flight request got its answer; server said:\n${gh.output()}`);
      assert.ok(Date.now() - finishedAt < 3000, 'the connection closed right after the answer, not at its keep-alive timeout');
      assert.equal(await exited, 0);
      assert.match(gh.output(), /SIGTERM received/);
    } finally {
      await gh.stop();
    }
  });

  test('SIGINT with a request that never finishes: cut after SHUTDOWN_TIMEOUT, exit 0', async () => {
    const gh = await startGatehouse({ SHUTDOWN_TIMEOUT: '1' });
    try {
      const stuck = await startSlowRequest(Number(gh.env.PORT), 'token=never-sent-in-full', 5);
      await sleep(300);
      const started = Date.now();
      assert.equal(await gh.halt('SIGINT'), 0);
      const took = Date.now() - started;
      assert.ok(took >= 900 && took < 8000, `stopped after the timeout (${took} ms)`);
      await stuck.response;
      assert.ok(stuck.socket.destroyed || stuck.socket.readableEnded, 'the stuck connection was cut');
      assert.match(gh.output(), /cut 1 connection/);
    } finally {
      await gh.stop();
    }
  });
});

describe('migrating before rollout', () => {
  let dir: string;
  let database: TestDatabase;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-rollout-'));
    database = await createTestDatabase(dir);
  });
  after(async () => {
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('MIGRATE_ON_START=false refuses a database with pending migrations; db migrate fixes it', async () => {
    const env = { DATABASE_URL: database.url, MIGRATE_ON_START: 'false' };
    await assert.rejects(startGatehouse(env), /server exited with 1[\s\S]*lacks migrations \(\d+_init(, \d+_\w+)*\); run `gatehouse db migrate`/);

    // The CLI of a fresh instance, started with the same environment.
    const gh = await startGatehouse({ DATABASE_URL: `file:${join(dir, 'unused.db')}` });
    try {
      const withEnv = async (args: string[]) => {
        const saved = { ...gh.env };
        Object.assign(gh.env, env);
        try {
          return await gh.cli(args);
        } finally {
          Object.assign(gh.env, saved);
        }
      };
      const refusedCommand = await withEnv(['user', 'list']);
      assert.equal(refusedCommand.code, 1);
      assert.match(refusedCommand.stderr, /^gatehouse: the database needs migrations \(\d+_init(, \d+_\w+)*\); run `gatehouse db migrate` first/);

      const pending = await withEnv(['db', 'status', '--json']);
      assert.equal(pending.code, 1, 'status exits 1 while migrations are pending');
      const before = JSON.parse(pending.stdout) as { pending: string[]; applied: string[]; up_to_date: boolean };
      assert.equal(before.up_to_date, false);
      assert.deepEqual(before.applied, []);
      assert.ok(before.pending.length >= 1);

      const migrated = await withEnv(['db', 'migrate', '--json']);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.deepEqual(JSON.parse(migrated.stdout), { applied: before.pending });

      const again = await withEnv(['db', 'migrate']);
      assert.equal(again.code, 0);
      assert.match(again.stdout, /Nothing to apply/);

      const upToDate = await withEnv(['db', 'status']);
      assert.equal(upToDate.code, 0);
      assert.match(upToDate.stdout, /up to date/);
    } finally {
      await gh.stop();
    }

    const server = await startGatehouse(env);
    try {
      assert.equal((await fetch(`${server.issuer}/readyz`)).status, 200);
    } finally {
      await server.halt();
    }
  });
});

describe('behind a TLS-terminating proxy', () => {
  const ISSUER = 'https://login.example.test';

  async function interactionCookies(gh: Gatehouse, headers: Record<string, string>): Promise<string[]> {
    const client = await createClient(gh, ['--name', 'Proxied', '--public', '--grant', 'authorization_code', '--redirect-uri', 'https://app.example.test/cb']);
    const url = new URL(`http://127.0.0.1:${gh.env.PORT}/auth`);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: 'https://app.example.test/cb',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const response = await fetch(url, { headers, redirect: 'manual' });
    assert.equal(response.status, 303);
    return response.headers.getSetCookie();
  }

  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'login.example.test', 'x-forwarded-for': '203.0.113.7' };

  test('TRUST_PROXY=true: X-Forwarded-Proto https makes cookies Secure; discovery names the public issuer', async () => {
    const gh = await startGatehouse({ ISSUER, TRUST_PROXY: 'true' });
    try {
      const cookies = await interactionCookies(gh, forwarded);
      assert.ok(cookies.length > 0);
      for (const cookie of cookies) assert.match(cookie, /;\s*secure/i, cookie);

      const discovery = await (await fetch(`http://127.0.0.1:${gh.env.PORT}/.well-known/openid-configuration`, { headers: forwarded })).json() as Record<string, string>;
      assert.equal(discovery.issuer, ISSUER);
      assert.equal(discovery.authorization_endpoint, `${ISSUER}/auth`);
      assert.equal(discovery.token_endpoint, `${ISSUER}/token`);

      // Without the proxy's header the connection is plain http, and Secure cookies would be lost.
      for (const cookie of await interactionCookies(gh, {})) assert.doesNotMatch(cookie, /;\s*secure/i);
    } finally {
      await gh.stop();
    }
  });

  test('TRUST_PROXY=false: forwarded headers are ignored (a client cannot claim https)', async () => {
    const gh = await startGatehouse({ ISSUER, TRUST_PROXY: 'false' });
    try {
      for (const cookie of await interactionCookies(gh, forwarded)) assert.doesNotMatch(cookie, /;\s*secure/i, cookie);
      assert.match(gh.output(), /TRUST_PROXY/, 'the server warns that an https issuer without TRUST_PROXY gets no Secure cookies');
    } finally {
      await gh.stop();
    }
  });
});
