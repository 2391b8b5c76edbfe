// Which database a DATABASE_URL names. Everything that differs between SQLite and PostgreSQL (client,
// driver adapter, migration folder, locking) branches on this one function.
export type DatabaseProvider = 'sqlite' | 'postgresql';

export const DATABASE_PROVIDERS: readonly DatabaseProvider[] = ['sqlite', 'postgresql'];

export function providerOf(databaseUrl: string): DatabaseProvider {
  if (databaseUrl.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return 'postgresql';
  throw new TypeError('DATABASE_URL must start with file:, postgres:// or postgresql://');
}
