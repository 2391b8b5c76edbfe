// A fresh, fully migrated SQLite database in its own temp folder, for tests that need real storage.
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
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
    await applyMigrationsInWorker(url);
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

const migrationsModule = new URL('../../src/persistence/migrations.js', import.meta.url).href;
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.migrationsModule)
  .then((migrations) => migrations.applyMigrations(workerData.url))
  .then(() => parentPort.postMessage({ ok: true }), (error) => parentPort.postMessage({ ok: false, error }));
`;

/**
 * Runs applyMigrations in a worker that is then terminated. applyMigrations frees the wasm schema
 * engine but never disposes the SQLite connection the engine opened, and that connection keeps the
 * file locked until garbage collection closes it; better-sqlite3's busy timeout blocks the event
 * loop, so opening the client right after waits the whole timeout and fails with SQLITE_BUSY.
 * Ending the worker closes its connections deterministically.
 */
async function applyMigrationsInWorker(url: string): Promise<void> {
  const worker = new Worker(workerSource, { eval: true, workerData: { migrationsModule, url } });
  try {
    const [result] = (await once(worker, 'message')) as [{ ok: boolean; error?: unknown }];
    if (!result.ok) throw result.error;
  } finally {
    await worker.terminate();
  }
}
