// Loads Prisma's own schema engine, compiled to WebAssembly, bound to our driver adapter. It is what
// `prisma migrate` runs, without the native binary the Prisma CLI cannot download on these machines.
import { readFile } from 'node:fs/promises';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

export type SchemaEngine = glue.SchemaEngine;

let initialised: Promise<void> | undefined;

async function initialiseWasm(): Promise<void> {
  const wasmUrl = new URL('schema_engine_bg.wasm', import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  const module = new WebAssembly.Module(await readFile(wasmUrl));
  const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': glue as unknown as WebAssembly.ModuleImports });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
}

export async function openSchemaEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  log: (message: string) => void = () => {},
): Promise<SchemaEngine> {
  initialised ??= initialiseWasm();
  await initialised;
  return glue.SchemaEngine.new(
    { datamodels: undefined },
    log,
    bindMigrationAwareSqlAdapterFactory(adapterFactory),
  );
}

export const noSchemaFilter = { externalTables: [], externalEnums: [] };
