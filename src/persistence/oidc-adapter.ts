// oidc-provider's storage adapter. Clients and grants are stored in clear (their ids are not bearer
// credentials); every token-like model is stored under a hash of its id with its payload sealed by
// that id, so a copy of the database hands out no working token, code or session id. Every request
// reads and writes these rows, so they go through the prepared hot-path statements (hot-path/); the
// rare client writes of dynamic registration go through Prisma like every other repository.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { Database } from './prisma-client.js';
import type { HotStore, SecondaryColumn, StoredPayload } from './hot-path/hot-store.js';
import { hashId, seal, unseal } from './sealing.js';
import { retentionCutoff } from './retention.js';
import { hashClientSecret, isHashedSecret } from '../oidc/client-secrets.js';
import { Clients } from '../clients/clients.js';

/** When a row stops being served; oidc-provider passes no expiresIn for rows that never expire. */
function expiresAtFor(expiresIn: number | undefined): number | null {
  return typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null;
}

/** Rows stay visible a while past expiry: oidc-provider itself refuses expired ones, precisely. */
function isLive(row: StoredPayload): boolean {
  return row.expiresAt === null || row.expiresAt >= retentionCutoff().getTime();
}

/** oidc-provider reads `consumed` as a truthy marker; epoch seconds as its memory adapter does. */
function withConsumed(payload: AdapterPayload, consumedAt: number | null): AdapterPayload {
  return consumedAt === null ? payload : { ...payload, consumed: Math.floor(consumedAt / 1000) };
}

function requiredString(payload: AdapterPayload, key: 'accountId' | 'clientId', model: string): string {
  const value = payload[key];
  if (typeof value !== 'string' || value === '') throw new TypeError(`${model} payload has no ${key}`);
  return value;
}

/**
 * The error for a request that presented a one-time value (code, refresh token) another request
 * consumed first, given its model and grant; the grant is already revoked when it is called.
 */
export type ReplayRefusal = (model: string, grantId: string | undefined) => Error;

/**
 * The refresh-token retry window (see src/oidc/refresh-retry.ts): how long after a rotation the
 * rotated token may be presented again, the child id its rotation makes, and whether the request in
 * progress is a refresh grant presenting a given token.
 */
export interface RefreshRetryWindow {
  windowMs: number;
  childOf(parentId: string): string;
  isRefreshOf(id: string): boolean;
}

/** Outside the provider (the CLI) nothing is consumed; this only names the model should it be. */
const plainRefusal: ReplayRefusal = (model) => new Error(`${model} already consumed`);

/**
 * oidc-provider checks `consumed` on the row it read, then consumes: two requests presenting the same
 * code or refresh token at once both pass that check. The conditional consume lets only the first
 * through; the other is a replay like any other, so the grant is revoked (as oidc-provider does for
 * a sequential one) and the request refused.
 */
async function refuseConcurrentReplay(store: HotStore, refusal: ReplayRefusal, model: string, grantId: unknown): Promise<never> {
  const grant = typeof grantId === 'string' && grantId !== '' ? grantId : undefined;
  if (grant) await store.revokeGrant(grant);
  throw refusal(model, grant);
}

/** Lookups by user code or uid only exist for models that carry them; the rest find nothing. */
abstract class BaseAdapter implements Adapter {
  constructor(protected readonly store: HotStore, protected readonly name: string) {}

  abstract upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
  abstract find(id: string): Promise<AdapterPayload | undefined>;
  abstract destroy(id: string): Promise<void>;
  abstract revokeByGrantId(grantId: string): Promise<void>;

  async findByUserCode(_userCode: string): Promise<AdapterPayload | undefined> {
    return undefined;
  }

  async findByUid(_uid: string): Promise<AdapterPayload | undefined> {
    return undefined;
  }

  // Only tokens are consumable; silently ignoring a consume would let a one-time value be reused.
  async consume(_id: string): Promise<void> {
    throw new Error(`${this.name} cannot be consumed`);
  }
}

