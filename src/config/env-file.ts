// Loads a `.env` file from the working directory when there is one, so operators can keep settings
// beside the server. Variables already set in the environment win over the file.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export function loadEnvFile(path = resolve('.env')): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
