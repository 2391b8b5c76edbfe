import { defineConfig } from 'prisma/config';

// The Prisma CLI insists on a schema-engine binary it cannot download here; `generate` never runs
// it, so any existing executable satisfies the check. Migrations use the WebAssembly engine instead.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;

export default defineConfig({ schema: 'prisma/schema.prisma' });
