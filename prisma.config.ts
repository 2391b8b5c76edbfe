import { defineConfig } from 'prisma/config';

// The Prisma CLI insists on a schema-engine binary it cannot download here; `generate` never runs
// it, so any existing executable satisfies the check. Migrations use the WebAssembly engine instead.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;

// Two schemas generated from prisma/models.prisma; `npm run build` generates both clients with --schema.
export default defineConfig({ schema: 'prisma/sqlite/schema.prisma' });
