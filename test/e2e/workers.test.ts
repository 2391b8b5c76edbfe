// WORKERS=2: one port, two worker processes under a primary (node:cluster). The cluster hands each
// new connection to the next worker in turn, so a client that opens a connection per request (the
// switch proxy with fresh connections, or `Connection: close`) alternates between the workers; the
// request log names the worker that answered each request. Runs on SQLite and on PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createSwitchProxy, type SwitchProxy } from '../support/switch-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { labels } from '../support/browser.js';
import { browserFor, createClient, createUser, PASSWORD, relyingParty, type CreatedClient } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9300/callback';
const EMAIL = 'workers@example.com';
const METRICS_TOKEN = 'metrics-token-for-the-workers-test-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const basic = (client: CreatedClient) => `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;

interface LogLine { msg?: string; worker?: number; route?: string; status?: number }

/** The server's JSON log lines written after `from` characters of its output. */
function logLines(gh: Gatehouse, from = 0): LogLine[] {
  return gh.output().slice(from).split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

async function waitForLog(gh: Gatehouse, pattern: RegExp, from = 0, timeoutMs = 60_000): Promise<string> {
  const started = Date.now();
  for (;;) {
    const match = pattern.exec(gh.output().slice(from));
    if (match) return match[0];
    if (Date.now() - started > timeoutMs) throw new Error(`no ${pattern} in the server output:\n${gh.output()}`);
    await sleep(100);
  }
}

/** GET on a connection of its own, so the cluster hands it to the next worker. */
async function freshGet(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers: { connection: 'close', ...headers } });
}

async function readyzWorker(gh: Gatehouse): Promise<number> {
  const response = await freshGet(`http://127.0.0.1:${gh.env.PORT}/readyz`);
  assert.equal(response.status, 200);
  const body = (await response.json()) as { status: string; worker?: number };
  assert.equal(body.status, 'ready');
  assert.equal(typeof body.worker, 'number', '/readyz names the worker that answered');
  return body.worker!;
}

/** Opens a raw connection and sends a request whose body is still missing `held` bytes. */
async function startSlowRequest(port: number, body: string, held: number): Promise<{ finish(): void; response: Promise<string> }> {
  const socket: Socket = connect(port, '127.0.0.1');
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
  return { finish: () => socket.write(body.slice(body.length - held)), response };
}

