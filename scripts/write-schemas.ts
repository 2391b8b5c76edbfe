// `npm run db:schemas`: writes prisma/sqlite/schema.prisma and prisma/postgresql/schema.prisma from
// prisma/models.prisma (`npm run db:migration` does this too before it diffs).
import { DATABASE_PROVIDERS } from '../src/persistence/database-provider.js';
import { writeSchemas } from '../src/persistence/schema-files.js';

const changed = await writeSchemas(DATABASE_PROVIDERS);
process.stdout.write(changed.length ? `Wrote ${changed.map((p) => `prisma/${p}/schema.prisma`).join(', ')}\n` : 'Schemas already match prisma/models.prisma.\n');
