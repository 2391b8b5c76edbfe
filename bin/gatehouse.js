#!/usr/bin/env node
// The `gatehouse` command. The CLI is written in TypeScript and runs from the build that
// `npm install` (prepare) and `npm run build` produce.
let cli;
try {
  cli = await import('../dist/src/cli/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/src/cli/main.js')) throw error;
  process.stderr.write('gatehouse: the build is missing; run `npm run build` first\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
