// oidc-provider's storage adapter on Prisma. Clients and grants are stored in clear (their ids are
// not bearer credentials); every token-like model is stored under a hash of its id with its payload
// sealed by that id, so a copy of the database hands out no working token, code or session id.
// Only portable queries are used (Prisma's, and standard SQL for the hottest statements): the same
// code runs on SQLite and PostgreSQL.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { Database } from './prisma-client.js';
import { hashId, seal, unseal } from './sealing.js';
import { retentionCutoff } from './retention.js';
import { ClientCache } from './client-cache.js';
import {
  consumePayload, consumeRefreshToken, findGrant, findPayload, findRefreshToken, upsertPayload, upsertRefreshToken,
} from './hot-queries.js';

/** When a row stops being served; oidc-provider passes no expiresIn for rows that never expire. */
function expiresAtFor(expiresIn: number | undefined): Date | null {
  return typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null;
}

/** Rows stay visible a while past expiry: oidc-provider itself refuses expired ones, precisely. */
function isLive(expiresAt: Date | null): boolean {
  return expiresAt === null || expiresAt >= retentionCutoff();
}

/** Prisma filter for rows still within retention, for lookups that may match several rows. */
function liveFilter() {
  return { OR: [{ expiresAt: null }, { expiresAt: { gte: retentionCutoff() } }] };
}

/** oidc-provider reads `consumed` as a truthy marker; epoch seconds as its memory adapter does. */
function withConsumed(payload: AdapterPayload, consumedAt: Date | null): AdapterPayload {
  return consumedAt ? { ...payload, consumed: Math.floor(consumedAt.getTime() / 1000) } : payload;
}

function requiredString(payload: AdapterPayload, key: 'accountId' | 'clientId', model: string): string {
  const value = payload[key];
  if (typeof value !== 'string' || value === '') throw new TypeError(`${model} payload has no ${key}`);
  return value;
}

/** Lookups by user code or uid only exist for models that carry them; the rest find nothing. */
abstract class BaseAdapter implements Adapter {
  constructor(protected readonly db: Database, protected readonly name: string) {}

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

/** Dynamically registered clients; static clients never reach the adapter. */
class ClientAdapter extends BaseAdapter {
  constructor(db: Database, name: string, private readonly cache: ClientCache) {
    super(db, name);
  }

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    const data = { name: payload.client_name ?? id, metadata: JSON.stringify(payload) };
    this.cache.forget(id);
    await this.db.client.upsert({ where: { id }, create: { id, ...data }, update: data });
  }

  // A fresh object every time: oidc-provider may keep or change what it gets.
  async find(id: string): Promise<AdapterPayload | undefined> {
    await this.cache.revalidate();
    let metadata = this.cache.get(id);
    if (metadata === undefined) {
      const row = await this.db.client.findUnique({ where: { id } });
      if (!row) return undefined;
      metadata = row.metadata;
      this.cache.set(id, metadata);
    }
    return JSON.parse(metadata) as AdapterPayload;
  }

  async destroy(id: string): Promise<void> {
    this.cache.forget(id);
    await this.db.client.deleteMany({ where: { id } });
  }

  // Clients belong to no grant.
  async revokeByGrantId(_grantId: string): Promise<void> {}
}

/** Grants in clear, with account and client as columns so they can be listed and revoked per user. */
class GrantAdapter extends BaseAdapter {
  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const data = {
      accountId: requiredString(payload, 'accountId', this.name),
      clientId: requiredString(payload, 'clientId', this.name),
      payload: JSON.stringify(payload),
      expiresAt: expiresAtFor(expiresIn),
    };
    await this.db.grant.upsert({ where: { id }, create: { id, ...data }, update: data });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await findGrant(this.db, id);
    return row && isLive(row.expiresAt) ? (JSON.parse(row.payload) as AdapterPayload) : undefined;
  }

  async destroy(id: string): Promise<void> {
    await this.db.grant.deleteMany({ where: { id } });
  }

  // A grant's id is its grantId; oidc-provider itself uses destroy for this.
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.destroy(grantId);
  }
}

/** Refresh tokens have their own table so they can be listed and revoked per account or client. */
class RefreshTokenAdapter extends BaseAdapter {
  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await upsertRefreshToken(this.db, {
      idHash: hashId(id),
      grantId: payload.grantId ?? null,
      accountId: payload.accountId ?? null,
      clientId: payload.clientId ?? null,
      payload: seal(id, this.name, JSON.stringify(payload)),
      expiresAt: expiresAtFor(expiresIn),
    });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await findRefreshToken(this.db, hashId(id));
    if (!row || !isLive(row.expiresAt)) return undefined;
    return withConsumed(JSON.parse(unseal(id, this.name, row.payload)) as AdapterPayload, row.consumedAt);
  }

  override async consume(id: string): Promise<void> {
    await consumeRefreshToken(this.db, hashId(id));
  }

  async destroy(id: string): Promise<void> {
    await this.db.refreshToken.deleteMany({ where: { idHash: hashId(id) } });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.refreshToken.deleteMany({ where: { grantId } });
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

type PayloadRow = { payload: string; consumedAt: Date | null };

/** Sessions, interactions, codes, access tokens, device codes and every other model. */
class PayloadAdapter extends BaseAdapter {
  private open(id: string, row: PayloadRow): AdapterPayload {
    return withConsumed(JSON.parse(unseal(id, this.name, row.payload)) as AdapterPayload, row.consumedAt);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await upsertPayload(this.db, {
      model: this.name,
      idHash: hashId(id),
      grantId: payload.grantId ?? null,
      ...secondaryLookup(this.name, id, payload),
      payload: seal(id, this.name, JSON.stringify(payload)),
      expiresAt: expiresAtFor(expiresIn),
    });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await findPayload(this.db, this.name, hashId(id));
    return row && isLive(row.expiresAt) ? this.open(id, row) : undefined;
  }

  // oidc-provider passes the user code normalised (upper case, separators removed), which is also
  // how it stores payload.userCode, so both sides hash the same string.
  override async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findBySecondary(userCode, { userCodeHash: hashId(userCode) });
  }

  override async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findBySecondary(uid, { uidHash: hashId(uid) });
  }

  // Newest live row first: a stale row for the same value must not shadow the current one.
  private async findBySecondary(
    value: string,
    where: { userCodeHash: string } | { uidHash: string },
  ): Promise<AdapterPayload | undefined> {
    const row = await this.db.oidcPayload.findFirst({
      where: { model: this.name, ...where, ...liveFilter() },
      orderBy: { createdAt: 'desc' },
    });
    if (!row?.sealedId) return undefined;
    return this.open(unseal(value, this.name, row.sealedId), row);
  }

  override async consume(id: string): Promise<void> {
    await consumePayload(this.db, this.name, hashId(id));
  }

  async destroy(id: string): Promise<void> {
    await this.db.oidcPayload.deleteMany({ where: { model: this.name, idHash: hashId(id) } });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.oidcPayload.deleteMany({ where: { model: this.name, grantId } });
  }
}

/** The value for oidc-provider's `adapter` option: one adapter per model name. */
export function createAdapterFactory(db: Database): AdapterFactory {
  const clients = new ClientCache(db);
  return (name: string): Adapter => {
    switch (name) {
      case 'Client':
        return new ClientAdapter(db, name, clients);
      case 'Grant':
        return new GrantAdapter(db, name);
      case 'RefreshToken':
        return new RefreshTokenAdapter(db, name);
      default:
        return new PayloadAdapter(db, name);
    }
  };
}
