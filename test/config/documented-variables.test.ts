// docs/configuration.md and .env.example cannot drift from the code: the variables are found in the
// code itself (every name the server's configuration asks for while loading, plus every name the
// sources read from an environment), so a variable added tomorrow is caught without editing this test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root.js';
import { loadConfig } from '../../src/config/env.js';

/** Read by every process for itself, not configuration of ours. */
const SYSTEM_VARIABLES = new Set(['PATH', 'HOME']);

/** Names read from an environment object in TypeScript source: `env.NAME`, `env['NAME']`, `helper(env, 'NAME')`. */
function variablesReadIn(source: string): Set<string> {
  const patterns = [
    /\benv\.([A-Z][A-Z0-9_]*)\b/g,
    /\benv\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g,
    /\benv\s*,\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g,
  ];
  const names = new Set<string>();
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) names.add(match[1]);
  return names;
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

function variablesReadUnder(folder: string): Set<string> {
  const names = new Set<string>();
  for (const file of typeScriptFiles(join(projectRoot, folder))) {
    // This file's own examples of reading variables are not variables anyone reads.
    if (file.endsWith('documented-variables.test.ts')) continue;
    for (const name of variablesReadIn(readFileSync(file, 'utf8'))) if (!SYSTEM_VARIABLES.has(name)) names.add(name);
  }
  return names;
}

/** Every name loadConfig asks the environment for, however it builds the name. */
function variablesLoadConfigAsksFor(): Set<string> {
  const asked = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_target, name) {
      if (typeof name === 'string') asked.add(name);
      return undefined;
    },
  });
  loadConfig(env);
  return asked;
}

/** The names in the first column of docs/configuration.md's tables, per `## ` section. */
function documentedVariables(markdown: string): Map<string, string> {
  const sectionOf = new Map<string, string>();
  let section = '';
  for (const line of markdown.split('\n')) {
    if (line.startsWith('## ')) section = line.slice(3).trim();
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (!firstCell) continue;
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) sectionOf.set(match[1], section);
  }
  return sectionOf;
}

/** Set as `NAME=...` in .env.example, or named as `NAME=` in a comment there. */
function inEnvExample(example: string, name: string): boolean {
  return new RegExp(`(^|[\\s#])${name}=`, 'm').test(example);
}

const DEVELOPMENT_SECTION = 'Development, tests and benchmarks';

test('the scanner finds each way the code reads a variable (so this file can fail)', () => {
  const source = [
    "const port = integer(env, 'PORT', 3000, 0, 65535);",
    'const host = env.HOST?.trim();',
    "const raw = process.env['LOG_LEVEL'];",
    'const level = io.env.TRACE_LEVEL;',
    "const label = 'NOT_A_VARIABLE';",
  ].join('\n');
  assert.deepEqual([...variablesReadIn(source)].sort(), ['HOST', 'LOG_LEVEL', 'PORT', 'TRACE_LEVEL']);
  const docs = documentedVariables('## Server\n\n| variable | default |\n| --- | --- |\n| `PORT`, `HOST` | `3000` |\n');
  assert.deepEqual([...docs.keys()], ['PORT', 'HOST']);
  assert.equal(inEnvExample('# Port\nPORT=3000\n', 'PORT'), true);
  assert.equal(inEnvExample('# Port and HOST address\nPORT=3000\n', 'HOST'), false);
  assert.ok(variablesLoadConfigAsksFor().has('DATABASE_URL'), 'loadConfig is watched reading the environment');
});

test('every variable the server reads is in docs/configuration.md and .env.example', () => {
  const documented = documentedVariables(readFileSync(join(projectRoot, 'docs', 'configuration.md'), 'utf8'));
  const example = readFileSync(join(projectRoot, '.env.example'), 'utf8');
  const serverVariables = new Set([...variablesLoadConfigAsksFor(), ...variablesReadUnder('src')]);
  assert.ok(serverVariables.size >= 40, `found only ${serverVariables.size} variables: the scan is broken`);

  const missingFromDocs = [...serverVariables].filter((name) => !documented.has(name));
  assert.deepEqual(missingFromDocs, [], `add these to a table in docs/configuration.md: ${missingFromDocs.join(', ')}`);
  // Variables src/ reads for the test suite and the migration tool only are not the server's settings.
  const settings = [...serverVariables].filter((name) => documented.get(name) !== DEVELOPMENT_SECTION);
  const missingFromExample = settings.filter((name) => !inEnvExample(example, name));
  assert.deepEqual(missingFromExample, [], `add these to .env.example, with a comment: ${missingFromExample.join(', ')}`);
});

test('every variable the tests, benchmarks and scripts read is in docs/configuration.md', () => {
  const documented = documentedVariables(readFileSync(join(projectRoot, 'docs', 'configuration.md'), 'utf8'));
  const toolVariables = new Set([...variablesReadUnder('scripts'), ...variablesReadUnder('test')]);
  const missing = [...toolVariables].filter((name) => !documented.has(name));
  assert.deepEqual(missing, [], `add these to docs/configuration.md (${DEVELOPMENT_SECTION}): ${missing.join(', ')}`);
});
