// The CLI as documented is the CLI as built: docs/cli.md names every command `gatehouse --help`
// lists, and every `gatehouse ...` command line in README.md and docs/*.md uses a command and
// options that exist (checked against each command's own help).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { projectRoot } from '../../src/project-root.js';
import { runCli } from '../support/run-cli.js';

interface CommandHelp {
  /** e.g. "resource rule add" */
  name: string;
  options: Set<string>;
}

const GLOBAL_OPTIONS = ['--json', '--help', '-h'];

async function help(args: string[]): Promise<string> {
  const result = await runCli([...args, '--help'], { env: { PATH: process.env.PATH ?? '' }, cwd: tmpdir() });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

/** Every command the CLI offers, with the options its help synopsis shows. */
async function commands(): Promise<CommandHelp[]> {
  const main = await help([]);
  const groups = [...main.split('Groups:\n')[1].split('\n\n')[0].matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
  assert.ok(groups.length >= 5, `groups in:\n${main}`);
  const found: CommandHelp[] = [];
  for (const group of groups) {
    for (const line of (await help([group])).matchAll(/^ {2}gatehouse (.+)$/gm)) {
      const words = line[1].split(' ');
      const nameLength = words.findIndex((word, i) => i > 0 && !/^[a-z][a-z-]*$/.test(word));
      const name = words.slice(0, nameLength === -1 ? words.length : nameLength).join(' ');
      found.push({ name, options: new Set([...line[1].matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0])) });
    }
  }
  return found;
}

function guides(): { file: string; text: string }[] {
  const docs = join(projectRoot, 'docs');
  return [join(projectRoot, 'README.md'), ...readdirSync(docs).filter((n) => n.endsWith('.md')).map((n) => join(docs, n))]
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

/** `gatehouse <group> ...` command lines (shell continuations joined), up to a comment, pipe or code span end. */
function documentedCommandLines(text: string, groups: Set<string>): string[] {
  const joined = text.replace(/\\\n\s*/g, ' ');
  const lines: string[] = [];
  for (const match of joined.matchAll(/\bgatehouse ([a-z]+) ([^`\n|#;)]*)/g)) {
    if (groups.has(match[1])) lines.push(`${match[1]} ${match[2]}`.trim());
  }
  return lines;
}

test('docs/cli.md names every command, and every documented command line is one the CLI accepts', { timeout: 120_000 }, async () => {
  const all = await commands();
  const reference = readFileSync(join(projectRoot, 'docs', 'cli.md'), 'utf8');
  const unlisted = all.filter((c) => !new RegExp(`\`${c.name}(\\s|\`)`).test(reference)).map((c) => c.name);
  assert.deepEqual(unlisted, [], 'commands missing from docs/cli.md');

  const groups = new Set(all.map((c) => c.name.split(' ')[0]));
  const problems: string[] = [];
  let checked = 0;
  for (const { file, text } of guides()) {
    for (const line of documentedCommandLines(text, groups)) {
      checked += 1;
      // The longest command name the line starts with (`resource rule add` before `resource`).
      const command = all.filter((c) => line === c.name || line.startsWith(`${c.name} `)).sort((a, b) => b.name.length - a.name.length)[0];
      const where = `${relative(projectRoot, file)}: gatehouse ${line}`;
      if (!command && /^[a-z]+ (--help|-h)$/.test(line)) continue;
      if (!command) {
        problems.push(`${where} (no such command)`);
        continue;
      }
      for (const option of line.match(/(?<=^|[\s[(])--[a-z][a-z-]*/g) ?? []) {
        if (!command.options.has(option) && !GLOBAL_OPTIONS.includes(option)) problems.push(`${where} (${command.name} has no ${option})`);
      }
    }
  }
  assert.ok(checked >= 30, `only ${checked} command lines found: the scan is broken`);
  assert.deepEqual(problems, []);
});
