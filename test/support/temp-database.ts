// A fresh, fully migrated SQLite database in its own temp folder, for tests that need real storage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations } from '../../src/persistence/migrations.js';
import { openDatabase, type Database } from '../../src/persistence/prisma-client.js';

export type TempDatabase = {
  /** DATABASE_URL of the file, e.g. for opening a second client or reading it with better-sqlite3. */
  url: string;
  db: Database;
  /** The folder holding the database file and its WAL/SHM companions. */
  dir: string;
  /** Disconnects and removes the folder. */
  close(): Promise<void>;
};

export async function createTempDatabase(): Promise<TempDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-test-'));
  const url = `file:${join(dir, 'gatehouse.db')}`;
  try {
    await applyMigrations(url);
    const db = await openDatabase(url);
    return {
      url,
      db,
      dir,
      async close() {
        await db.$disconnect();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