describe('WORKERS=2', () => {
  let dir: string;
  let database: TestDatabase;
  let proxy: SwitchProxy;
  let gh: Gatehouse;
  let web: CreatedClient;
  let job: CreatedClient;
  let rp: oidc.Configuration;
  /** The cluster's own port; gh.issuer is the proxy's. */
  const backend = () => `http://127.0.0.1:${gh.env.PORT}`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-workers-'));
    database = await createTestDatabase(dir);
    proxy = await createSwitchProxy(undefined, { freshConnections: true });
    gh = await startGatehouse({ ISSUER: proxy.url, DATABASE_URL: database.url, WORKERS: '2', METRICS_TOKEN });
    proxy.use(`http://127.0.0.1:${gh.env.PORT}`);
    await createUser(gh, EMAIL);
    web = await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--redirect-uri', REDIRECT]);
    job = await createClient(gh, ['--name', 'Job', '--grant', 'client_credentials']);
    rp = await relyingParty(gh, web);
  });

  after(async () => {
    await gh?.stop();
    await proxy?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the primary migrated and made the keys once, then started both workers on one port', async () => {
    const output = gh.output();
    assert.match(output, /worker 1 started \(pid \d+\)/);
    assert.match(output, /worker 2 started \(pid \d+\)/);
    assert.match(output, /Gatehouse listening on http:\/\/127\.0\.0\.1:\d+ with issuer \S+ \(2 workers\)/);
    const keys = await gh.cliJson<{ keys: unknown[] }>(['keys', 'list']);
    assert.equal(keys.keys.length, 3, 'one key set, made by the primary before the workers started');
    const answered = new Set([await readyzWorker(gh), await readyzWorker(gh), await readyzWorker(gh)]);
    assert.deepEqual([...answered].sort(), [1, 2], 'connections alternate between the workers');
  });

  test('a sign-in flow crossing workers: login, consent, code and token are answered by both', async () => {
    const from = gh.output().length;
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: REDIRECT, scope: 'openid email', prompt: 'consent', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const browser = browserFor(REDIRECT);
    const login = await browser.request(url.href);
    assert.ok(labels(login.html).includes('Password'));
    const consent = await browser.submit(login, 'Sign in', { email: EMAIL, password: PASSWORD });
    const landed = await browser.submit(consent, 'Allow');
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.claims()?.aud, web.client_id, 'openid-client verified the ID token against the JWKS');
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    assert.equal(userinfo.email, EMAIL);

    // The session cookie one worker set is honoured by whichever answers the next authorization.
    for (let i = 0; i < 2; i += 1) {
      const again = await browser.request(oidc.buildAuthorizationUrl(rp, {
        redirect_uri: REDIRECT, scope: 'openid', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }).href);
      assert.equal(new URL(again.url).origin, new URL(REDIRECT).origin, 'no second sign-in on either worker');
    }

    const requests = logLines(gh, from).filter((line) => line.msg === 'request');
    const byWorker = new Map<number, string[]>();
    for (const line of requests) byWorker.set(line.worker!, [...(byWorker.get(line.worker!) ?? []), line.route!]);
    assert.deepEqual([...byWorker.keys()].sort(), [1, 2], `both workers answered steps of the flow: ${JSON.stringify([...byWorker])}`);
    assert.ok(requests.every((line) => line.status! < 500));
  });

  test('limits and quotas are counted across workers: a quota of 3 a day allows 3 tokens in all', async () => {
    const quota = await createClient(gh, ['--name', 'Quota', '--grant', 'client_credentials']);
    await gh.cliJson(['client', 'update', quota.client_id, '--quota', '3/day']);
    const from = gh.output().length;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await fetch(`${proxy.url}/token`, {
        method: 'POST',
        headers: { authorization: basic(quota), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const workers = new Set(logLines(gh, from).filter((line) => line.msg === 'request').map((line) => line.worker));
    assert.equal(workers.size, 2, 'the five requests were spread over both workers');
  });

  test('/metrics adds up every worker: each scrape counts all tokens, whichever worker answers', async () => {
    const scrape = async () => {
      const response = await freshGet(`${backend()}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` });
      assert.equal(response.status, 200);
      const text = await response.text();
      const counted = [...text.matchAll(new RegExp(`^gatehouse_tokens_issued_total\\{[^}]*client_id="${job.client_id}"[^}]*\\} (\\d+)$`, 'gm'))];
      return counted.reduce((sum, match) => sum + Number(match[1]), 0);
    };
    const from = gh.output().length;
    for (let i = 0; i < 4; i += 1) {
      const token = await fetch(`${backend()}/token`, {
        method: 'POST',
        headers: { authorization: basic(job), 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      assert.equal(token.status, 200);
    }
    const tokenWorkers = new Set(logLines(gh, from).filter((line) => line.route === 'token').map((line) => line.worker));
    assert.equal(tokenWorkers.size, 2, 'both workers issued some of the tokens');
    assert.deepEqual([await scrape(), await scrape()], [4, 4]);
    const scrapers = new Set(logLines(gh, from).filter((line) => line.route === '/metrics').map((line) => line.worker));
    assert.equal(scrapers.size, 2, 'the two scrapes were answered by different workers');
  });

  test('a killed worker is replaced, with a log line, while the other keeps serving', async () => {
    const pids = [...gh.output().matchAll(/worker (\d+) started \(pid (\d+)\)/g)].map((m) => ({ id: Number(m[1]), pid: Number(m[2]) }));
    const victim = pids.find((p) => p.id === 2)!;
    const from = gh.output().length;
    process.kill(victim.pid, 'SIGKILL');
    await waitForLog(gh, /worker 2 \(pid \d+\) killed by SIGKILL; starting a replacement/, from);
    for (let i = 0; i < 4; i += 1) {
      const response = await freshGet(`${backend()}/healthz`);
      assert.equal(response.status, 200, 'every request is answered while the replacement starts');
    }
    const line = await waitForLog(gh, /worker (\d+) is serving/, from);
    const replacement = Number(/worker (\d+)/.exec(line)![1]);
    assert.ok(replacement > 2, 'a new worker took its place');
    const answered = new Set<number>();
    for (let i = 0; i < 4; i += 1) answered.add(await readyzWorker(gh));
    assert.deepEqual([...answered].sort((x, y) => x - y), [1, replacement]);
    const jwks = async () => (await freshGet(`${backend()}/jwks`)).json();
    assert.deepEqual(await jwks(), await jwks(), 'the replacement serves the same keys');
  });

  test('SIGTERM drains every worker: requests in flight on both finish, then everything exits 0', async () => {
    const port = Number(gh.env.PORT);
    const from = gh.output().length;
    const body = `token=some-token-value&client_id=${job.client_id}`;
    const slow = [await startSlowRequest(port, body, 10), await startSlowRequest(port, body, 10)];
    await sleep(500); // both requests are in flight, one on each worker
    const exited = gh.halt('SIGTERM');
    await waitForLog(gh, /"worker":\d+,[^\n]*SIGTERM received[\s\S]*"worker":\d+,[^\n]*SIGTERM received/, from, 20_000);
    await sleep(300);
    await assert.rejects(fetch(`${backend()}/healthz`), 'the port is closed to new connections');
    for (const request of slow) request.finish();
    const answers = await Promise.all(slow.map((request) => request.response));
    for (const answer of answers) assert.match(answer, /^HTTP\/1\.1 (400|401) /, `an in-flight request got its answer:\n${gh.output()}`);
    assert.equal(await exited, 0);
    const lines = logLines(gh, from);
    const stopped = lines.filter((line) => line.msg === 'stopped');
    assert.equal(new Set(stopped.filter((line) => line.worker !== undefined).map((line) => line.worker)).size, 2, 'both workers stopped');
    assert.equal(stopped.at(-1)?.worker, undefined, 'then the primary');
    const introspectedBy = new Set(lines.filter((line) => line.route === 'introspection').map((line) => line.worker));
    assert.equal(introspectedBy.size, 2, 'the two in-flight requests were on different workers');
  });
});

describe('WORKERS=2 that cannot start', () => {
  test('workers that cannot listen (the port is taken) stop the primary with exit 1, naming the cause', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await assert.rejects(startGatehouse({ WORKERS: '2', PORT: String(port), ISSUER: `http://127.0.0.1:${port}` }),
        /server exited with 1[\s\S]*EADDRINUSE[\s\S]*before serving; stopping/);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});
