// The project root, found from this file whether it runs from src/ or from the build in dist/src/,
// so views, migrations and the schema are found wherever the process was started.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error('cannot find the Gatehouse project root');
    dir = parent;
  }
  return dir;
}

export const projectRoot = findRoot();
