// The models live once in prisma/models.prisma; each provider's schema is that file plus a generator
// and a datasource. Both schema files are generated from it (and a test fails when they drift), so
// the SQLite and PostgreSQL clients and migrations always describe the same models.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../project-root.js';
import type { DatabaseProvider } from './database-provider.js';

export const prismaFolder = join(projectRoot, 'prisma');
export const modelsFile = join(prismaFolder, 'models.prisma');

export function schemaFile(provider: DatabaseProvider): string {
  return join(prismaFolder, provider, 'schema.prisma');
}

export function migrationsFolder(provider: DatabaseProvider): string {
  return join(prismaFolder, provider, 'migrations');
}

/** The schema file for one provider, from the shared models. */
export function renderSchema(provider: DatabaseProvider, models: string): string {
  return [
    '// GENERATED from prisma/models.prisma by `npm run db:migration` (or `npm run db:schemas`); do not',
    '// edit. Models are defined once there; this file adds the client generator and datasource.',
    '',
    'generator client {',
    '  provider            = "prisma-client"',
    `  output              = "../../src/generated/${provider}"`,
    '  moduleFormat        = "esm"',
    '  importFileExtension = "js"',
    '}',
    '',
    'datasource db {',
    `  provider = "${provider}"`,
    '}',
    '',
    models.trimEnd(),
    '',
  ].join('\n');
}

export async function readModels(): Promise<string> {
  return readFile(modelsFile, 'utf8');
}

/** Writes both schema files from the models; returns the providers whose file changed. */
export async function writeSchemas(providers: readonly DatabaseProvider[]): Promise<DatabaseProvider[]> {
  const models = await readModels();
  const changed: DatabaseProvider[] = [];
  for (const provider of providers) {
    const wanted = renderSchema(provider, models);
    const current = await readFile(schemaFile(provider), 'utf8').catch(() => '');
    if (current !== wanted) {
      await writeFile(schemaFile(provider), wanted);
      changed.push(provider);
    }
  }
  return changed;
}
