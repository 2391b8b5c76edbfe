// `gatehouse db ...`: for operators who migrate before rolling out new instances (with
// MIGRATE_ON_START=false) instead of letting each instance migrate as it starts, and who back up
// a SQLite database while the server runs.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CommandGroup } from './command.js';
import { migrateForCli } from './database.js';
import { migrationStatus } from '../persistence/migration-status.js';
import { providerOf } from '../persistence/database-provider.js';
import { sqliteFilePath } from '../persistence/database-url.js';
import { backupSqlite } from '../persistence/sqlite-backup.js';
import { failure } from './output.js';

export const dbCommands: CommandGroup = {
  name: 'db',
  description: 'Apply and inspect database migrations; back up a SQLite database',
  commands: {
    status: {
      synopsis: '',
      description: 'Show which migrations are applied and which are pending; exits 1 when some are pending',
      options: {},
      positionals: [],
      database: 'as-is',
      prepare() {
        return async (ctx) => {
          const status = await migrationStatus(ctx.db, ctx.config.databaseUrl);
          ctx.out.result(
            { provider: providerOf(ctx.config.databaseUrl), applied: status.applied, pending: status.pending, up_to_date: status.pending.length === 0 },
            [
              ...status.applied.map((name) => `applied  ${name}`),
              ...status.pending.map((name) => `pending  ${name}`),
              status.pending.length === 0 ? 'The database is up to date.' : `${status.pending.length} migration(s) pending: run \`gatehouse db migrate\`.`,
            ],
          );
          if (status.pending.length > 0) ctx.setExitCode(1);
        };
      },
    },

    migrate: {
      synopsis: '',
      description: 'Apply pending migrations (safe to run while other instances start: they take turns)',
      options: {},
      positionals: [],
      database: 'as-is',
      prepare() {
        return async (ctx) => {
          const { pending } = await migrationStatus(ctx.db, ctx.config.databaseUrl);
          // The SQLite engine needs the file to itself; the client reconnects by itself afterwards.
          await ctx.db.$disconnect();
          const applied = pending.length ? await migrateForCli(ctx.config.databaseUrl, pending) : [];
          ctx.out.result(
            { applied },
            applied.length ? applied.map((name) => `applied  ${name}`) : ['Nothing to apply: the database is up to date.'],
          );
        };
      },
    },

    backup: {
      synopsis: 'FILE',
      description: 'Write a consistent copy of the SQLite database to FILE (a new file) while the server runs; on PostgreSQL use pg_dump',
      options: {},
      positionals: ['FILE'],
      database: 'as-is',
      checkConfig(config, [file]) {
        if (providerOf(config.databaseUrl) === 'postgresql') {
          throw failure('DATABASE_URL names a PostgreSQL database: back it up with pg_dump (pg_dump --format=custom --file=FILE "$DATABASE_URL"), restore with pg_restore');
        }
        const source = sqliteFilePath(config.databaseUrl);
        const destination = resolve(file);
        if (source === ':memory:' || !existsSync(source)) throw failure(`there is no database at ${source} to back up (check DATABASE_URL)`);
        if (destination === source) throw failure(`${file} is the database itself; choose a new file`);
        if (existsSync(destination)) throw failure(`${file} already exists; a backup never overwrites a file, choose a new name`);
        if (!existsSync(dirname(destination))) throw failure(`the folder ${dirname(destination)} does not exist`);
      },
      prepare(_values, [file]) {
        return async (ctx) => {
          const destination = resolve(file);
          const { bytes } = await backupSqlite(ctx.db, destination);
          ctx.out.result({ file: destination, bytes }, `Backed up ${sqliteFilePath(ctx.config.databaseUrl)} to ${destination} (${bytes} bytes).`);
        };
      },
    },
  },
};
