// A fresh, fully migrated database (SQLite file in its own temp folder, or a scratch PostgreSQL
// database when GATEHOUSE_TEST_POSTGRES_URL is set), for tests that need real storage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations } from '../../src/persistence/migrations.js';
import { openDatabaseWithConnection, type Database } from '../../src/persistence/prisma-client.js';
import { createHotStore } from '../../src/persistence/hot-path/create-hot-store.js';
import type { HotStore } from '../../src/persistence/hot-path/hot-store.js';
import { createTestDatabase } from './test-database.js';

export type TempDatabase = {
  /** DATABASE_URL of the database, e.g. for opening a second client. */
  url: string;
  db: Database;
  /** The hot-path statements on the same connection as `db`. */
  store: HotStore;
  /** A temp folder of the test's own (holding the SQLite file and its WAL/SHM companions on SQLite). */
  dir: string;
  /** Disconnects and removes the folder and the database. */
  close(): Promise<void>;
};

export async function createTempDatabase(): Promise<TempDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-test-'));
  const database = await createTestDatabase(dir);
  const cleanUp = async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await applyMigrations(database.url);
    const { db, connection } = await openDatabaseWithConnection(database.url);
    return {
      url: database.url,
      db,
      store: createHotStore(connection),
      dir,
      async close() {
        await db.$disconnect();
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
