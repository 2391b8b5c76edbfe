import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { createAdapterFactory } from '../../src/persistence/oidc-adapter.js';
import { refuseReplay } from '../../src/oidc/replay-refusal.js';
import { deriveKey, hashId, seal, unseal } from '../../src/persistence/sealing.js';
import { hkdfSync } from 'node:crypto';
import { EXPIRED_ROW_RETENTION_MS } from '../../src/persistence/retention.js';
import { sqliteFilePath } from '../../src/persistence/database-url.js';
import { createTempDatabase, type TempDatabase } from '../support/temp-database.js';
import { sqliteOnly, testProvider } from '../support/test-database.js';
import { dumpRows } from '../support/database-rows.js';

/** An opaque id shaped like oidc-provider's (43 base64url characters). */
const newId = (): string => randomBytes(32).toString('base64url');
/** A normalised user code as oidc-provider stores it and passes it to findByUserCode. */
const newUserCode = (): string =>
  Array.from({ length: 8 }, () => 'BCDFGHJKLMNPQRSTVWXZ'[randomInt(20)]).join('');
const epochNow = (): number => Math.floor(Date.now() / 1000);

function tokenPayload(kind: string, id: string, extra: Partial<AdapterPayload> = {}): AdapterPayload {
  const iat = epochNow();
  return { jti: id, kind, iat, exp: iat + 600, accountId: 'account-1', clientId: 'client-1', ...extra };
}

describe('sealing', () => {
  it('hashes ids to base64url SHA-256', () => {
    assert.equal(hashId('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('derives the HKDF-SHA-256 key that rows sealed so far were sealed with', () => {
    for (const [secret, context] of [['abc', 'AccessToken'], [newId(), 'RefreshToken'], ['\u00e9\u{1F511}', '']]) {
      const expected = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('Gatehouse sealed payload v1', 'utf8'), Buffer.from(context, 'utf8'), 32));
      assert.deepEqual(deriveKey(secret, context), expected);
    }
  });

  it('round-trips and uses a fresh IV each time', () => {
    const a = seal('secret', 'ctx', 'hello');
    const b = seal('secret', 'ctx', 'hello');
    assert.notEqual(a, b);
    assert.match(a, /^[A-Za-z0-9_-]+$/);
    assert.equal(unseal('secret', 'ctx', a), 'hello');
    assert.equal(unseal('secret', 'ctx', b), 'hello');
  });

  it('refuses the wrong secret, the wrong context and altered values', () => {
    const sealed = seal('secret', 'ctx', 'hello');
    assert.throws(() => unseal('other', 'ctx', sealed));
    assert.throws(() => unseal('secret', 'other', sealed));
    const raw = Buffer.from(sealed, 'base64url');
    raw[raw.length - 1] ^= 1;
    assert.throws(() => unseal('secret', 'ctx', raw.toString('base64url')));
    assert.throws(() => unseal('secret', 'ctx', 'AAAA'));
  });
});

