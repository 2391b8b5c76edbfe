// The `gatehouse` command line: parses `gatehouse <group> <command> [options]`, then, with the
// server's own configuration, migrates the database if it needs it and runs the command. Every
// failure becomes one line on stderr and an exit status (2: the command line or its input is wrong;
// 1: it could not be done), because operators script these commands and a stack trace helps no one.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/env.js';
import { loadEnvFile } from '../config/env-file.js';
import { UserInputError } from '../accounts/users.js';
import { ClientInputError } from '../clients/validate-client.js';
import { KeyDecryptionError } from '../keys/key-encryption.js';
import type { Database } from '../persistence/prisma-client.js';
import type { Action, Command, CommandGroup } from './command.js';
import { CliError, createOutput, usageError } from './output.js';
import { userCommands } from './users.js';
import { clientCommands } from './clients.js';
import { keyCommands } from './keys.js';
import { resourceCommands } from './resources.js';
import { iatCommands } from './initial-access-tokens.js';
import { ResourceExistsError, ResourceInputError } from '../resources/resources.js';
import { auditCommands } from './audit.js';
import { apiKeyCommands } from './api-keys.js';
import { ApiKeyInputError, ApiKeyReferenceError } from '../apikeys/api-keys.js';
import { PolicyInputError } from '../api-policy/requirement.js';
import { openMigratedDatabase } from './database.js';
import { dbCommands } from './db.js';
import { openDatabaseWithConnection } from '../persistence/prisma-client.js';
import { createHotStore } from '../persistence/hot-path/create-hot-store.js';

const GROUPS: CommandGroup[] = [userCommands, clientCommands, resourceCommands, apiKeyCommands, iatCommands, keyCommands, auditCommands, dbCommands];

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  stdin: AsyncIterable<string | Buffer> & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

/** The real process, with a `.env` from the working directory loaded as the server does. */
function processIo(): CliIo {
  loadEnvFile();
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdin: process.stdin,
    env: process.env,
  };
}

const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function mainUsage(): string {
  const width = Math.max(...GROUPS.map((g) => g.name.length));
  return [
    'Usage: gatehouse <group> <command> [options]',
    '',
    'Manages a Gatehouse server\'s users, clients, APIs, API keys, registration tokens, signing keys, audit trail and',
    'database. Reads the same environment as the server (DATABASE_URL, ARGON2_*, token TTLs, ...) and applies',
    'pending migrations first (unless MIGRATE_ON_START=false: then run `gatehouse db migrate`).',
    '',
    'Groups:',
    ...GROUPS.map((g) => `  ${g.name.padEnd(width)}  ${g.description}`),
    '',
    'Options:',
    '  --json      print exactly one JSON object on stdout instead of a summary',
    '  -h, --help  show this help; `gatehouse <group> --help` shows a group\'s commands',
    '',
    'Exit status: 0 done, 1 could not be done (not found, already exists, ...), 2 bad command line or input.',
    '',
  ].join('\n');
}

function groupUsage(group: CommandGroup): string {
  const lines = [`Usage: gatehouse ${group.name} <command> [options] [--json]`, '', `${group.description}.`, '', 'Commands:'];
  for (const [name, command] of Object.entries(group.commands)) {
    lines.push(`  gatehouse ${group.name} ${name}${command.synopsis ? ` ${command.synopsis}` : ''}`);
    lines.push(`      ${command.description}.`);
  }
  lines.push('');
  return lines.join('\n');
}

type Parsed =
  | { kind: 'help'; text: string }
  | { kind: 'run'; action: Action; json: boolean; database: 'migrated' | 'as-is'; checkConfig(config: Config): void };

