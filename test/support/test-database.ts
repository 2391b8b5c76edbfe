// Which database the tests run on. By default each test server or sandbox gets a fresh SQLite file
// in its temp folder; with GATEHOUSE_TEST_POSTGRES_URL set (CI's second pass) each gets a fresh
// database on that PostgreSQL server instead, dropped afterwards.
import { join } from 'node:path';
import { createScratchDatabase, scratchServerUrl } from '../../src/persistence/scratch-database.js';
import type { DatabaseProvider } from '../../src/persistence/database-provider.js';

export interface TestDatabase {
  url: string;
  /** The SQLite file, when the tests run on SQLite. */
  file: string | undefined;
  drop(): Promise<void>;
}

export const testProvider: DatabaseProvider = scratchServerUrl() ? 'postgresql' : 'sqlite';

/** Reason to skip a test that reads the SQLite file itself, or false on SQLite. */
export const sqliteOnly: string | false = testProvider === 'sqlite' ? false : 'reads the SQLite file directly';

export async function createTestDatabase(dir: string, name = 'gatehouse.db'): Promise<TestDatabase> {
  const server = scratchServerUrl();
  if (!server) {
    const file = join(dir, name);
    return { url: `file:${file}`, file, drop: async () => {} };
  }
  const scratch = await createScratchDatabase(server, 'gatehouse_test');
  return { url: scratch.url, file: undefined, drop: scratch.drop };
}