describe('oidc-provider Prisma adapter', () => {
  let temp: TempDatabase;
  let adapter: (name: string) => Adapter;
  /** Every bearer value handed to the adapter, to prove none of them is stored in clear. */
  const secrets: string[] = [];
  /** Values that are meant to be stored in clear, proving the raw scan can see stored text. */
  const clearValues: string[] = [];
  const secret = (value: string): string => (secrets.push(value), value);

  before(async () => {
    temp = await createTempDatabase();
    adapter = createAdapterFactory(temp.db, temp.store, refuseReplay);
  });
  after(async () => temp?.close());

  /** Moves a row's expiry before the retention window, as if much time had passed. */
  async function expire(table: 'oidcPayload' | 'refreshToken' | 'grant', where: Record<string, unknown>, agoMs = EXPIRED_ROW_RETENTION_MS + 1000) {
    const past = new Date(Date.now() - agoMs);
    // The delegates differ in type; each accepts this shape.
    await (temp.db[table] as unknown as { updateMany(a: object): Promise<unknown> })
      .updateMany({ where, data: { expiresAt: past } });
  }

  describe('Client', () => {
    it('round-trips metadata and names the row after client_name or the id', async () => {
      const clients = adapter('Client');
      const metadata = { client_id: 'app-1', client_name: 'App One', redirect_uris: ['https://app.example/cb'] };
      clearValues.push('app-1');
      await clients.upsert('app-1', metadata);
      assert.deepEqual(await clients.find('app-1'), metadata);
      assert.equal((await temp.db.client.findUniqueOrThrow({ where: { id: 'app-1' } })).name, 'App One');

      await clients.upsert('app-2', { client_id: 'app-2' });
      assert.equal((await temp.db.client.findUniqueOrThrow({ where: { id: 'app-2' } })).name, 'app-2');
    });

    it('overwrites on upsert and forgets on destroy', async () => {
      const clients = adapter('Client');
      await clients.upsert('app-3', { client_id: 'app-3', client_name: 'Old' });
      await clients.upsert('app-3', { client_id: 'app-3', client_name: 'New' });
      assert.equal((await clients.find('app-3'))?.client_name, 'New');
      assert.equal(await temp.db.client.count({ where: { id: 'app-3' } }), 1);
      await clients.destroy('app-3');
      assert.equal(await clients.find('app-3'), undefined);
      assert.equal(await clients.find('never-registered'), undefined);
    });
  });

  describe('Grant', () => {
    it('round-trips in clear with account and client columns and expiry', async () => {
      const grants = adapter('Grant');
      const id = newId();
      clearValues.push(id);
      const payload = { ...tokenPayload('Grant', id), openid: { scope: 'openid email' } };
      await grants.upsert(id, payload, 3600);
      assert.deepEqual(await grants.find(id), payload);

      const row = await temp.db.grant.findUniqueOrThrow({ where: { id } });
      assert.equal(row.accountId, 'account-1');
      assert.equal(row.clientId, 'client-1');
      assert.deepEqual(JSON.parse(row.payload), payload);
      assert.ok(row.expiresAt && Math.abs(row.expiresAt.getTime() - (Date.now() + 3600_000)) < 10_000);
    });

    it('overwrites on upsert, hides expired rows and deletes on destroy', async () => {
      const grants = adapter('Grant');
      const id = newId();
      await grants.upsert(id, { ...tokenPayload('Grant', id), openid: { scope: 'openid' } }, 3600);
      await grants.upsert(id, { ...tokenPayload('Grant', id), openid: { scope: 'openid profile' } }, 3600);
      assert.deepEqual((await grants.find(id))?.openid, { scope: 'openid profile' });

      await expire('grant', { id });
      assert.equal(await grants.find(id), undefined);

      const other = newId();
      await grants.upsert(other, tokenPayload('Grant', other));
      assert.equal((await temp.db.grant.findUniqueOrThrow({ where: { id: other } })).expiresAt, null);
      assert.ok(await grants.find(other), 'a grant without expiresIn never expires');
      await grants.destroy(other);
      assert.equal(await grants.find(other), undefined);
      assert.equal(await temp.db.grant.count({ where: { id: other } }), 0);
    });

    it('refuses a payload without accountId or clientId', async () => {
      const id = newId();
      await assert.rejects(adapter('Grant').upsert(id, { jti: id, kind: 'Grant', clientId: 'c' }), /accountId/);
    });
  });

  describe('one-time values consumed by two requests at once', () => {
    for (const model of ['RefreshToken', 'AuthorizationCode', 'DeviceCode']) {
      it(`${model}: one consume wins; the other is refused with invalid_grant and the grant is revoked`, async () => {
        const grants = adapter('Grant');
        const accessTokens = adapter('AccessToken');
        const tokens = adapter(model);
        const grantId = newId();
        await grants.upsert(grantId, tokenPayload('Grant', grantId), 600);
        const accessToken = secret(newId());
        await accessTokens.upsert(accessToken, tokenPayload('AccessToken', accessToken, { grantId }), 600);
        const id = secret(newId());
        await tokens.upsert(id, tokenPayload(model, id, { grantId }), 600);

        const results = await Promise.allSettled([tokens.consume(id), tokens.consume(id)]);
        assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
        const refused = results.find((r) => r.status === 'rejected')?.reason as { error?: string; error_detail?: string };
        assert.equal(refused.error, 'invalid_grant');
        assert.match(refused.error_detail ?? '', /already (used|consumed)/);
        assert.equal(await grants.find(grantId), undefined, 'the grant is gone');
        assert.equal(await accessTokens.find(accessToken), undefined, 'and what it issued');
        assert.equal(await tokens.find(id), undefined, 'the value itself belongs to the grant too');
      });
    }
  });

  describe('RefreshToken', () => {
    it('round-trips under the hash of its id with a sealed payload', async () => {
      const tokens = adapter('RefreshToken');
      const id = secret(newId());
      const grantId = newId();
      const payload = tokenPayload('RefreshToken', id, { grantId, scope: 'openid offline_access', rotations: 0 });
      await tokens.upsert(id, payload, 600);
      assert.deepEqual(await tokens.find(id), payload);

      const row = await temp.db.refreshToken.findUniqueOrThrow({ where: { idHash: hashId(id) } });
      assert.equal(row.grantId, grantId);
      assert.equal(row.accountId, 'account-1');
      assert.equal(row.clientId, 'client-1');
      assert.equal(row.consumedAt, null);
      assert.deepEqual(JSON.parse(unseal(id, 'RefreshToken', row.payload)), payload);
      assert.throws(() => unseal(newId(), 'RefreshToken', row.payload), 'only the id opens the payload');
    });

    it('marks consumption, keeps it across re-saves, hides expired rows and destroys', async () => {
      const tokens = adapter('RefreshToken');
      const id = secret(newId());
      await tokens.upsert(id, tokenPayload('RefreshToken', id), 600);
      assert.equal((await tokens.find(id))?.consumed, undefined);

      const before = epochNow();
      await tokens.consume(id);
      const consumed = (await tokens.find(id))?.consumed;
      assert.equal(typeof consumed, 'number');
      assert.ok(consumed >= before && consumed <= epochNow());

      await tokens.upsert(id, tokenPayload('RefreshToken', id, { rotations: 1 }), 600);
      const resaved = await tokens.find(id);
      assert.equal(resaved?.rotations, 1);
      assert.equal(typeof resaved?.consumed, 'number', 'a re-save must not un-consume');

      await expire('refreshToken', { idHash: hashId(id) });
      assert.equal(await tokens.find(id), undefined);

      const other = secret(newId());
      await tokens.upsert(other, tokenPayload('RefreshToken', other), 600);
      await tokens.destroy(other);
      assert.equal(await tokens.find(other), undefined);
      assert.equal(await temp.db.refreshToken.count({ where: { idHash: hashId(other) } }), 0);
    });

    it('revokeByGrantId removes only that grant\'s tokens', async () => {
      const tokens = adapter('RefreshToken');
      const [grantA, grantB] = [newId(), newId()];
      const [a1, a2, b1] = [secret(newId()), secret(newId()), secret(newId())];
      await tokens.upsert(a1, tokenPayload('RefreshToken', a1, { grantId: grantA }), 600);
      await tokens.upsert(a2, tokenPayload('RefreshToken', a2, { grantId: grantA }), 600);
      await tokens.upsert(b1, tokenPayload('RefreshToken', b1, { grantId: grantB }), 600);
      await tokens.revokeByGrantId(grantA);
      assert.equal(await tokens.find(a1), undefined);
      assert.equal(await tokens.find(a2), undefined);
      assert.equal((await tokens.find(b1))?.grantId, grantB);
    });
  });

  describe('other models (OidcPayload)', () => {
    it('round-trips a sealed payload keyed by model and id hash', async () => {
      const accessTokens = adapter('AccessToken');
      const id = secret(newId());
      const grantId = newId();
      const payload = tokenPayload('AccessToken', id, { grantId, scope: 'openid', extra: { tenant: 't1' } });
      await accessTokens.upsert(id, payload, 300);
      assert.deepEqual(await accessTokens.find(id), payload);

      const row = await temp.db.oidcPayload.findUniqueOrThrow({
        where: { model_idHash: { model: 'AccessToken', idHash: hashId(id) } },
      });
      assert.equal(row.grantId, grantId);
      assert.equal(row.userCodeHash, null);
      assert.equal(row.uidHash, null);
      assert.equal(row.sealedId, null);
      assert.deepEqual(JSON.parse(unseal(id, 'AccessToken', row.payload)), payload);
      assert.ok(row.expiresAt && Math.abs(row.expiresAt.getTime() - (Date.now() + 300_000)) < 10_000);

      assert.equal(await adapter('AuthorizationCode').find(id), undefined, 'models do not share rows');
      assert.equal(await accessTokens.find(newId()), undefined);
    });

    it('keeps the same id apart per model', async () => {
      const id = secret(newId());
      await adapter('AuthorizationCode').upsert(id, tokenPayload('AuthorizationCode', id), 60);
      await adapter('ReplayDetection').upsert(id, { jti: id, kind: 'ReplayDetection', iat: epochNow() }, 60);
      assert.equal((await adapter('AuthorizationCode').find(id))?.kind, 'AuthorizationCode');
      assert.equal((await adapter('ReplayDetection').find(id))?.kind, 'ReplayDetection');
      await adapter('ReplayDetection').destroy(id);
      assert.ok(await adapter('AuthorizationCode').find(id), 'destroy touches only its model');
    });

    it('overwrites on upsert (interactions and sessions are re-saved)', async () => {
      const interactions = adapter('Interaction');
      const id = secret(newId());
      const [sessionId, sessionUid] = [secret(newId()), secret(newId())];
      const base = { jti: id, kind: 'Interaction', iat: epochNow(), returnTo: 'https://gatehouse.example/auth/x' };
      await interactions.upsert(id, { ...base, prompt: { name: 'login', reasons: [], details: {} } }, 600);
      await interactions.upsert(id, {
        ...base,
        session: { accountId: 'account-1', uid: sessionUid, cookie: sessionId },
        result: { login: { accountId: 'account-1' } },
      }, 600);
      const found = await interactions.find(id);
      assert.equal(found?.prompt, undefined);
      assert.deepEqual(found?.session, { accountId: 'account-1', uid: sessionUid, cookie: sessionId });
      assert.equal(await temp.db.oidcPayload.count({ where: { model: 'Interaction', idHash: hashId(id) } }), 1);
      // An interaction's nested session.uid is not a Session lookup key.
      assert.equal(await adapter('Interaction').findByUid(sessionUid), undefined);
    });

    it('hides expired rows and keeps rows saved without expiresIn', async () => {
      const codes = adapter('AuthorizationCode');
      const id = secret(newId());
      await codes.upsert(id, tokenPayload('AuthorizationCode', id), 60);
      assert.ok(await codes.find(id));
      await expire('oidcPayload', { model: 'AuthorizationCode', idHash: hashId(id) }, 1000);
      assert.ok(await codes.find(id), 'just expired: still returned, so oidc-provider can say it expired');
      await expire('oidcPayload', { model: 'AuthorizationCode', idHash: hashId(id) });
      assert.equal(await codes.find(id), undefined);

      const forever = secret(newId());
      await adapter('InitialAccessToken').upsert(forever, { jti: forever, kind: 'InitialAccessToken', iat: epochNow() });
      assert.ok(await adapter('InitialAccessToken').find(forever));
    });

    it('consume sets `consumed` in epoch seconds and survives a re-save', async () => {
      const codes = adapter('AuthorizationCode');
      const id = secret(newId());
      await codes.upsert(id, tokenPayload('AuthorizationCode', id), 60);
      assert.equal((await codes.find(id))?.consumed, undefined);
      const before = epochNow();
      await codes.consume(id);
      const consumed = (await codes.find(id))?.consumed;
      assert.equal(typeof consumed, 'number');
      assert.ok(consumed >= before && consumed <= epochNow());
      await codes.upsert(id, tokenPayload('AuthorizationCode', id), 60);
      assert.equal(typeof (await codes.find(id))?.consumed, 'number');
    });

    it('destroy deletes the row', async () => {
      const sessions = adapter('Session');
      const id = secret(newId());
      const uid = secret(newId());
      await sessions.upsert(id, { jti: id, uid, kind: 'Session', iat: epochNow() }, 600);
      await sessions.destroy(id);
      assert.equal(await sessions.find(id), undefined);
      assert.equal(await sessions.findByUid(uid), undefined);
      assert.equal(await temp.db.oidcPayload.count({ where: { model: 'Session', idHash: hashId(id) } }), 0);
    });

    it('revokeByGrantId removes only that grant\'s rows of that model', async () => {
      const [grantA, grantB] = [newId(), newId()];
      const [atA, atB, codeA] = [secret(newId()), secret(newId()), secret(newId())];
      await adapter('AccessToken').upsert(atA, tokenPayload('AccessToken', atA, { grantId: grantA }), 60);
      await adapter('AccessToken').upsert(atB, tokenPayload('AccessToken', atB, { grantId: grantB }), 60);
      await adapter('AuthorizationCode').upsert(codeA, tokenPayload('AuthorizationCode', codeA, { grantId: grantA }), 60);

      await adapter('AccessToken').revokeByGrantId(grantA);
      assert.equal(await adapter('AccessToken').find(atA), undefined);
      assert.ok(await adapter('AccessToken').find(atB), 'another grant is untouched');
      assert.ok(await adapter('AuthorizationCode').find(codeA), 'another model is untouched');

      await adapter('AuthorizationCode').revokeByGrantId(grantA);
      assert.equal(await adapter('AuthorizationCode').find(codeA), undefined);
    });
  });

  describe('DeviceCode.findByUserCode', () => {
    it('finds the device code by its user code and nothing else', async () => {
      const deviceCodes = adapter('DeviceCode');
      const id = secret(newId());
      const userCode = secret(newUserCode());
      const payload = tokenPayload('DeviceCode', id, { userCode, params: { scope: 'openid' }, deviceInfo: { ip: '::1' } });
      await deviceCodes.upsert(id, payload, 600);

      assert.deepEqual(await deviceCodes.findByUserCode(userCode), payload);
      assert.equal(await deviceCodes.findByUserCode(newUserCode()), undefined);
      assert.equal(await adapter('Session').findByUserCode(userCode), undefined, 'scoped to its model');

      const row = await temp.db.oidcPayload.findUniqueOrThrow({
        where: { model_idHash: { model: 'DeviceCode', idHash: hashId(id) } },
      });
      assert.equal(row.userCodeHash, hashId(userCode));
      assert.equal(row.uidHash, null);
      assert.equal(unseal(userCode, 'DeviceCode', row.sealedId ?? ''), id);
    });

    it('reports consumption and hides expired device codes', async () => {
      const deviceCodes = adapter('DeviceCode');
      const id = secret(newId());
      const userCode = secret(newUserCode());
      await deviceCodes.upsert(id, tokenPayload('DeviceCode', id, { userCode }), 600);
      await deviceCodes.consume(id);
      assert.equal(typeof (await deviceCodes.findByUserCode(userCode))?.consumed, 'number');
      await expire('oidcPayload', { model: 'DeviceCode', idHash: hashId(id) });
      assert.equal(await deviceCodes.findByUserCode(userCode), undefined);
      assert.equal(await deviceCodes.find(id), undefined);
    });
  });

  describe('Session.findByUid', () => {
    it('finds the session by uid, also after re-saves and id rotation', async () => {
      const sessions = adapter('Session');
      const uid = secret(newId());
      const first = secret(newId());
      const payload = { jti: first, uid, kind: 'Session', iat: epochNow(), accountId: 'account-1' };
      await sessions.upsert(first, payload, 600);
      assert.deepEqual(await sessions.findByUid(uid), payload);
      assert.equal(await sessions.findByUid(newId()), undefined);

      await sessions.upsert(first, { ...payload, loginTs: 1_700_000_000 }, 600);
      assert.equal((await sessions.findByUid(uid))?.loginTs, 1_700_000_000);

      // Session.resetIdentifier + save: the old id is destroyed, the same uid is saved under a new id.
      const second = secret(newId());
      await sessions.destroy(first);
      await sessions.upsert(second, { ...payload, jti: second }, 600);
      assert.equal((await sessions.findByUid(uid))?.jti, second);

      const row = await temp.db.oidcPayload.findUniqueOrThrow({
        where: { model_idHash: { model: 'Session', idHash: hashId(second) } },
      });
      assert.equal(row.uidHash, hashId(uid));
      assert.equal(row.userCodeHash, null);
      assert.equal(unseal(uid, 'Session', row.sealedId ?? ''), second);

      await expire('oidcPayload', { model: 'Session', idHash: hashId(second) });
      assert.equal(await sessions.findByUid(uid), undefined);
    });

    it('refuses a payload carrying both a userCode and a uid', async () => {
      const id = newId();
      await assert.rejects(
        adapter('Custom').upsert(id, { jti: id, uid: newId(), userCode: newUserCode() }, 60),
        /both userCode and uid/,
      );
    });
  });

  describe('at rest', () => {
    it('stores no id, user code or uid in clear in any row', { skip: testProvider === 'sqlite' ? 'the SQLite variant below also reads the files' : false }, async () => {
      assert.ok(secrets.length > 20, 'the tests above registered the values to look for');
      const rows = await dumpRows(temp.url);
      for (const value of clearValues) assert.ok(rows.includes(value), `expected ${value} in the rows`);
      for (const value of secrets) assert.ok(!rows.includes(value), `${value} is stored in clear in a row`);
    });

    it('stores no id, user code or uid in clear, in the rows or the files', { skip: sqliteOnly }, async () => {
      assert.ok(secrets.length > 20, 'the tests above registered the values to look for');
      const files = (await readdir(temp.dir)).map((name) => join(temp.dir, name));
      const bytes = Buffer.concat(await Promise.all(files.map((file) => readFile(file))));
      // The raw database holds whatever is in the files now, committed or still in the WAL.
      const raw = new Sqlite(sqliteFilePath(temp.url), { readonly: true });
      try {
        const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
        const rows = JSON.stringify(tables.map(({ name }) => raw.prepare(`SELECT * FROM "${name}"`).all()));
        const fileText = bytes.toString('latin1');

        // Positive controls: the scan does see values stored in clear.
        for (const value of clearValues) {
          assert.ok(rows.includes(value), `expected ${value} in the raw rows`);
          assert.ok(fileText.includes(value), `expected ${value} in the files`);
        }
        for (const value of secrets) {
          assert.ok(!rows.includes(value), `${value} is stored in clear in a row`);
          assert.ok(!fileText.includes(value), `${value} is stored in clear in a database file`);
        }
      } finally {
        raw.close();
      }
    });
  });
});
