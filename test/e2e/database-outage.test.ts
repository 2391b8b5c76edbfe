// PostgreSQL goes away while clients keep calling (stopped with pg_ctl, as a restart or failover
// would), then comes back: requests in the gap are answered 503 (never 500), the instance recovers
// by itself without a restart, and every token it acknowledged before or around the outage is still
// there. Runs on a PostgreSQL cluster of its own (scripts/throwaway-postgres.sh), since stopping the
// shared test server would break the tests running beside it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as oidc from 'openid-client';
import { projectRoot } from '../../src/project-root.js';
import { createScratchDatabase, scratchServerUrl, type ScratchDatabase } from '../../src/persistence/scratch-database.js';
import { freePort, startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createClient, relyingParty, type CreatedClient } from '../support/relying-party.js';

const run = promisify(execFile);
const SCRIPT = join(projectRoot, 'scripts', 'throwaway-postgres.sh');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function skipReason(): string | false {
  if (!scratchServerUrl()) return 'runs in the PostgreSQL pass (GATEHOUSE_TEST_POSTGRES_URL)';
  if (!existsSync('/usr/lib/postgresql')) return 'needs PostgreSQL server binaries (apt-get install postgresql)';
  if (process.getuid?.() !== 0) return 'needs root to run a cluster as the postgres user';
  return false;
}

const cluster = (command: string, port: number) => run(SCRIPT, [command, String(port)]);

describe('the database goes away and comes back', { skip: skipReason() }, () => {
  let port: number;
  let database: ScratchDatabase;
  let gh: Gatehouse;
  let service: CreatedClient;
  let rp: oidc.Configuration;

  before(async () => {
    port = await freePort();
    const { stdout } = await cluster('start', port);
    database = await createScratchDatabase(stdout.trim(), 'gatehouse_outage');
    gh = await startGatehouse({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: '4' });
    service = await createClient(gh, ['--name', 'Service', '--grant', 'client_credentials']);
    rp = await relyingParty(gh, service);
  });

  after(async () => {
    await gh?.halt();
    if (port) await cluster('stop', port).catch(() => {});
  });

  /** One token request, by status; the token when it was issued. */
  async function issue(): Promise<{ status: number; token?: string; body: Record<string, unknown> }> {
    const response = await fetch(`${gh.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    return { status: response.status, token: typeof body.access_token === 'string' ? body.access_token : undefined, body };
  }

  test('503 while it is down, recovery without a restart, no acknowledged token lost', async () => {
    const before = await Promise.all(Array.from({ length: 5 }, () => issue()));
    assert.ok(before.every((r) => r.status === 200));
    const acknowledged = before.map((r) => r.token!);
    const pid = gh.pid();

    // Clients keep calling throughout.
    const statuses: number[] = [];
    const unavailable: Record<string, unknown>[] = [];
    let loading = true;
    const load = (async () => {
      while (loading) {
        const result = await issue().catch(() => ({ status: -1, token: undefined, body: {} }));
        statuses.push(result.status);
        if (result.token) acknowledged.push(result.token);
        if (result.status === 503) unavailable.push(result.body);
        await sleep(50);
      }
    })();

    await sleep(300);
    await cluster('pause', port);
    await sleep(1500);

    const ready = await fetch(`${gh.issuer}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { checks: { database: string } }).checks.database, 'unreachable');
    assert.equal((await fetch(`${gh.issuer}/healthz`)).status, 200, 'the process itself is healthy');
    const page = await fetch(`${gh.issuer}/device`, { headers: { accept: 'text/html' } });
    assert.ok(page.status === 503 || page.status === 200, `a page answers 503 or needs no database, got ${page.status}`);

    await cluster('resume', port);
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${gh.issuer}/readyz`)).status !== 200) {
      assert.ok(Date.now() < deadline, 'ready again within 20 s of the database returning');
      await sleep(200);
    }
    await sleep(500);
    loading = false;
    await load;

    assert.equal(gh.pid(), pid, 'the same process recovered by itself');
    assert.ok(statuses.includes(503), `some requests were refused with 503 while it was down: ${statuses.join(',')}`);
    assert.deepEqual(statuses.filter((s) => s !== 200 && s !== 503), [], 'only 200 or 503, never a 500');
    assert.equal(statuses.at(-1), 200, 'requests succeed again');
    assert.ok(unavailable.every((body) => body.error === 'temporarily_unavailable'), JSON.stringify(unavailable[0]));

    const after = await issue();
    assert.equal(after.status, 200);
    for (const token of acknowledged) {
      assert.equal((await oidc.tokenIntrospection(rp, token)).active, true, 'every token answered with 200 is still stored');
    }
  });
});
