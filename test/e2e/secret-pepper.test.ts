// CLIENT_SECRET_PEPPER: client secrets are stored as HMAC-SHA-256 under a server-side key, so the
// database alone cannot confirm a guessed secret; clients hashed before the pepper keep working,
// and without the pepper peppered secrets no longer authenticate.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { queryRows } from '../support/database-rows.js';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { oauthError } from '../support/oauth-error.js';
import { createClient, relyingParty, type CreatedClient } from '../support/relying-party.js';

const PEPPER = 'a-server-side-pepper-of-32-characters!';

async function storedHash(gh: Gatehouse, id: string): Promise<string> {
  const [row] = await queryRows<{ secretHash: string }>(gh.databaseUrl, 'SELECT "secretHash" FROM "Client" WHERE "id" = ?', id);
  return row.secretHash;
}

describe('client secret pepper', () => {
  let gh: Gatehouse;
  let before_: CreatedClient;
  before(async () => {
    gh = await startGatehouse();
    before_ = await createClient(gh, ['--name', 'Older', '--grant', 'client_credentials']);
    gh.env.CLIENT_SECRET_PEPPER = PEPPER;
    await gh.restart();
  });
  after(async () => gh?.stop());

  test('new secrets are stored peppered and work; older plain hashes keep working', async () => {
    const peppered = await createClient(gh, ['--name', 'Newer', '--grant', 'client_credentials']);
    assert.match(await storedHash(gh, peppered.client_id), /^hmac-sha256:/);
    assert.match(await storedHash(gh, before_.client_id), /^sha256:/);
    assert.ok((await oidc.clientCredentialsGrant(await relyingParty(gh, peppered))).access_token);
    assert.ok((await oidc.clientCredentialsGrant(await relyingParty(gh, before_))).access_token);

    delete gh.env.CLIENT_SECRET_PEPPER;
    await gh.restart();
    await assert.rejects(oidc.clientCredentialsGrant(await relyingParty(gh, peppered)), (error) => oauthError(error) === 'invalid_client');
  });
});
