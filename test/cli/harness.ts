// Runs the real `gatehouse` command (bin/gatehouse.js on the build) as a child process against a
// database of the test's own (a SQLite file, or a PostgreSQL database with GATEHOUSE_TEST_POSTGRES_URL), with a minimal environment so nothing leaks in from the shell
// running the tests (a JWKS or DATABASE_URL there would change what the CLI does).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../support/test-database.js';
import { dumpRows, queryRows } from '../support/database-rows.js';
import { runCli, type CliResult } from '../support/run-cli.js';

export { CLI, type CliResult } from '../support/run-cli.js';

export interface CliSandbox {
  dir: string;
  /** The SQLite file, when the tests run on SQLite. */
  databaseFile: string | undefined;
  databaseUrl: string;
  env: Record<string, string>;
  run(args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Runs with --json, asserts success and a single JSON object on stdout, and returns it. */
  json<T = Record<string, any>>(args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<T>;
  /** Every row of every table, as text, read straight from the database. */
  dumpDatabase(): Promise<string>;
  /** The raw bytes of the SQLite database and its WAL as latin1 text (every row on PostgreSQL), for searching for secrets. */
  rawDatabase(): Promise<string>;
  /** SQL with `?` placeholders and double-quoted identifiers (valid on both databases). */
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** Stores a grant with one refresh token and one access token, as oidc-provider's adapter would. */
  seedGrant(grant: { id: string; accountId: string; clientId: string }): Promise<void>;
  /** Whether the command has created the database's tables (or, on SQLite, the file at all). */
  databaseExists(): Promise<boolean>;
  close(): Promise<void>;
}

export async function createSandbox(extraEnv: Record<string, string> = {}): Promise<CliSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
  const database = await createTestDatabase(dir, 'x.db');
  const databaseFile = database.file;
  const databaseUrl = database.url;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    DATABASE_URL: databaseUrl,
    ...extraEnv,
  };

  // cwd is the sandbox, so even a command that ignored DATABASE_URL could not touch the repository.
  const run: CliSandbox['run'] = (args, options = {}) =>
    runCli(args, { env: { ...env, ...options.env }, cwd: dir, input: options.input });

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
    dumpDatabase: () => dumpRows(databaseUrl),
    async rawDatabase() {
      if (!databaseFile) return dumpRows(databaseUrl);
      let text = '';
      for (const file of [databaseFile, `${databaseFile}-wal`]) {
        if (existsSync(file)) text += (await readFile(file)).toString('latin1');
      }
      return text;
    },
    query: (sql, ...params) => queryRows(databaseUrl, sql, ...params),
    async seedGrant({ id, accountId, clientId }) {
      // Dates as Prisma stores them: milliseconds since the epoch on SQLite, timestamps on PostgreSQL.
      const now = databaseFile ? Date.now() : new Date();
      await queryRows(databaseUrl, 'INSERT INTO "Grant" ("id", "accountId", "clientId", "payload", "createdAt") VALUES (?, ?, ?, ?, ?)', id, accountId, clientId, '{}', now);
      await queryRows(databaseUrl, 'INSERT INTO "RefreshToken" ("idHash", "grantId", "accountId", "clientId", "payload", "createdAt") VALUES (?, ?, ?, ?, ?, ?)', `rt-${id}`, id, accountId, clientId, 'sealed', now);
      await queryRows(databaseUrl, 'INSERT INTO "OidcPayload" ("model", "idHash", "grantId", "payload", "createdAt") VALUES (?, ?, ?, ?, ?)', 'AccessToken', `at-${id}`, id, 'sealed', now);
    },
    async databaseExists() {
      if (databaseFile) return existsSync(databaseFile);
      return (await queryRows(databaseUrl, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")).length > 0;
    },
    async close() {
      await database.drop();
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
