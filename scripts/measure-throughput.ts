// `node dist/scripts/measure-throughput.js [DATABASE_URL ...]`: starts the built server on each
// database (default: a temp SQLite file), registers a service client with the CLI, and measures
// client-credentials token requests and introspections per second, one at a time and 8 at a time.
// PostgreSQL URLs must name an empty (or Gatehouse) database on a server you can spare.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../src/project-root.js';

const DURATION_MS = 5_000;
const PORT = 47_123;

async function startServer(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(projectRoot, 'dist/src/main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Gatehouse listening on')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${log}`)));
  });
  return child;
}

async function rate(label: string, concurrency: number, request: () => Promise<Response>): Promise<string> {
  let done = 0;
  let failed = 0;
  const until = Date.now() + DURATION_MS;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) {
      const response = await request();
      await response.arrayBuffer();
      if (response.ok) done += 1;
      else failed += 1;
    }
  }));
  return `${label.padEnd(34)} concurrency ${concurrency}: ${(done / (DURATION_MS / 1000)).toFixed(0).padStart(5)} req/s${failed ? ` (${failed} failed)` : ''}`;
}

async function measure(databaseUrl: string): Promise<void> {
  const env = {
    PATH: process.env.PATH ?? '',
    PORT: String(PORT),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${PORT}`,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'info', // the "listening" line tells us it is up
  };
  const server = await startServer(env);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(projectRoot, 'bin/gatehouse.js'), 'client', 'create', '--name', `bench-${Date.now()}`, '--grant', 'client_credentials', '--json',
    ], { env });
    const client = JSON.parse(stdout) as { client_id: string; client_secret: string };
    // The limiter stays on, as in production, but at the default 50/s it would measure the limit.
    await promisify(execFile)(process.execPath, [
      join(projectRoot, 'bin/gatehouse.js'), 'client', 'update', client.client_id, '--rate-limit', '1000000/s',
    ], { env });
    const authorization = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
    const post = (path: string, body: Record<string, string>) => fetch(`${env.ISSUER}${path}`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body),
    });
    const token = ((await (await post('/token', { grant_type: 'client_credentials' })).json()) as { access_token: string }).access_token;
    process.stdout.write(`${databaseUrl.replace(/\/\/[^@]*@/, '//')}\n`);
    for (const concurrency of [1, 8]) {
      process.stdout.write(`  ${await rate('POST /token (client_credentials)', concurrency, () => post('/token', { grant_type: 'client_credentials' }))}\n`);
      process.stdout.write(`  ${await rate('POST /token/introspection', concurrency, () => post('/token/introspection', { token }))}\n`);
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
}

const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
try {
  const urls = process.argv.slice(2);
  for (const url of urls.length ? urls : [`file:${join(dir, 'bench.db')}`]) await measure(url);
} finally {
  await rm(dir, { recursive: true, force: true });
}
