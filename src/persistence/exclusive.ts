// Runs a check-then-create step in one process at a time across every instance sharing the
// database, on either provider: the transaction first writes a lock row, which blocks the others
// (a row lock on PostgreSQL, the write lock on SQLite) until it commits, so they then see its work.
import type { Database } from './prisma-client.js';

export type Transaction = Parameters<Parameters<Database['$transaction']>[0]>[0];

/** A concurrent first insert of the lock row, or a stale SQLite snapshot, is worth another go. */
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'P2002' || code === 'P2034' || (error instanceof Error && /SQLITE_BUSY|database is locked|could not serialize/i.test(error.message));
}

export async function exclusively<T>(db: Database, name: string, work: (tx: Transaction) => Promise<T>): Promise<T> {
  const lock = `lock:${name}`;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await db.$transaction(async (tx) => {
        await tx.serverSecret.upsert({ where: { name: lock }, create: { name: lock, value: '' }, update: { value: '' } });
        return work(tx);
      }, { maxWait: 10_000, timeout: 20_000 });
    } catch (error) {
      if (attempt >= 5 || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
