// An online backup of the SQLite database: `VACUUM INTO` writes a consistent snapshot (one read
// transaction, so a server keeps reading and writing meanwhile under WAL) to a new, compacted file
// that is a complete database on its own, ready to be a DATABASE_URL. Unlike the page-by-page backup
// API, it never restarts when a running server writes during the copy.
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from './prisma-client.js';

/** Writes the snapshot and checks it opens as a sound database; returns its size in bytes. */
export async function backupSqlite(db: Database, destination: string): Promise<{ bytes: number }> {
  await db.$executeRawUnsafe('VACUUM INTO ?', destination);
  const copy = new BetterSqlite3(destination, { readonly: true, fileMustExist: true });
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the backup at ${destination} failed its integrity check: ${String(check)}`);
    const pages = copy.pragma('page_count', { simple: true }) as number;
    const pageSize = copy.pragma('page_size', { simple: true }) as number;
    return { bytes: pages * pageSize };
  } finally {
    copy.close();
  }
}
