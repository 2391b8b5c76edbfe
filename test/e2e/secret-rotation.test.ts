// `gatehouse client rotate-secret --grace`: the old secret keeps working until the grace period
// ends, then stops; without --grace it stops at once. Both are in the audit trail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { oauthError } from '../support/oauth-error.js';
import { createClient, relyingParty, type CreatedClient } from '../support/relying-party.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('client secret rotation with a grace period', () => {
  let gh: Gatehouse;
  let svc: CreatedClient;
  before(async () => {
    gh = await startGatehouse();
    svc = await createClient(gh, ['--name', 'Rolling service', '--grant', 'client_credentials']);
  });
  after(async () => gh?.stop());

  const tokenWith = async (secret: string) => oidc.clientCredentialsGrant(await relyingParty(gh, { ...svc, client_secret: secret }));

  test('both secrets work during the grace period; only the new one after it', async () => {
    const rotated = await gh.cliJson<{ client_secret: string; previous_secret_expires_at: string }>(
      ['client', 'rotate-secret', svc.client_id, '--grace', '3s'],
    );
    assert.notEqual(rotated.client_secret, svc.client_secret);
    assert.ok(Date.parse(rotated.previous_secret_expires_at) > Date.now());
    assert.ok((await tokenWith(svc.client_secret!)).access_token, 'the old secret still works');
    assert.ok((await tokenWith(rotated.client_secret)).access_token, 'the new secret works');

    await sleep(Date.parse(rotated.previous_secret_expires_at) - Date.now() + 300);
    await assert.rejects(tokenWith(svc.client_secret!), (error) => oauthError(error) === 'invalid_client');
    assert.ok((await tokenWith(rotated.client_secret)).access_token);
    svc = { ...svc, client_secret: rotated.client_secret };
  });

  test('without --grace the old secret stops at once, including one still in an earlier grace period', async () => {
    const first = await gh.cliJson<{ client_secret: string }>(['client', 'rotate-secret', svc.client_id, '--grace', '24h']);
    const second = await gh.cliJson<{ client_secret: string; previous_secret_expires_at: null }>(['client', 'rotate-secret', svc.client_id]);
    assert.equal(second.previous_secret_expires_at, null);
    for (const old of [svc.client_secret!, first.client_secret]) {
      await assert.rejects(tokenWith(old), (error) => oauthError(error) === 'invalid_client');
    }
    assert.ok((await tokenWith(second.client_secret)).access_token);
  });

  test('bad grace periods are refused; rotations are audited', async () => {
    for (const grace of ['24', '1y', '31d', '-1h']) {
      const result = await gh.cli(['client', 'rotate-secret', svc.client_id, '--grace', grace]);
      assert.equal(result.code, 2, grace);
    }
    const audit = await gh.cliJson<{ events: { type: string; client_id: string; detail: { grace_seconds: number } }[] }>(
      ['audit', 'list', '--type', 'client.secret_rotated', '--client', svc.client_id],
    );
    assert.deepEqual(audit.events.map((e) => e.detail.grace_seconds).sort((a, b) => a - b), [0, 3, 86_400]);
  });
});
