// The map stays true: every relative link in README.md and docs/*.md points at a file that exists,
// and a link with an anchor at a heading of that file (GitHub's heading ids).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { projectRoot } from '../../src/project-root.js';

function markdownFiles(): string[] {
  const docs = join(projectRoot, 'docs');
  return [join(projectRoot, 'README.md'), ...readdirSync(docs).filter((name) => name.endsWith('.md')).map((name) => join(docs, name))];
}

/** Text outside fenced code blocks and inline code, where a link is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = match[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    ids.add(count === 0 ? base : `${base}-${count}`);
  }
  return ids;
}

function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

test('GitHub heading ids, as links to them are written', () => {
  const ids = headingIds('# Title\n## Dynamic client registration (RFC 7591 / 7592)\n### `private_key_jwt`\n## Notes\n## Notes\n```sh\n# not a heading\n```\n');
  assert.deepEqual([...ids], ['title', 'dynamic-client-registration-rfc-7591--7592', 'private_key_jwt', 'notes', 'notes-1']);
  assert.deepEqual(relativeLinks('[a](docs/x.md#y) [b](https://example.com) `[c](no.md)` [d](#here)'), ['docs/x.md#y', '#here']);
});

test('every relative link in README.md and docs/*.md leads to an existing file and heading', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of markdownFiles()) {
    const markdown = readFileSync(file, 'utf8');
    for (const link of relativeLinks(markdown)) {
      checked += 1;
      const [path, anchor] = link.split('#', 2);
      const target = path ? join(dirname(file), decodeURIComponent(path)) : file;
      const where = `${relative(projectRoot, file)}: ${link}`;
      if (!existsSync(target)) {
        broken.push(`${where} (no such file)`);
        continue;
      }
      if (anchor && target.endsWith('.md') && statSync(target).isFile() && !headingIds(readFileSync(target, 'utf8')).has(anchor)) {
        broken.push(`${where} (no such heading)`);
      }
    }
  }
  assert.ok(checked >= 40, `only ${checked} links found: the scan is broken`);
  assert.deepEqual(broken, []);
});

test('every guide says what it is for before anything else', () => {
  for (const file of markdownFiles().filter((f) => f.includes(`${join('docs', '')}`))) {
    const [title, ...rest] = readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
    const opening = title.startsWith('# ') ? rest[0] : title;
    assert.ok(opening && !opening.startsWith('#') && !opening.startsWith('|') && !opening.startsWith('```'),
      `${relative(projectRoot, file)} opens with a sentence on what it is for`);
  }
});

test('the README stays a front door: at most about 200 lines, and every guide is reachable from it', () => {
  const readme = join(projectRoot, 'README.md');
  const lines = readFileSync(readme, 'utf8').split('\n').length;
  assert.ok(lines <= 210, `README.md has ${lines} lines: move detail into a guide under docs/`);
  const reached = new Set([readme]);
  const queue = [readme];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const link of relativeLinks(readFileSync(file, 'utf8'))) {
      const path = link.split('#', 1)[0];
      if (!path.endsWith('.md')) continue;
      const target = join(dirname(file), decodeURIComponent(path));
      if (existsSync(target) && !reached.has(target)) {
        reached.add(target);
        queue.push(target);
      }
    }
  }
  const unreachable = markdownFiles().filter((file) => !reached.has(file)).map((file) => relative(projectRoot, file));
  assert.deepEqual(unreachable, [], 'guides no link from the README leads to');
});
