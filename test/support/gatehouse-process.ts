// Runs the real, built Gatehouse server and CLI as child processes on a fresh database (a SQLite file,
// or a PostgreSQL database when GATEHOUSE_TEST_POSTGRES_URL is set), the way an operator would, so
// end-to-end tests exercise exactly what `npm start` and `npx gatehouse` do.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root.js';
import { createTestDatabase } from './test-database.js';
import { runCli, type CliResult } from './run-cli.js';

const MAIN = join(projectRoot, 'dist', 'src', 'main.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export type { CliResult } from './run-cli.js';

export interface Gatehouse {
  issuer: string;
  /** Where this instance listens; differs from the issuer when instances share one (ISSUER given). */
  url: string;
  env: Record<string, string>;
  dir: string;
  databaseUrl: string;
  /** The SQLite file, when the tests run on SQLite. */
  databaseFile: string | undefined;
  /** Running (not halted) server process id. */
  pid(): number | undefined;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  cli(args: string[], input?: string): Promise<CliResult>;
  /** Runs the CLI and parses its --json output, failing loudly when the command failed. */
  cliJson<T = Record<string, unknown>>(args: string[], input?: string): Promise<T>;
  restart(): Promise<void>;
  /** Starts the server process again after halt(). */
  launch(): Promise<void>;
  /** Stops the server process but keeps its files, e.g. to read the database afterwards. */
  /** Sends SIGTERM (or the given signal) and resolves with the server's exit code. */
  halt(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

function waitForListening(child: ChildProcess, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log.join('')}`)), 30_000);
    let sinceLaunch = '';
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      sinceLaunch += chunk.toString();
      if (sinceLaunch.includes('Gatehouse listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${log.join('')}`));
    });
  });
}

/**
 * Starts a server on a database of its own, or, when extraEnv has DATABASE_URL, on that database
 * (e.g. a second instance sharing the first one's), which it then leaves in place when it stops.
 */
export async function startGatehouse(extraEnv: Record<string, string> = {}): Promise<Gatehouse> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-'));
  const port = await freePort();
  const database = extraEnv.DATABASE_URL
    ? { url: extraEnv.DATABASE_URL, file: undefined, drop: async () => {} }
    : await createTestDatabase(dir);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}`,
    DATABASE_URL: database.url,
    DEVICE_POLL_INTERVAL: '1',
    LOG_LEVEL: 'info',
    ...extraEnv,
  };
  const log: string[] = [];
  let child: ChildProcess | undefined;

  const launch = async () => {
    child = spawn(process.execPath, [MAIN], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForListening(child, log);
  };
  const halt = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    const running = child;
    child = undefined;
    if (!running) return null;
    if (running.exitCode !== null) return running.exitCode;
    const exited = new Promise<number | null>((resolve) => running.once('exit', (code) => resolve(code)));
    running.kill(signal);
    return exited;
  };

  const cli = (args: string[], input?: string): Promise<CliResult> => runCli(args, { env, cwd: dir, input });

  try {
    await launch();
  } catch (error) {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    issuer: env.ISSUER,
    url: `http://127.0.0.1:${port}`,
    env,
    dir,
    databaseUrl: database.url,
    databaseFile: database.file,
    pid: () => (child && child.exitCode === null ? child.pid : undefined),
    output: () => log.join(''),
    cli,
    async cliJson<T>(args: string[], input?: string) {
      const result = await cli([...args, '--json'], input);
      if (result.code !== 0) throw new Error(`gatehouse ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    },
    async restart() {
      await halt();
      await launch();
    },
    launch,
    halt,
    async stop() {
      await halt();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
