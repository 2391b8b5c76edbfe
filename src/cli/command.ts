// What a command group module gives main.ts, and helpers for reading parsed options. Commands are
// split in two phases so a malformed command line fails before any configuration or database work.
import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config/env.js';
import type { Database } from '../persistence/prisma-client.js';
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import { usageError, type Output } from './output.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  config: Config;
  db: Database;
  /** The server's per-request statements on the same connection, for commands that write those rows. */
  store: HotStore;
  out: Output;
  /** All of standard input, for secrets that must stay out of argv and shell history. */
  readStdin(): Promise<string>;
  /** For commands whose answer is a status (e.g. `db status` with pending migrations): exit non-zero after printing. */
  setExitCode(code: number): void;
}

export type Action = (ctx: CommandContext) => Promise<void>;

export interface Command {
  /** Arguments after `gatehouse <group> <command>`, for help. */
  synopsis: string;
  description: string;
  options: OptionSpec;
  /** Names of the positional arguments, all required. */
  positionals: string[];
  /** 'migrated' (default): pending migrations are applied first; 'as-is': the database is opened untouched. */
  database?: 'migrated' | 'as-is';
  /** Refuses, before the database is opened, what the configuration rules out (e.g. a SQLite-only command on PostgreSQL). */
  checkConfig?(config: Config, positionals: string[]): void;
  /** Checks the arguments (throwing usage errors) and returns the work to do. */
  prepare(values: ParsedValues, positionals: string[]): Action;
}

export interface CommandGroup {
  name: string;
  description: string;
  commands: Record<string, Command>;
}

export function optionalString(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredString(values: ParsedValues, name: string): string {
  const value = optionalString(values, name);
  if (value === undefined) throw usageError(`--${name} is required`);
  return value;
}

export function stringList(values: ParsedValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function flag(values: ParsedValues, name: string): boolean {
  return values[name] === true;
}

export const passwordOptions: OptionSpec = {
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
};

/**
 * Where the password comes from: `--password` (visible in process lists and shell history) or
 * `--password-stdin`, which reads everything on stdin and drops the one trailing newline `echo` adds.
 */
export function passwordSource(values: ParsedValues): (ctx: CommandContext) => Promise<string> {
  const inline = optionalString(values, 'password');
  const fromStdin = flag(values, 'password-stdin');
  if (inline !== undefined && fromStdin) throw usageError('give either --password or --password-stdin, not both');
  if (inline !== undefined) return async () => inline;
  if (fromStdin) return async (ctx) => (await ctx.readStdin()).replace(/\r?\n$/, '');
  throw usageError('--password or --password-stdin is required');
}
