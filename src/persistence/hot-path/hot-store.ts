// The queries every protocol request makes (token rows, the client, its APIs, device polls, the
// signed-in user), as prepared statements on the same connection Prisma uses. Through Prisma's
// query layer each cost 250-400 µs, several times the bare protocol work of a token request; as
// prepared statements they cost tens of µs. Prisma still owns the schema, its migrations and every
// other query. Times are epoch milliseconds, so both dialects hand back the same values.

/** A token-like row: its sealed payload and the two instants oidc-provider cares about. */
export interface StoredPayload {
  payload: string;
  expiresAt: number | null;
  consumedAt: number | null;
}

export interface GrantRecord {
  id: string;
  accountId: string;
  clientId: string;
  payload: string;
  expiresAt: number | null;
}

export interface RefreshTokenRecord {
  idHash: string;
  grantId: string | null;
  accountId: string | null;
  clientId: string | null;
  payload: string;
  expiresAt: number | null;
}

export interface PayloadRecord {
  model: string;
  idHash: string;
  grantId: string | null;
  clientId: string | null;
  userCodeHash: string | null;
  uidHash: string | null;
  sealedId: string | null;
  payload: string;
  expiresAt: number | null;
}

/** The column a DeviceCode (user code) or Session (uid) is also found by. */
export type SecondaryColumn = 'userCodeHash' | 'uidHash';

export interface ResourceRecord {
  identifier: string;
  scope: string;
  accessTokenFormat: string;
  accessTokenTtl: number | null;
  jwtAlg: string;
  createdAt: number;
}

export interface DevicePollRecord {
  lastPolledAt: number;
  interval: number;
}

export interface UserRecord {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
}

/** A rate-limiter counter: points used in the window that ends at `expire` (null: never). */
export interface RateLimitRecord {
  points: number;
  expire: number | null;
}

export interface ClientLimitsRecord {
  rateLimit: number | null;
  dailyQuota: number | null;
}

export interface HotStore {
  findClientMetadata(id: string): Promise<string | undefined>;
  findClientLimits(id: string): Promise<ClientLimitsRecord | undefined>;

  upsertGrant(row: GrantRecord, now: number): Promise<void>;
  findGrant(id: string): Promise<StoredPayload | undefined>;
  deleteGrant(id: string): Promise<void>;

  /** Leaves consumedAt alone: a re-save must never make a used token usable again. */
  upsertRefreshToken(row: RefreshTokenRecord, now: number): Promise<void>;
  findRefreshToken(idHash: string): Promise<StoredPayload | undefined>;
  /** Marks the token used; false when it already was (or is gone): another request got there first. */
  consumeRefreshToken(idHash: string, at: number): Promise<boolean>;
  deleteRefreshToken(idHash: string): Promise<void>;
  deleteRefreshTokensOfGrant(grantId: string): Promise<void>;
  /** Deletes a grant with every row bound to it (refresh tokens, codes, access tokens), as the CLI's revocations do. */
  revokeGrant(grantId: string): Promise<void>;

  /** Leaves consumedAt alone, as upsertRefreshToken does. */
  upsertPayload(row: PayloadRecord, now: number): Promise<void>;
  findPayload(model: string, idHash: string): Promise<StoredPayload | undefined>;
  /** The newest row for the value that expired no earlier than `liveAfter`, with its sealed id. */
  findPayloadBy(model: string, column: SecondaryColumn, hash: string, liveAfter: number): Promise<(StoredPayload & { sealedId: string | null }) | undefined>;
  /** As consumeRefreshToken: false when another request consumed it first. */
  consumePayload(model: string, idHash: string, at: number): Promise<boolean>;
  deletePayload(model: string, idHash: string): Promise<void>;
  deletePayloadsOfGrant(model: string, grantId: string): Promise<void>;

  listResources(): Promise<ResourceRecord[]>;

  findDevicePoll(idHash: string): Promise<DevicePollRecord | undefined>;
  /** The first poll of a device code; a concurrent first poll only moves lastPolledAt. */
  insertDevicePoll(idHash: string, polledAt: number, interval: number, expiresAt: number): Promise<void>;
  updateDevicePoll(idHash: string, polledAt: number, interval: number): Promise<void>;

  findUser(id: string): Promise<UserRecord | undefined>;

  /**
   * Adds `points` to a counter in one atomic statement and returns it: a counter whose window ended
   * at or before `now` starts again at `points` until `expire`. With `replace`, the counter is set
   * to `points` and `expire` whatever it held (blocks and resets).
   */
  addRateLimitPoints(key: string, points: number, expire: number | null, now: number, replace: boolean): Promise<RateLimitRecord>;
  /** The counter if its window has not ended by `now`. */
  findRateLimit(key: string, now: number): Promise<RateLimitRecord | undefined>;
  /** True when there was a counter to delete. */
  deleteRateLimit(key: string): Promise<boolean>;
}
