// `gatehouse iat create`: initial access tokens that let a client register itself at /reg
// (RFC 7591) while open registration is off. The token is printed once; only a hash is stored.
import { createInitialAccessToken } from '../registration/initial-access-tokens.js';
import { optionalString, type CommandGroup } from './command.js';
import { usageError } from './output.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const MAX_SECONDS = 365 * 86400;

/** "90s", "30m", "12h", "7d" (or plain seconds) to seconds. */
export function parseDuration(raw: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(raw.trim());
  if (!match) throw usageError(`--expires must look like 90s, 30m, 12h or 7d, got "${raw}"`);
  const seconds = Number(match[1]) * UNITS[match[2] || 's'];
  if (seconds < 60 || seconds > MAX_SECONDS) throw usageError('--expires must be between 1 minute and 365 days');
  return seconds;
}

export const iatCommands: CommandGroup = {
  name: 'iat',
  description: 'Create initial access tokens for dynamic client registration',
  commands: {
    create: {
      synopsis: '[--expires 7d] [--uses N]',
      description: 'Create an initial access token (default: valid 7 days, any number of uses); it is shown once',
      options: {
        expires: { type: 'string' },
        uses: { type: 'string' },
      },
      positionals: [],
      prepare(values) {
        const expiresIn = parseDuration(optionalString(values, 'expires') ?? '7d');
        const rawUses = optionalString(values, 'uses');
        if (rawUses !== undefined && !/^[1-9]\d{0,5}$/.test(rawUses)) throw usageError(`--uses must be a whole number from 1, got "${rawUses}"`);
        const uses = rawUses === undefined ? undefined : Number(rawUses);
        return async (ctx) => {
          const created = await createInitialAccessToken(ctx.db, ctx.store, expiresIn, uses);
          ctx.out.result(
            { initial_access_token: created.token, expires_at: created.expiresAt.toISOString(), uses: created.uses ?? null },
            [
              `initial_access_token: ${created.token}`,
              `expires:              ${created.expiresAt.toISOString()}`,
              `uses:                 ${created.uses ?? 'unlimited'}`,
              '',
              'Give it to the client developer now: it is shown only once. The client sends it as',
              '"Authorization: Bearer <token>" to the registration endpoint (registration_endpoint in discovery).',
            ],
          );
        };
      },
    },
  },
};
