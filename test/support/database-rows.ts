// Reads and writes a test database with plain SQL beside Gatehouse, on SQLite (better-sqlite3 on the
// file) or PostgreSQL (pg), so tests can check what is really stored. SQL uses `?` placeholders and
// double-quoted identifiers, which both databases accept once `?` becomes `$n` for PostgreSQL.
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { providerOf } from '../../src/persistence/database-provider.js';
import { sqliteFilePath } from '../../src/persistence/database-url.js';

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${(n += 1)}`);
}

export async function queryRows<T = Record<string, unknown>>(url: string, sql: string, ...params: unknown[]): Promise<T[]> {
  if (providerOf(url) === 'sqlite') {
    const db = new Sqlite(sqliteFilePath(url), { fileMustExist: true });
    try {
      const statement = db.prepare(sql);
      return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as T[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(numbered(sql), params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Every row of every table, as text. */
export async function dumpRows(url: string): Promise<string> {
  const tables = providerOf(url) === 'sqlite'
    ? await queryRows<{ name: string }>(url, "SELECT name FROM sqlite_master WHERE type = 'table'")
    : await queryRows<{ name: string }>(url, "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()");
  const parts: string[] = [];
  for (const { name } of tables) parts.push(`${name}: ${JSON.stringify(await queryRows(url, `SELECT * FROM "${name}"`))}`);
  return parts.join('\n');
}
