// Initial access tokens (RFC 7591 §3) made by the operator, stored exactly as oidc-provider stores
// its own (sealed under their value by the adapter), plus an optional number of uses.
import { randomBytes } from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';
import type { Database } from '../persistence/prisma-client.js';
import { createAdapterFactory } from '../persistence/oidc-adapter.js';

const MODEL = 'InitialAccessToken';

export interface CreatedInitialAccessToken {
  token: string;
  expiresAt: Date;
  uses: number | undefined;
}

/** Our own field in the sealed payload; oidc-provider ignores fields it does not know. */
type IatPayload = AdapterPayload & { uses_left?: number };

export async function createInitialAccessToken(db: Database, expiresIn: number, uses?: number): Promise<CreatedInitialAccessToken> {
  const token = randomBytes(32).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const payload: IatPayload = { iat, exp: iat + expiresIn, jti: token, kind: MODEL, ...(uses === undefined ? {} : { uses_left: uses }) };
  await createAdapterFactory(db)(MODEL).upsert(token, payload, expiresIn);
  return { token, expiresAt: new Date((iat + expiresIn) * 1000), uses };
}

/** Counts one registration made with the token; the last allowed use deletes it. */
export async function countInitialAccessTokenUse(db: Database, token: string): Promise<void> {
  const adapter = createAdapterFactory(db)(MODEL);
  const payload = (await adapter.find(token)) as IatPayload | undefined;
  if (payload?.uses_left === undefined) return;
  if (payload.uses_left <= 1) {
    await adapter.destroy(token);
    return;
  }
  const remaining = typeof payload.exp === 'number' ? payload.exp - Math.floor(Date.now() / 1000) : undefined;
  await adapter.upsert(token, { ...payload, uses_left: payload.uses_left - 1 }, remaining);
}
