// Throwaway PostgreSQL databases on a server the developer or CI provides (GATEHOUSE_TEST_POSTGRES_URL):
// the migration tools replay migrations into one instead of letting the schema engine pick a shadow
// database, and the test suite gives every test server its own. Never touches an existing database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function onAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createScratchDatabase(adminUrl: string, prefix = 'gatehouse_scratch'): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  // The name is ours (prefix from our code, random hex), so quoting it is all it needs.
  await onAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      await onAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** The server for throwaway databases, from the environment; undefined when none is configured. */
export function scratchServerUrl(env: Record<string, string | undefined> = process.env): string | undefined {
  const url = env.GATEHOUSE_TEST_POSTGRES_URL?.trim();
  return url ? url : undefined;
}
