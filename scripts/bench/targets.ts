// Where each server under test runs and how the benchmark talks to it.
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root.js';
import { createScratchDatabase } from '../../src/persistence/scratch-database.js';
import { Browser } from '../../test/support/browser.js';
import { API_RESOURCE, API_SCOPE, BENCH_CLIENTS, CHECK_JWT_RESOURCE, CHECK_JWT_SCOPE, CHECK_KEY_PATH, CHECK_LIMITS, REDIRECT_URI, REFRESH_SCOPE, BENCH_USERS, benchResourceFormat, benchUser, type ClientName, type Credentials } from './fixtures.js';
import { spawnPinned, waitForLine, type Cores, type ServerProcess } from './processes.js';
import { loginFlow } from './login-flow.js';

export interface Target {
  name: 'gatehouse' | 'ceiling';
  url: string;
  server: ServerProcess;
  credentials: Credentials;
  refreshTokens: string[];
  /** Gatehouse only, for the gateway-check scenarios: an API key and the client that calls. */
  checks?: { apiKey: string; client: { client_id: string; client_secret?: string } };
  /** Milliseconds from process start to the first client-credentials token. */
  firstTokenMs: number;
  databaseFile?: string;
  /** Gatehouse's environment, for scenarios that set up more with the CLI. */
  env: Record<string, string>;
}

export function basic(creds: { client_id: string; client_secret?: string }): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(creds.client_id)}:${encodeURIComponent(creds.client_secret ?? '')}`).toString('base64')}`;
}