/** Splits argv into group, command and options; throws usage errors before anything touches the database. */
function parseCommandLine(argv: string[]): Parsed {
  const groupIndex = argv.findIndex((arg) => !arg.startsWith('-'));
  const leading = groupIndex === -1 ? argv : argv.slice(0, groupIndex);
  const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h');
  const unknownLeading = leading.find((arg) => !['--json', '--help', '-h'].includes(arg));
  if (unknownLeading) throw usageError(`unknown option "${unknownLeading}" (see gatehouse --help)`);
  if (groupIndex === -1) {
    if (wantsHelp(leading)) return { kind: 'help', text: mainUsage() };
    throw usageError('missing command (see gatehouse --help)');
  }

  const groupName = argv[groupIndex];
  const group = GROUPS.find((g) => g.name === groupName);
  if (!group) throw usageError(`unknown command group "${groupName}" (see gatehouse --help)`);

  let rest = argv.slice(groupIndex + 1);
  let commandName = rest[0];
  if (commandName === undefined || commandName.startsWith('-')) {
    if (wantsHelp(leading) || wantsHelp(rest)) return { kind: 'help', text: groupUsage(group) };
    throw usageError(`missing ${group.name} command (see gatehouse ${group.name} --help)`);
  }
  // Two-word commands (`resource rule add`) are named with a space.
  if (Object.keys(group.commands).some((name) => name.startsWith(`${commandName} `))) {
    const sub = rest[1];
    if (sub === undefined || sub.startsWith('-')) {
      if (wantsHelp(rest)) return { kind: 'help', text: groupUsage(group) };
      throw usageError(`missing ${group.name} ${commandName} command (see gatehouse ${group.name} --help)`);
    }
    commandName = `${commandName} ${sub}`;
    rest = rest.slice(1);
  }
  const command: Command | undefined = Object.hasOwn(group.commands, commandName) ? group.commands[commandName] : undefined;
  if (!command) throw usageError(`unknown ${group.name} command "${commandName}" (see gatehouse ${group.name} --help)`);

  const args = [...leading, ...rest.slice(1)];
  // Help wins over everything else on the line, even options that would not parse.
  if (wantsHelp(args)) return { kind: 'help', text: groupUsage(group) };

  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...command.options, ...GLOBAL_OPTIONS }, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // node's own message goes on to explain `--`, which is no help for these commands.
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw usageError(`${unknown ? `unknown option ${unknown[1]}` : message.split('\n')[0]} (see gatehouse ${group.name} --help)`);
  }
  const { values, positionals } = parsed;
  const expected = command.positionals;
  const usage = `usage: gatehouse ${group.name} ${commandName} ${command.synopsis}`.trimEnd();
  if (positionals.length < expected.length) throw usageError(`missing ${expected[positionals.length]} (${usage})`);
  if (positionals.length > expected.length) {
    throw usageError(`unexpected argument "${positionals[expected.length]}" (${usage})`);
  }
  return {
    kind: 'run',
    action: command.prepare(values, positionals),
    json: values.json === true,
    database: command.database ?? 'migrated',
    checkConfig: (config) => command.checkConfig?.(config, positionals),
  };
}

async function readAll(stdin: CliIo['stdin']): Promise<string> {
  // Reading a terminal would echo the secret and wait for an end-of-file people rarely know to type.
  if (stdin.isTTY) throw usageError('--password-stdin expects the password on a pipe, e.g. printf %s "$PASSWORD" | gatehouse ...');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Prisma errors start with a blank line and end with the cause; that last line is the useful one. */
function oneLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const lines = error.message.split('\n').map((line) => line.trim()).filter(Boolean);
  if (lines.length === 0) return error.name;
  return error.name.startsWith('PrismaClient') ? lines[lines.length - 1] : lines[0];
}

function exitCodeAndMessage(error: unknown): [number, string] {
  if (error instanceof CliError) return [error.exitCode, error.message];
  if (error instanceof UserInputError || error instanceof ClientInputError || error instanceof ResourceInputError) return [2, error.message];
  if (error instanceof ApiKeyInputError || error instanceof PolicyInputError) return [2, error.message];
  if (error instanceof ResourceExistsError || error instanceof ApiKeyReferenceError) return [1, error.message];
  if (error instanceof ConfigError) return [2, `configuration error: ${error.message}`];
  if (error instanceof KeyDecryptionError) return [1, error.message];
  // P2002: a unique constraint lost a race with a concurrent create.
  if ((error as { code?: unknown })?.code === 'P2002') return [1, 'already exists'];
  return [1, oneLine(error)];
}

/** Runs one command line and returns the exit status; never throws. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let db: Database | undefined;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') {
      io.stdout(parsed.text);
      return 0;
    }
    const config = loadConfig(io.env);
    parsed.checkConfig(config);
    const opened = parsed.database === 'as-is'
      ? await openDatabaseWithConnection(config.databaseUrl, { poolSize: 2 })
      : await openMigratedDatabase(config);
    db = opened.db;
    let exitCode = 0;
    await parsed.action({
      config,
      db,
      store: createHotStore(opened.connection),
      out: createOutput(parsed.json, io.stdout),
      readStdin: () => readAll(io.stdin),
      setExitCode: (code) => { exitCode = code; },
    });
    return exitCode;
  } catch (error) {
    const [code, message] = exitCodeAndMessage(error);
    // Messages quote what the operator typed; escaping control characters keeps them to one line.
    io.stderr(`gatehouse: ${message.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1))}\n`);
    if (code === 1 && io.env.LOG_LEVEL === 'debug' && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return code;
  } finally {
    await db?.$disconnect().catch(() => {});
  }
}
