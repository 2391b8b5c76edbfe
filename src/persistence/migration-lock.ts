// Serialises migrating across processes. On PostgreSQL several instances may start at once: each
// takes a session-level advisory lock on its own connection before the schema engine runs, so one
// applies the pending migrations and the others then find nothing left to do. SQLite needs no lock
// of ours: the engine holds the file's exclusive lock while it migrates.
import pg from 'pg';
import { providerOf } from './database-provider.js';

/** An arbitrary, fixed key: the same in every Gatehouse process, unlikely to clash with others'. */
const MIGRATION_LOCK_KEY = 0x6761_7465; // "gate"

export async function withMigrationLock<T>(databaseUrl: string, work: () => Promise<T>): Promise<T> {
  if (providerOf(databaseUrl) !== 'postgresql') return work();
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}
