// Signing keys: created once, rotated on demand, and retired keys kept verify-only until everything
// they may have signed has expired, counted from the first server start that no longer signs with them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSigningKeys, rotateSigningKeys } from '../../src/keys/signing-keys.js';
import { createTempDatabase, type TempDatabase } from '../support/temp-database.js';
import { loadCookieKeys } from '../../src/keys/cookie-keys.js';
import { openDatabase } from '../../src/persistence/prisma-client.js';
import { testProvider } from '../support/test-database.js';

let temp: TempDatabase;
before(async () => {
  temp = await createTempDatabase();
});
after(async () => temp?.close());

test('a first load creates one key per algorithm, and later loads reuse them', async () => {
  const first = await loadSigningKeys(temp.db, 100);
  assert.deepEqual(first.keys.map((k) => k.alg).sort(), ['ES256', 'EdDSA', 'RS256']);
  assert.ok(first.keys.every((k) => typeof k.d === 'string' && k.key_ops === undefined));
  const again = await loadSigningKeys(temp.db, 100);
  assert.deepEqual(again.keys.map((k) => k.kid), first.keys.map((k) => k.kid));
});

test('rotated keys verify only, and leave the JWKS a lifetime after the first start without them', async () => {
  const old = (await loadSigningKeys(temp.db, 100)).keys.map((k) => k.kid);
  const rotatedAt = new Date();
  await rotateSigningKeys(temp.db, rotatedAt);

  const later = new Date(rotatedAt.getTime() + 3600_000);
  const loaded = await loadSigningKeys(temp.db, 100, later);
  assert.equal(loaded.keys.length, 6);
  const active = loaded.keys.slice(0, 3);
  const retired = loaded.keys.slice(3);
  assert.ok(active.every((k) => !old.includes(k.kid!) && k.key_ops === undefined), 'new keys come first and sign');
  assert.deepEqual(retired.map((k) => k.kid).sort(), [...old].sort());
  assert.ok(retired.every((k) => JSON.stringify(k.key_ops) === '["verify"]'), 'old keys only verify');

  const stillThere = await loadSigningKeys(temp.db, 100, new Date(later.getTime() + 99_000));
  assert.equal(stillThere.keys.length, 6, 'an hour after rotation the retired keys are still published: the clock started at load');
  const gone = await loadSigningKeys(temp.db, 100, new Date(later.getTime() + 101_000));
  assert.deepEqual(gone.keys.map((k) => k.kid), active.map((k) => k.kid));
});

// better-sqlite3 waits for another connection's lock synchronously, so two SQLite clients in one
// process would block each other; test/e2e/scale-out.test.ts starts separate server processes instead.
const separateClientsSkip = testProvider === 'postgresql' ? false : 'SQLite clients in one process block each other; see test/e2e/scale-out.test.ts';

test('instances starting together on an empty database create exactly one key set and one cookie key set', { skip: separateClientsSkip }, async () => {
  const fresh = await createTempDatabase();
  // Separate clients, as separate instances would have: their own connections, no shared memory.
  const clients = await Promise.all(Array.from({ length: 4 }, () => openDatabase(fresh.url)));
  try {
    const [jwks, cookies] = await Promise.all([
      Promise.all(clients.map((db) => loadSigningKeys(db, 100))),
      Promise.all(clients.map((db) => loadCookieKeys(db))),
    ]);
    const kids = jwks.map((set) => set.keys.map((k) => k.kid).sort().join(','));
    assert.equal(new Set(kids).size, 1, 'every instance got the same keys');
    assert.equal(await fresh.db.signingKey.count(), 3, 'one key per algorithm, once');
    assert.equal(new Set(cookies.map((keys) => keys.join(','))).size, 1, 'every instance got the same cookie keys');
  } finally {
    await Promise.all(clients.map((db) => db.$disconnect()));
    await fresh.close();
  }
});
