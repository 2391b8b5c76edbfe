// Loads Prisma's own schema engine, compiled to WebAssembly, bound to our driver adapter. It is what
// `prisma migrate` runs, without the native binary the Prisma CLI cannot download on these machines.
import { readFile } from 'node:fs/promises';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

export interface SchemaEngineSession {
  engine: glue.SchemaEngine;
  /** Frees the engine and closes every connection it opened: freeing alone leaves the database locked. */
  close(): Promise<void>;
}

let initialised: Promise<void> | undefined;

async function initialiseWasm(): Promise<void> {
  const wasmUrl = new URL('schema_engine_bg.wasm', import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  const module = new WebAssembly.Module(await readFile(wasmUrl));
  const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': glue as unknown as WebAssembly.ModuleImports });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
}

/** Wraps a factory so the connections the engine opens can be closed when we are done with it. */
function trackConnections(factory: SqlMigrationAwareDriverAdapterFactory, opened: SqlDriverAdapter[]): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    async connect() {
      const connection = await factory.connect();
      opened.push(connection);
      return connection;
    },
    async connectToShadowDb() {
      const connection = await factory.connectToShadowDb();
      opened.push(connection);
      return connection;
    },
  };
}

export async function openSchemaEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  log: (message: string) => void = () => {},
): Promise<SchemaEngineSession> {
  initialised ??= initialiseWasm();
  await initialised;
  const opened: SqlDriverAdapter[] = [];
  const engine = await glue.SchemaEngine.new(
    { datamodels: undefined },
    log,
    bindMigrationAwareSqlAdapterFactory(trackConnections(adapterFactory, opened)),
  );
  return {
    engine,
    async close() {
      engine.free();
      await Promise.all(opened.map((connection) => connection.dispose()));
    },
  };
}

export const noSchemaFilter = { externalTables: [], externalEnums: [] };
