// Turns DATABASE_URL into what the SQLite driver needs, and creates the folder the file lives in
// so a fresh clone starts without manual steps.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export function sqliteFilePath(databaseUrl: string): string {
  const path = databaseUrl.slice('file:'.length).split('?')[0];
  return path === ':memory:' ? path : resolve(path);
}

export function ensureDatabaseFolder(databaseUrl: string): void {
  const path = sqliteFilePath(databaseUrl);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
}
