// docs/gateways.md shows the nginx and Caddy configurations the gateway tests run, printed for the
// ports of its walk-through: this keeps the guide and the tested configurations in step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root.js';
import { caddyConfig, nginxConfig } from '../support/gateways.js';

const GATEHOUSE = 'http://127.0.0.1:3000';
const API = 'http://127.0.0.1:9000';

test('docs/gateways.md shows the nginx and Caddy configurations the tests use', async () => {
  const guide = await readFile(join(projectRoot, 'docs', 'gateways.md'), 'utf8');
  const nginx = nginxConfig('/tmp/gatehouse-nginx', 8080, GATEHOUSE, API, undefined).trimEnd();
  const caddy = caddyConfig(8080, GATEHOUSE, API).trimEnd();
  assert.ok(guide.includes(`\`\`\`nginx\n${nginx}\n\`\`\``), 'the nginx block is nginxConfig() as tested: regenerate it');
  assert.ok(guide.includes(`\`\`\`caddy\n${caddy}\n\`\`\``), 'the Caddy block is caddyConfig() as tested: regenerate it');
});
