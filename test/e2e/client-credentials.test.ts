// Client Credentials for back-end services, plus introspection and revocation as resource servers
// use them, with an API whose tokens are opaque.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { oauthError } from '../support/oauth-error.js';
import { createClient, relyingParty, type CreatedClient } from '../support/relying-party.js';

describe('client credentials, introspection and revocation', () => {
  let gh: Gatehouse;
  let service: CreatedClient;
  let resourceServer: CreatedClient;

  before(async () => {
    gh = await startGatehouse();
    await gh.cliJson(['resource', 'create', '--identifier', 'https://reports.example.com', '--scope', 'reports:read reports:write', '--format', 'opaque']);
    service = await createClient(gh, ['--name', 'Nightly job', '--grant', 'client_credentials', '--scope', 'reports:read']);
    resourceServer = await createClient(gh, ['--name', 'Reports API', '--grant', 'client_credentials']);
  });
  after(async () => gh?.stop());

  test('a confidential client gets an access token with client_secret_basic and client_secret_post', async () => {
    for (const auth of ['basic', 'post'] as const) {
      const rp = await relyingParty(gh, service, auth);
      const tokens = await oidc.clientCredentialsGrant(rp, { scope: 'reports:read' });
      assert.ok(tokens.access_token, auth);
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.ok(tokens.expires_in && tokens.expires_in > 0 && tokens.expires_in <= 600);
      assert.equal(tokens.refresh_token, undefined);
      assert.equal(tokens.scope, 'reports:read');
    }
  });

  test('a scope the client was not given is refused', async () => {
    const rp = await relyingParty(gh, service);
    await assert.rejects(oidc.clientCredentialsGrant(rp, { scope: 'reports:write' }), (err: oidc.ResponseBodyError) => err.error === 'invalid_scope');
  });

  test('a wrong secret is refused with invalid_client', async () => {
    const rp = await relyingParty(gh, { client_id: service.client_id, client_secret: `${service.client_secret}x` });
    await assert.rejects(oidc.clientCredentialsGrant(rp), (err: Error) => oauthError(err) === 'invalid_client');
  });

  test('a public client cannot use client credentials', async () => {
    const cli = await gh.cli(['client', 'create', '--name', 'Bad', '--public', '--grant', 'client_credentials', '--json']);
    assert.notEqual(cli.code, 0, 'the CLI refuses to register it');
    const spa = await createClient(gh, ['--name', 'SPA', '--public', '--grant', 'authorization_code', '--redirect-uri', 'http://127.0.0.1:9200/cb']);
    const rp = await relyingParty(gh, spa);
    await assert.rejects(oidc.clientCredentialsGrant(rp), (err: Error) => ['unauthorized_client', 'invalid_client', 'invalid_request'].includes(oauthError(err) ?? ''));
  });

  test('introspection reports an active token, then inactive after revocation', async () => {
    const rp = await relyingParty(gh, service);
    const { access_token: token } = await oidc.clientCredentialsGrant(rp, { scope: 'reports:read' });
    const rs = await relyingParty(gh, resourceServer);
    const active = await oidc.tokenIntrospection(rs, token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, service.client_id);
    assert.equal(active.scope, 'reports:read');
    assert.equal(active.aud, 'https://reports.example.com', 'scope=reports:read alone selects the API that defines it');
    assert.equal(active.iss, gh.issuer);
    assert.ok(typeof active.exp === 'number');

    await oidc.tokenRevocation(rp, token);
    assert.equal((await oidc.tokenIntrospection(rs, token)).active, false);
  });

  test('introspection needs client authentication and never reveals unknown tokens', async () => {
    const rs = await relyingParty(gh, resourceServer);
    assert.equal((await oidc.tokenIntrospection(rs, 'not-a-token')).active, false);
    const response = await fetch(rs.serverMetadata().introspection_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 'x' }),
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
  });

  test('deleting a client with the CLI ends its client credentials tokens', async () => {
    const doomed = await createClient(gh, ['--name', 'Doomed job', '--grant', 'client_credentials', '--scope', 'reports:read']);
    const { access_token: token } = await oidc.clientCredentialsGrant(await relyingParty(gh, doomed), { scope: 'reports:read' });
    const rs = await relyingParty(gh, resourceServer);
    assert.equal((await oidc.tokenIntrospection(rs, token)).active, true);
    await gh.cliJson(['client', 'delete', doomed.client_id]);
    assert.equal((await oidc.tokenIntrospection(rs, token)).active, false);
  });

  test('public clients learn nothing from introspection', async () => {
    const spa = await createClient(gh, ['--name', 'SPA 2', '--public', '--grant', 'authorization_code', '--redirect-uri', 'http://127.0.0.1:9201/cb']);
    const rp = await relyingParty(gh, await createClient(gh, ['--name', 'svc', '--grant', 'client_credentials']));
    const { access_token: token } = await oidc.clientCredentialsGrant(rp);
    const spaRp = await relyingParty(gh, spa);
    assert.equal((await oidc.tokenIntrospection(rp, token)).active, true, 'the token is active');
    assert.deepEqual(await oidc.tokenIntrospection(spaRp, token), { active: false });
  });
});