/**
 * Clients as oidc-provider loads them, and dynamically registered ones as it stores them. A new
 * client's secret arrives in clear (the registration response shows it once); only its SHA-256 is
 * stored, which is what the provider's secret comparison expects (see create-provider.ts).
 */
class ClientAdapter extends BaseAdapter {
  constructor(store: HotStore, name: string, private readonly db: Database) {
    super(store, name);
  }

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    const secret = typeof payload.client_secret === 'string' ? payload.client_secret : undefined;
    const secretHash = secret === undefined ? null : isHashedSecret(secret) ? secret : hashClientSecret(secret);
    const stored = secretHash === null ? payload : { ...payload, client_secret: secretHash };
    const data = { name: payload.client_name ?? id, metadata: JSON.stringify(stored), secretHash };
    await this.db.client.upsert({ where: { id }, create: { id, ...data }, update: data });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const metadata = await this.store.findClientMetadata(id);
    return metadata === undefined ? undefined : (JSON.parse(metadata) as AdapterPayload);
  }

  // A client deleting itself (RFC 7592) loses its grants and tokens, as with `gatehouse client delete`.
  async destroy(id: string): Promise<void> {
    await new Clients(this.db).delete(id);
  }

  // Clients belong to no grant.
  async revokeByGrantId(_grantId: string): Promise<void> {}
}

/** Grants in clear, with account and client as columns so they can be listed and revoked per user. */
class GrantAdapter extends BaseAdapter {
  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.store.upsertGrant({
      id,
      accountId: requiredString(payload, 'accountId', this.name),
      clientId: requiredString(payload, 'clientId', this.name),
      payload: JSON.stringify(payload),
      expiresAt: expiresAtFor(expiresIn),
    }, Date.now());
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await this.store.findGrant(id);
    return row && isLive(row) ? (JSON.parse(row.payload) as AdapterPayload) : undefined;
  }

  async destroy(id: string): Promise<void> {
    await this.store.deleteGrant(id);
  }

  // A grant's id is its grantId; oidc-provider itself uses destroy for this.
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.destroy(grantId);
  }
}

/**
 * Refresh tokens have their own table so they can be listed and revoked per account or client.
 * With a retry window, a rotated token presented again soon enough, while its child is still the
 * live token of the family (or was never stored: the rotation was cut short), reads as unused, so
 * oidc-provider rotates it again into the same child. Any other reuse is a replay, as before.
 */
class RefreshTokenAdapter extends BaseAdapter {
  constructor(store: HotStore, name: string, private readonly refusal: ReplayRefusal, private readonly retry: RefreshRetryWindow | undefined) {
    super(store, name);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.store.upsertRefreshToken({
      idHash: hashId(id),
      grantId: payload.grantId ?? null,
      accountId: payload.accountId ?? null,
      clientId: payload.clientId ?? null,
      payload: seal(id, this.name, JSON.stringify(payload)),
      expiresAt: expiresAtFor(expiresIn),
    }, Date.now());
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await this.store.findRefreshToken(hashId(id));
    if (!row || !isLive(row)) return undefined;
    const payload = JSON.parse(unseal(id, this.name, row.payload)) as AdapterPayload;
    // Only the refresh grant sees a retry as unused; introspection still reports the token spent.
    if (this.retry?.isRefreshOf(id) && await this.mayRetry(id, row.consumedAt)) return payload;
    return withConsumed(payload, row.consumedAt);
  }

  override async consume(id: string): Promise<void> {
    if (await this.store.consumeRefreshToken(hashId(id), Date.now())) return;
    // Another request rotated it first: a simultaneous retry goes on to the same child.
    const row = await this.store.findRefreshToken(hashId(id));
    if (row && await this.mayRetry(id, row.consumedAt)) return;
    const grantId = row && isLive(row) ? (JSON.parse(unseal(id, this.name, row.payload)) as AdapterPayload).grantId : undefined;
    await refuseConcurrentReplay(this.store, this.refusal, this.name, grantId);
  }

