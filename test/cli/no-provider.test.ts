// The CLI manages users, clients, APIs, keys and the database without loading oidc-provider: on
// Node 20 loading it prints "Unsupported runtime" in the middle of the CLI's output, and a command
// should not pay for the provider it never uses. A module hook refuses to resolve oidc-provider,
// so any command whose import chain reaches it (statically or lazily) fails here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../src/project-root.js';
import { CLI } from '../support/run-cli.js';

let dir: string;
let register: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-no-provider-'));
  await writeFile(join(dir, 'hooks.mjs'), [
    'export async function resolve(specifier, context, next) {',
    "  if (specifier === 'oidc-provider' || specifier.startsWith('oidc-provider/')) {",
    "    throw new Error(`LOADED oidc-provider from ${context.parentURL}`);",
    '  }',
    '  return next(specifier, context);',
    '}',
  ].join('\n'));
  await writeFile(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
  register = pathToFileURL(join(dir, 'register.mjs')).href;
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function run(args: string[], input = ''): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', register, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, DATABASE_URL: `file:${join(dir, 'gatehouse.db')}` },
    input,
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('the hook catches a module that loads oidc-provider (the server does)', () => {
  const server = run(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(projectRoot, 'dist', 'src', 'server.js')).href)})`]);
  assert.notEqual(server.code, 0);
  assert.match(server.stderr, /LOADED oidc-provider from/);
});

test('no CLI command loads oidc-provider, and none prints its warning', () => {
  const ok = (args: string[], input?: string) => {
    const result = run([CLI, ...args, '--json'], input);
    assert.equal(result.code, 0, `gatehouse ${args.join(' ')}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /oidc-provider/);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };
  ok(['db', 'migrate']);
  ok(['db', 'status']);
  ok(['user', 'create', '--email', 'cli@example.com', '--password-stdin'], 'correct horse battery staple\n');
  ok(['user', 'list']);
  const client = ok(['client', 'create', '--name', 'Job', '--grant', 'client_credentials']);
  ok(['client', 'show', String(client.client_id)]);
  ok(['resource', 'create', '--identifier', 'https://api.example.com', '--scope', 'read']);
  ok(['resource', 'list']);
  ok(['apikey', 'create', '--client', String(client.client_id), '--resource', 'https://api.example.com']);
  ok(['iat', 'create']);
  ok(['keys', 'rotate']);
  ok(['keys', 'list']);
  ok(['audit', 'list']);
  ok(['db', 'backup', join(dir, 'backup.db')]);
});
