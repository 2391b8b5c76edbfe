// The commands the guides show, run as written: in each docs/*.md, the shell blocks marked
// `<!-- run -->` go, in order, through one bash session in the project folder against a fresh
// server. A block fails when a command in it exits non-zero, or when Gatehouse answers it with an
// error other than the ones the guides say to expect (a device still waiting for its user).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root.js';
import { startGatehouse } from '../support/gatehouse-process.js';
import { markedShellBlocks, ShellSession } from '../support/shell-session.js';

const DOCUMENTED_ISSUER = 'http://localhost:3000';
const EXPECTED_ERRORS = new Set(['authorization_pending']);

const guides = readdirSync(join(projectRoot, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => ({ name, blocks: markedShellBlocks(readFileSync(join(projectRoot, 'docs', name), 'utf8'), 'run') }))
  .filter((guide) => guide.blocks.length > 0);

test('the guides mark the commands they show for this test', () => {
  const names = guides.map((g) => g.name);
  for (const name of ['clients-and-grants.md', 'apis-and-tokens.md', 'operations.md']) assert.ok(names.includes(name), `${name} has <!-- run --> blocks`);
});

for (const guide of guides) {
  test(`docs/${guide.name}: every marked command works`, { timeout: 600_000 }, async () => {
    const gh = await startGatehouse();
    const shell = new ShellSession(gh.env, projectRoot);
    try {
      for (const block of guide.blocks) {
        const output = await shell.run(block.replaceAll(DOCUMENTED_ISSUER, gh.issuer));
        const errors = [...output.matchAll(/"error"\s*:\s*"([^"]+)"/g)].map((m) => m[1]).filter((e) => !EXPECTED_ERRORS.has(e));
        assert.deepEqual(errors, [], `this block got errors:\n${block}\n---\n${output}`);
      }
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nserver log:\n${gh.output()}`);
    } finally {
      shell.close();
      await gh.stop();
    }
  });
}