  private async mayRetry(id: string, consumedAt: number | null): Promise<boolean> {
    if (!this.retry || consumedAt === null || Date.now() - consumedAt > this.retry.windowMs) return false;
    const child = await this.store.findRefreshToken(hashId(this.retry.childOf(id)));
    return child === undefined || child.consumedAt === null;
  }

  async destroy(id: string): Promise<void> {
    await this.store.deleteRefreshToken(hashId(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.store.deleteRefreshTokensOfGrant(grantId);
  }
}

/**
 * The secondary lookup a payload needs: DeviceCode by its user code, Session by its uid. The id is
 * sealed under that value, so only someone who holds the user code or uid can get from it to the row.
 */
function secondaryLookup(name: string, id: string, payload: AdapterPayload) {
  const { userCode, uid } = payload;
  // No oidc-provider model carries both, and one sealedId column cannot serve two keys.
  if (userCode && uid) throw new TypeError(`${name} payload has both userCode and uid`);
  if (userCode) return { userCodeHash: hashId(userCode), uidHash: null, sealedId: seal(userCode, name, id) };
  if (uid) return { userCodeHash: null, uidHash: hashId(uid), sealedId: seal(uid, name, id) };
  return { userCodeHash: null, uidHash: null, sealedId: null };
}

/** Sessions, interactions, codes, access tokens, device codes and every other model. */
class PayloadAdapter extends BaseAdapter {
  constructor(store: HotStore, name: string, private readonly refusal: ReplayRefusal) {
    super(store, name);
  }

  private open(id: string, row: StoredPayload): AdapterPayload {
    return withConsumed(JSON.parse(unseal(id, this.name, row.payload)) as AdapterPayload, row.consumedAt);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.store.upsertPayload({
      model: this.name,
      idHash: hashId(id),
      grantId: payload.grantId ?? null,
      clientId: payload.clientId ?? null,
      ...secondaryLookup(this.name, id, payload),
      payload: seal(id, this.name, JSON.stringify(payload)),
      expiresAt: expiresAtFor(expiresIn),
    }, Date.now());
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await this.store.findPayload(this.name, hashId(id));
    return row && isLive(row) ? this.open(id, row) : undefined;
  }

  // oidc-provider passes the user code normalised (upper case, separators removed), which is also
  // how it stores payload.userCode, so both sides hash the same string.
  override async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findBySecondary(userCode, 'userCodeHash');
  }

  override async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findBySecondary(uid, 'uidHash');
  }

  // Newest live row first: a stale row for the same value must not shadow the current one.
  private async findBySecondary(value: string, column: SecondaryColumn): Promise<AdapterPayload | undefined> {
    const row = await this.store.findPayloadBy(this.name, column, hashId(value), retentionCutoff().getTime());
    if (!row?.sealedId) return undefined;
    return this.open(unseal(value, this.name, row.sealedId), row);
  }

  override async consume(id: string): Promise<void> {
    if (await this.store.consumePayload(this.name, hashId(id), Date.now())) return;
    await refuseConcurrentReplay(this.store, this.refusal, this.name, (await this.find(id))?.grantId);
  }

  async destroy(id: string): Promise<void> {
    await this.store.deletePayload(this.name, hashId(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.store.deletePayloadsOfGrant(this.name, grantId);
  }
}

/** The value for oidc-provider's `adapter` option: one adapter per model name. */
export function createAdapterFactory(db: Database, store: HotStore, refusal: ReplayRefusal = plainRefusal, refreshRetry?: RefreshRetryWindow): AdapterFactory {
  return (name: string): Adapter => {
    switch (name) {
      case 'Client':
        return new ClientAdapter(store, name, db);
      case 'Grant':
        return new GrantAdapter(store, name);
      case 'RefreshToken':
        return new RefreshTokenAdapter(store, name, refusal, refreshRetry);
      default:
        return new PayloadAdapter(store, name, refusal);
    }
  };
}
