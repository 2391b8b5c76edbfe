// `gatehouse keys ...`: the keys tokens are signed with. The server loads keys at start-up, so a
// rotation takes effect at the next start; retired keys stay in the JWKS until every token they
// signed has expired, so relying parties can still verify those tokens.
import { AuditLog } from '../audit/audit-log.js';
import { listSigningKeys, retiredKeyLifetime, rotateSigningKeys, type StoredKey } from '../keys/signing-keys.js';
import type { Config } from '../config/env.js';
import { Resources } from '../resources/resources.js';
import type { CommandGroup } from './command.js';
import { failure, formatDate, table } from './output.js';

function describe(key: StoredKey) {
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.retiredAt ? 'retired' : 'active',
    created_at: key.createdAt.toISOString(),
    retired_at: key.retiredAt?.toISOString() ?? null,
    expires_at: key.expiresAt?.toISOString() ?? null,
  };
}

function keyTable(keys: StoredKey[]): string[] {
  return table(
    ['KID', 'ALG', 'STATUS', 'CREATED', 'RETIRED', 'EXPIRES'],
    keys.map((k) => [k.kid, k.alg, k.retiredAt ? 'retired' : 'active', formatDate(k.createdAt), formatDate(k.retiredAt), formatDate(k.expiresAt)]),
  );
}

/** Keys from the JWKS variable are the operator's to manage; the database keys are then unused. */
function refuseWhenOperatorKeys(config: Config): void {
  if (config.jwks) {
    throw failure('JWKS is set in the environment, so the server signs with those keys; rotate them there');
  }
}

export const keyCommands: CommandGroup = {
  name: 'keys',
  description: 'List and rotate the keys tokens are signed with',
  commands: {
    list: {
      synopsis: '',
      description: 'List signing keys, newest first: active keys sign, retired keys only verify until they expire',
      options: {},
      positionals: [],
      prepare() {
        return async (ctx) => {
          refuseWhenOperatorKeys(ctx.config);
          const keys = await listSigningKeys(ctx.db);
          ctx.out.result(
            { keys: keys.map(describe) },
            keys.length === 0 ? 'No signing keys yet: the server creates them when it first starts.' : keyTable(keys),
          );
        };
      },
    },

    rotate: {
      synopsis: '',
      description: 'Create a new key per algorithm and retire the current ones; takes effect at the next server start',
      options: {},
      positionals: [],
      prepare() {
        return async (ctx) => {
          refuseWhenOperatorKeys(ctx.config);
          const keepForSeconds = retiredKeyLifetime(ctx.config.ttl, await new Resources(ctx.db).longestTtl());
          const before = new Set((await listSigningKeys(ctx.db)).filter((k) => !k.retiredAt).map((k) => k.kid));
          const keys = await rotateSigningKeys(ctx.db, new Date(), ctx.config.keyEncryptionSecret);
          const created = keys.filter((k) => !k.retiredAt && !before.has(k.kid));
          await new AuditLog(ctx.db).record({
            type: 'keys.rotated', userAgent: 'gatehouse-cli', detail: { created: created.map((k) => k.kid).join(' ') },
          });
          ctx.out.result(
            {
              created: created.map((k) => k.kid),
              retired: [...before],
              retired_key_lifetime_seconds: keepForSeconds,
              keys: keys.map(describe),
            },
            [
              `Created ${created.length} key(s) and retired ${before.size}.`,
              `Restart the server for the new keys to start signing; retired keys stay published for ${keepForSeconds}s after that start.`,
              '',
              ...keyTable(keys),
            ],
          );
        };
      },
    },
  },
};
