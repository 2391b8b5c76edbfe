// The audit trail end to end: consent, refresh-token reuse and grant revocation from the running
// server, client and key administration from the CLI, read back with `gatehouse audit list`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { queryRows } from '../support/database-rows.js';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, createUser, relyingParty, signInAndDecide, startAuthorization } from '../support/relying-party.js';

const REDIRECT = 'http://127.0.0.1:9530/cb';

interface AuditEvent {
  time: string;
  type: string;
  client_id: string | null;
  account_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown> | null;
}

describe('audit trail', () => {
  let gh: Gatehouse;
  let userId: string;
  before(async () => {
    // A replay inside the retry window is a retry; with it off, the replay here is reuse at once.
    gh = await startGatehouse({ REFRESH_TOKEN_RETRY_GRACE: '0' });
    userId = (await createUser(gh, 'audited@example.com')).id;
  });
  after(async () => gh?.stop());

  const events = async (...args: string[]) => (await gh.cliJson<{ events: AuditEvent[] }>(['audit', 'list', ...args])).events;

  test('consent granted and denied, refresh-token reuse and the grant it revokes', async () => {
    const web = await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]);
    const rp = await relyingParty(gh, web);

    const denied = await startAuthorization(rp, REDIRECT);
    await signInAndDecide(browserFor(REDIRECT), denied.url, 'audited@example.com', 'Deny');

    const start = await startAuthorization(rp, REDIRECT, { scope: 'openid offline_access', prompt: 'consent' });
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, 'audited@example.com');
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    await assert.rejects(oidc.refreshTokenGrant(rp, tokens.refresh_token!));

    const forClient = await events('--client', web.client_id);
    const types = forClient.map((e) => e.type);
    for (const type of ['client.created', 'login.success', 'consent.denied', 'consent.granted', 'refresh_token.reuse', 'grant.revoked']) {
      assert.ok(types.includes(type), `${type} is recorded (got ${types.join(', ')})`);
    }
    const granted = forClient.find((e) => e.type === 'consent.granted')!;
    assert.equal(granted.account_id, userId);
    assert.equal(granted.ip, '127.0.0.1');
    assert.ok(granted.user_agent, 'the user agent is recorded');
    assert.equal(granted.detail?.scope, 'openid offline_access');
    const reuse = forClient.find((e) => e.type === 'refresh_token.reuse')!;
    assert.equal(reuse.account_id, userId);
    assert.ok(forClient.every((e) => Date.parse(e.time) <= Date.now()));
    assert.deepEqual(
      forClient.map((e) => e.time),
      [...forClient.map((e) => e.time)].sort().reverse(),
      'newest first',
    );
  });

  test('client administration and key rotation from the CLI', async () => {
    const svc = await createClient(gh, ['--name', 'Svc', '--grant', 'client_credentials']);
    await gh.cliJson(['client', 'update', svc.client_id, '--rate-limit', '10/s']);
    await gh.cliJson(['client', 'rotate-secret', svc.client_id]);
    await gh.cliJson(['client', 'delete', svc.client_id]);
    await gh.cliJson(['keys', 'rotate']);
    const types = (await events('--client', svc.client_id)).map((e) => e.type).sort();
    assert.deepEqual(types, ['client.created', 'client.deleted', 'client.secret_rotated', 'client.updated']);
    const [rotation] = await events('--type', 'keys.rotated');
    assert.equal(rotation.user_agent, 'gatehouse-cli');
    assert.equal(String(rotation.detail?.created).split(' ').length, 3);
  });

  test('no secret ever reaches the audit table', async () => {
    const svc = await createClient(gh, ['--name', 'Secretive', '--grant', 'client_credentials']);
    const rotated = await gh.cliJson<{ client_secret: string }>(['client', 'rotate-secret', svc.client_id, '--grace', '1h']);
    const rows = JSON.stringify(await queryRows(gh.databaseUrl, 'SELECT * FROM "AuditEvent"'));
    for (const secret of [svc.client_secret!, rotated.client_secret, 'correct horse battery staple']) {
      assert.ok(!rows.includes(secret));
    }
  });

  test('--since, --type and the human table; bad options are usage errors', async () => {
    assert.equal((await events('--since', '1s', '--type', 'client.created')).length <= 1, true);
    assert.ok((await events('--since', '1h', '--type', 'client.created')).length >= 3);
    const human = await gh.cli(['audit', 'list', '--type', 'login.success']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /TIME\s+TYPE\s+CLIENT\s+ACCOUNT\s+IP/);
    assert.match(human.stdout, /login\.success/);
    for (const args of [['--since', 'yesterday'], ['--type', 'nonsense'], ['--limit', '0']]) {
      const result = await gh.cli(['audit', 'list', ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, /^gatehouse: /);
    }
  });
});