async function post(url: string, form: Record<string, string>, auth?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    body: new URLSearchParams(form),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

export async function clientCredentialsToken(
  target: { url: string; credentials: Credentials },
  client: { client_id: string; client_secret?: string } = target.credentials.job,
  request: Record<string, string> = { scope: API_SCOPE },
): Promise<string> {
  const { status, json } = await post(`${target.url}/token`, { grant_type: 'client_credentials', ...request }, basic(client));
  if (status !== 200) throw new Error(`client_credentials failed at ${target.url}: ${JSON.stringify(json)}`);
  return String(json.access_token);
}

export async function deviceCode(target: Target): Promise<string> {
  const { status, json } = await post(`${target.url}/device/auth`, { client_id: target.credentials.tv.client_id, scope: 'openid' });
  if (status !== 200) throw new Error(`device authorization failed: ${JSON.stringify(json)}`);
  return String(json.device_code);
}

/** Polls for the first token from the moment the process was spawned. */
async function firstToken(url: string, credentials: Credentials, started: number): Promise<number> {
  for (;;) {
    try {
      await clientCredentialsToken({ url, credentials });
      return Date.now() - started;
    } catch {
      if (Date.now() - started > 60_000) throw new Error(`no token from ${url} within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

export function cli(env: Record<string, string>, args: string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'gatehouse.js'), ...args, '--json'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`gatehouse ${args.join(' ')}: ${err}`))));
    child.stdin.end(input);
  });
}

export interface StartOptions {
  port: number;
  env: Record<string, string>;
  cores: Cores | undefined;
  refreshTokens: number;
  /** Set up what the gateway-check scenarios need. */
  checks?: boolean;
}

/** The APIs' requirements and limits, a calling client and its API key, all made by the real CLI. */
async function checkFixtures(env: Record<string, string>): Promise<NonNullable<Target['checks']>> {
  await cli(env, ['resource', 'update', API_RESOURCE, ...CHECK_LIMITS]);
  await cli(env, ['resource', 'rule', 'add', API_RESOURCE, '--path', `${CHECK_KEY_PATH}/**`, '--require', 'api_key']);
  await cli(env, ['resource', 'create', '--identifier', CHECK_JWT_RESOURCE, '--scope', CHECK_JWT_SCOPE, '--format', 'jwt']);
  await cli(env, ['resource', 'update', CHECK_JWT_RESOURCE, ...CHECK_LIMITS]);
  const client = JSON.parse(await cli(env, ['client', 'create', '--name', 'Bench API caller', '--grant', 'client_credentials', '--scope', `${API_SCOPE} ${CHECK_JWT_SCOPE}`])) as { client_id: string; client_secret?: string };
  const key = JSON.parse(await cli(env, ['apikey', 'create', '--client', client.client_id, '--resource', API_RESOURCE, ...CHECK_LIMITS])) as { api_key: string };
  return { apiKey: key.api_key, client };
}

/** BENCH_POSTGRES_URL: an admin URL of a PostgreSQL server to benchmark on instead of SQLite. */
export function benchPostgresUrl(): string | undefined {
  return process.env.BENCH_POSTGRES_URL?.trim() || undefined;
}

/**
 * Gatehouse on a fresh database (a SQLite file, or a throwaway database on BENCH_POSTGRES_URL,
 * dropped when the server stops), with the bench user and clients made by the real CLI.
 */
export async function startGatehouse(options: StartOptions): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const postgres = benchPostgresUrl();
  const scratch = postgres ? await createScratchDatabase(postgres, 'gatehouse_bench') : undefined;
  const databaseFile = scratch ? undefined : join(dir, 'gatehouse.db');
  const url = `http://127.0.0.1:${options.port}`;
  const env = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, PORT: String(options.port), HOST: '127.0.0.1',
    ISSUER: url, DATABASE_URL: scratch?.url ?? `file:${databaseFile}`, LOG_LEVEL: 'info',
    // The limits stay on and count every request, as in production, set too high to refuse any:
    // the benchmark measures what the defence costs, not how many requests it turns away.
    // Sign-ins in progress count against their IP until they succeed, and all 64 connections share one.
    RATE_LIMIT_CLIENT_PER_SECOND: '1000000', RATE_LIMIT_IP_PER_SECOND: '1000000', LOGIN_IP_MAX_FAILURES: '100000',
    ...options.env,
  };
  for (let i = 0; i < BENCH_USERS; i += 1) {
    const user = benchUser(i);
    await cli(env, ['user', 'create', '--email', user.email, '--password-stdin'], `${user.password}\n`);
  }
  await cli(env, ['resource', 'create', '--identifier', API_RESOURCE, '--scope', API_SCOPE, '--format', benchResourceFormat(env)]);
  const credentials = {} as Credentials;
  for (const [name, client] of Object.entries(BENCH_CLIENTS) as [ClientName, (typeof BENCH_CLIENTS)[ClientName]][]) {
    credentials[name] = JSON.parse(await cli(env, ['client', 'create', ...client.cli])) as Credentials[ClientName];
  }
  const checks = options.checks ? await checkFixtures(env) : undefined;
  const logFile = join(dir, 'server.log');
  const started = Date.now();
  // BENCH_PROFILE=<folder>: Gatehouse writes a V8 CPU profile there when it stops; BENCH_NODE_FLAGS: more Node flags.
  const profile = [...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []), ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
  const child = spawnPinned('dist/src/main.js', [], env, logFile, options.cores, profile);
  const firstTokenMs = await firstToken(url, credentials, started);
  const server = await waitForLine(child, logFile, 'Gatehouse listening on', started);
  if (scratch) {
    const stop = server.stop;
    server.stop = async () => {
      await stop();
      await scratch.drop();
    };
  }
  const browser = new Browser((u) => u.href.startsWith(REDIRECT_URI));
  const refreshTokens: string[] = [];
  for (let i = 0; i < options.refreshTokens; i += 1) {
    refreshTokens.push(String((await loginFlow(url, credentials.spa.client_id, REFRESH_SCOPE, benchUser(0), browser)).refresh_token));
  }
  return { name: 'gatehouse', url, server, credentials, refreshTokens, ...(checks ? { checks } : {}), firstTokenMs, databaseFile, env };
}

/** The bare oidc-provider with the same grants and clients, everything in memory. */
export async function startCeiling(options: StartOptions): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-ceiling-'));
  const url = `http://127.0.0.1:${options.port}`;
  const logFile = join(dir, 'server.log');
  const started = Date.now();
  const child = spawnPinned('dist/scripts/bench/ceiling-server.js', [], {
    PORT: String(options.port), ISSUER: url, BENCH_REFRESH_TOKENS: String(options.refreshTokens), ...options.env,
  }, logFile, options.cores);
  const server = await waitForLine(child, logFile, 'READY ', started);
  const credentials = Object.fromEntries(Object.entries(BENCH_CLIENTS).map(([name, c]) => [name, c.metadata])) as Credentials;
  const firstTokenMs = await firstToken(url, credentials, started);
  const { refreshTokens } = JSON.parse(server.readyLine.slice(server.readyLine.indexOf('READY ') + 6)) as { refreshTokens: string[] };
  return { name: 'ceiling', url, server, credentials, refreshTokens, firstTokenMs, env: {} };
}

/** The SQLite file and its write-ahead log together, in MiB. */
export function databaseMiB(file: string): number {
  let bytes = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try { bytes += statSync(file + suffix).size; } catch { /* absent until first written */ }
  }
  return bytes / 1024 / 1024;
}
