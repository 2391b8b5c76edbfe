// KEY_ENCRYPTION_SECRET: private signing keys are stored encrypted, keys stored in clear before it
// was set are encrypted at the next start, and a server without the right secret refuses to start
// rather than sign with keys it cannot read.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { queryRows } from '../support/database-rows.js';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';

const SECRET = 'first-key-encryption-secret-0123456789';

async function storedKeys(gh: Gatehouse): Promise<string[]> {
  return (await queryRows<{ privateJwk: string }>(gh.databaseUrl, 'SELECT "privateJwk" FROM "SigningKey"')).map((r) => r.privateJwk);
}

async function jwksKids(gh: Gatehouse): Promise<string[]> {
  const jwks = (await (await fetch(`${gh.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid).sort();
}

describe('signing keys at rest', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse();
  });
  after(async () => gh?.stop());

  test('without KEY_ENCRYPTION_SECRET keys are plain JWKs; setting it encrypts them at the next start', async () => {
    const kids = await jwksKids(gh);
    await gh.halt();
    assert.ok((await storedKeys(gh)).every((k) => k.startsWith('{')));

    gh.env.KEY_ENCRYPTION_SECRET = SECRET;
    await gh.restart();
    assert.deepEqual(await jwksKids(gh), kids, 'the same keys, now stored encrypted');
    await gh.halt();
    const stored = await storedKeys(gh);
    assert.ok(stored.length >= 3);
    assert.ok(stored.every((k) => k.startsWith('enc:v1:') && !k.includes('"d"')));
  });

  test('keys rotated by the CLI are stored encrypted too', async () => {
    const rotated = await gh.cliJson<{ created: string[] }>(['keys', 'rotate']);
    assert.equal(rotated.created.length, 3);
    assert.ok((await storedKeys(gh)).every((k) => k.startsWith('enc:v1:')));
    await gh.restart();
    const kids = await jwksKids(gh);
    for (const kid of rotated.created) assert.ok(kids.includes(kid));
    await gh.halt();
  });

  test('a missing or wrong secret stops the server at start with a clear message', async () => {
    delete gh.env.KEY_ENCRYPTION_SECRET;
    await assert.rejects(gh.restart(), /signing keys in the database are encrypted: set KEY_ENCRYPTION_SECRET/);
    gh.env.KEY_ENCRYPTION_SECRET = 'a-different-secret-that-is-long-enough';
    await assert.rejects(gh.restart(), /KEY_ENCRYPTION_SECRET does not decrypt signing key/);
    gh.env.KEY_ENCRYPTION_SECRET = 'short';
    await assert.rejects(gh.restart(), /KEY_ENCRYPTION_SECRET must be at least 32 characters/);
    gh.env.KEY_ENCRYPTION_SECRET = SECRET;
    await gh.restart();
    assert.equal((await jwksKids(gh)).length >= 3, true);
  });
});
