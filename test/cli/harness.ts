// Runs the real `gatehouse` command (bin/gatehouse.js on the build) as a child process against a
// database file of the test's own, with a minimal environment so nothing leaks in from the shell
// running the tests (a JWKS or DATABASE_URL there would change what the CLI does).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import Sqlite from 'better-sqlite3';
import { projectRoot } from '../../src/project-root.js';

export const CLI = join(projectRoot, 'bin', 'gatehouse.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliSandbox {
  dir: string;
  databaseFile: string;
  databaseUrl: string;
  env: Record<string, string>;
  run(args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Runs with --json, asserts success and a single JSON object on stdout, and returns it. */
  json<T = Record<string, any>>(args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<T>;
  /** Every row of every table, as text, read straight from the SQLite file. */
  dumpDatabase(): string;
  /** The raw bytes of the database and its WAL, as latin1 text, for searching for secrets. */
  rawDatabase(): Promise<string>;
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[];
  /** Stores a grant with one refresh token and one access token, as oidc-provider's adapter would. */
  seedGrant(grant: { id: string; accountId: string; clientId: string }): void;
  close(): Promise<void>;
}

export async function createSandbox(extraEnv: Record<string, string> = {}): Promise<CliSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
  const databaseFile = join(dir, 'x.db');
  const databaseUrl = `file:${databaseFile}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    DATABASE_URL: databaseUrl,
    ...extraEnv,
  };

  const run: CliSandbox['run'] = (args, options = {}) => new Promise((resolve, reject) => {
    // cwd is the sandbox, so even a command that ignored DATABASE_URL could not touch the repository.
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { ...env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });

  const withDatabase = <T>(work: (db: Sqlite.Database) => T, readonly = true): T => {
    const db = new Sqlite(databaseFile, { readonly, fileMustExist: true });
    try {
      return work(db);
    } finally {
      db.close();
    }
  };

  return {
    dir,
    databaseFile,
    databaseUrl,
    env,
    run,
    async json(args, options) {
      const result = await run([...args, '--json'], options);
      assert.equal(result.code, 0, `gatehouse ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      assert.equal(result.stderr, '', 'nothing on stderr');
      const parsed: unknown = JSON.parse(result.stdout);
      assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), 'stdout is one JSON object');
      return parsed as any;
    },
    dumpDatabase() {
      return withDatabase((db) => {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
        return tables.map(({ name }) => `${name}: ${JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all())}`).join('\n');
      });
    },
    async rawDatabase() {
      let text = '';
      for (const file of [databaseFile, `${databaseFile}-wal`]) {
        if (existsSync(file)) text += (await readFile(file)).toString('latin1');
      }
      return text;
    },
    query(sql, ...params) {
      return withDatabase((db) => db.prepare(sql).all(...params) as any[]);
    },
    seedGrant({ id, accountId, clientId }) {
      withDatabase((db) => {
        // Dates as Prisma's SQLite adapter stores them here: milliseconds since the epoch.
        const now = Date.now();
        db.prepare('INSERT INTO "Grant" (id, accountId, clientId, payload, createdAt) VALUES (?, ?, ?, ?, ?)')
          .run(id, accountId, clientId, '{}', now);
        db.prepare('INSERT INTO RefreshToken (idHash, grantId, accountId, clientId, payload, createdAt) VALUES (?, ?, ?, ?, ?, ?)')
          .run(`rt-${id}`, id, accountId, clientId, 'sealed', now);
        db.prepare('INSERT INTO OidcPayload (model, idHash, grantId, payload, createdAt) VALUES (?, ?, ?, ?, ?)')
          .run('AccessToken', `at-${id}`, id, 'sealed', now);
      }, false);
    },
    async close() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts a failed command: the exit status, nothing on stdout, and one `gatehouse: ...` line on stderr. */
export function assertFails(result: CliResult, code: number, message: RegExp): void {
  assert.equal(result.code, code, `expected exit ${code}, got ${result.code}: ${result.stderr}`);
  assert.equal(result.stdout, '', 'nothing on stdout');
  assert.match(result.stderr, /^gatehouse: [^\n]+\n$/, `one line on stderr, got ${JSON.stringify(result.stderr)}`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}
