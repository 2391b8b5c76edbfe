// A minimal leveled logger writing one line per event to stderr. It never receives request bodies,
// so secrets cannot reach it through us.
import type { Config } from '../config/env.js';

export interface Logger {
  info(message: string): void;
  error(message: string, error?: unknown): void;
  debug(message: string): void;
}

const ORDER = { silent: 0, error: 1, info: 2, debug: 3 } as const;

export function createLogger(level: Config['logLevel']): Logger {
  const enabled = (wanted: keyof typeof ORDER) => ORDER[level] >= ORDER[wanted];
  const write = (tag: string, message: string) => process.stderr.write(`${new Date().toISOString()} ${tag} ${message}\n`);
  return {
    info: (message) => enabled('info') && write('info ', message),
    debug: (message) => enabled('debug') && write('debug', message),
    error: (message, error) => {
      if (!enabled('error')) return;
      const detail = error instanceof Error ? `: ${error.stack ?? error.message}` : error === undefined ? '' : `: ${String(error)}`;
      write('error', message + detail);
    },
  };
}
