// Initial access tokens (RFC 7591 §3) made by the operator, stored exactly as oidc-provider stores
// its own (keyed by a hash of their value, payload sealed under it), plus an optional number of uses.
import { randomBytes } from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';
import type { Database } from '../persistence/prisma-client.js';
import type { HotStore } from '../persistence/hot-path/hot-store.js';
import { createAdapterFactory } from '../persistence/oidc-adapter.js';
import { hashId, seal, unseal } from '../persistence/sealing.js';

const MODEL = 'InitialAccessToken';
const MAX_RACES = 10;

export interface CreatedInitialAccessToken {
  token: string;
  expiresAt: Date;
  uses: number | undefined;
}

/** Our own field in the sealed payload; oidc-provider ignores fields it does not know. */
type IatPayload = AdapterPayload & { uses_left?: number };

export async function createInitialAccessToken(db: Database, store: HotStore, expiresIn: number, uses?: number): Promise<CreatedInitialAccessToken> {
  const token = randomBytes(32).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const payload: IatPayload = { iat, exp: iat + expiresIn, jti: token, kind: MODEL, ...(uses === undefined ? {} : { uses_left: uses }) };
  await createAdapterFactory(db, store)(MODEL).upsert(token, payload, expiresIn);
  return { token, expiresAt: new Date((iat + expiresIn) * 1000), uses };
}

/**
 * Takes one use of a token before a registration goes ahead: false when it has none left. The
 * decrement is a compare-and-swap on the sealed payload (sealing is randomised, so every write
 * differs), so concurrent registrations can never share the last use. Unknown tokens return true:
 * oidc-provider then refuses them itself.
 */
export async function takeInitialAccessTokenUse(db: Database, token: string): Promise<boolean> {
  const key = { model: MODEL, idHash: hashId(token) };
  for (let attempt = 0; attempt < MAX_RACES; attempt += 1) {
    const row = await db.oidcPayload.findUnique({ where: { model_idHash: key } });
    if (!row) return true;
    const payload = JSON.parse(unseal(token, MODEL, row.payload)) as IatPayload;
    if (payload.uses_left === undefined) return true;
    if (payload.uses_left <= 0) return false;
    const next = seal(token, MODEL, JSON.stringify({ ...payload, uses_left: payload.uses_left - 1 }));
    const swapped = await db.oidcPayload.updateMany({ where: { ...key, payload: row.payload }, data: { payload: next } });
    if (swapped.count === 1) return true;
  }
  return false;
}
