// Clients the CLI registers must load in oidc-provider with Gatehouse's real configuration: the
// provider validates stored metadata on every lookup and a client it refuses cannot sign anyone in.
// The database stays open here the whole time, as a running server keeps it, so this also checks
// that CLI commands work beside a server.
import { after, before, describe, test } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type Provider from 'oidc-provider';
import { loadConfig } from '../../src/config/env.js';
import { createProvider } from '../../src/oidc/create-provider.js';
import { createAdapterFactory } from '../../src/persistence/oidc-adapter.js';
import { openDatabaseWithConnection, type Database } from '../../src/persistence/prisma-client.js';
import { createHotStore } from '../../src/persistence/hot-path/create-hot-store.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { loadSigningKeys } from '../../src/keys/signing-keys.js';
import { loadDpopNonceSecret } from '../../src/keys/dpop-nonce-secret.js';
import { signingAlgorithms } from '../../src/keys/signing-algorithms.js';
import { createLogger } from '../../src/logging/logger.js';
import { Resources } from '../../src/resources/resources.js';
import { createSandbox, type CliSandbox } from './harness.js';

type LoadedClient = {
  clientId: string;
  applicationType: string;
  grantTypes: string[];
  responseTypes: string[];
  redirectUris: string[];
  clientAuthMethod: string;
  scope?: string;
  api_scope?: string;
  compareClientSecret(secret: string): Promise<boolean> | boolean;
};

describe('clients created by the CLI load in oidc-provider', () => {
  let cli: CliSandbox;
  let db: Database;
  let provider: Provider;

  before(async () => {
    cli = await createSandbox();
    await cli.json(['resource', 'create', '--identifier', 'https://reports.example.com', '--scope', 'reports:read reports:write']);
    const opened = await openDatabaseWithConnection(cli.databaseUrl);
    db = opened.db;
    const store = createHotStore(opened.connection);
    const config = loadConfig(cli.env);
    const jwks = await loadSigningKeys(db, 3600);
    provider = createProvider(db, {
      config,
      log: createLogger('silent'),
      adapter: createAdapterFactory(db, store),
      findAccount: async () => undefined,
      jwks,
      cookieKeys: ['a-cookie-key-that-is-long-enough-000'],
      resources: new Resources(db),
      signingAlgs: signingAlgorithms(jwks),
      dpopNonceSecret: await loadDpopNonceSecret(db),
      audit: new AuditLog(db),
      store,
    });
  });
  after(async () => {
    await db?.$disconnect();
    await cli?.close();
  });

  async function find(id: string): Promise<LoadedClient> {
    const client = (await provider.Client.find(id)) as unknown as LoadedClient | undefined;
    assert.ok(client, `oidc-provider finds client ${id}`);
    return client;
  }

  test('a confidential web client, and its secret as the provider checks it', async () => {
    const created = await cli.json([
      'client', 'create', '--name', 'Web', '--grant', 'authorization_code', '--grant', 'refresh_token',
      '--redirect-uri', 'https://app.example.com/cb', '--post-logout-redirect-uri', 'https://app.example.com/',
    ]);
    const client = await find(created.client_id);
    assert.equal(client.applicationType, 'web');
    assert.equal(client.clientAuthMethod, 'client_secret_basic');
    assert.deepEqual(client.grantTypes, ['authorization_code', 'refresh_token']);
    assert.deepEqual(client.responseTypes, ['code']);
    assert.deepEqual(client.redirectUris, ['https://app.example.com/cb']);
    assert.equal(client.scope, 'openid profile email offline_access');
    assert.equal(await client.compareClientSecret(created.client_secret), true);
    assert.equal(await client.compareClientSecret(`${created.client_secret}x`), false);
  });

  test('after rotate-secret the old secret stops working at once and the new one works', async () => {
    const created = await cli.json(['client', 'create', '--name', 'Service', '--grant', 'client_credentials']);
    assert.equal(await (await find(created.client_id)).compareClientSecret(created.client_secret), true);
    const { client_secret: rotated } = await cli.json(['client', 'rotate-secret', created.client_id]);
    const client = await find(created.client_id);
    assert.equal(await client.compareClientSecret(created.client_secret), false, 'the old secret is refused');
    assert.equal(await client.compareClientSecret(rotated), true, 'the new secret is accepted');
  });

  test('a public native client with loopback redirect URIs', async () => {
    const created = await cli.json([
      'client', 'create', '--name', 'Desktop', '--public', '--grant', 'authorization_code', '--grant', 'refresh_token',
      '--redirect-uri', 'http://127.0.0.1:8400/cb', '--redirect-uri', 'http://[::1]/cb', '--redirect-uri', 'http://localhost:9000/cb',
      '--post-logout-redirect-uri', 'http://127.0.0.1:8400/',
    ]);
    const client = await find(created.client_id);
    assert.equal(client.applicationType, 'native');
    assert.equal(client.clientAuthMethod, 'none');
  });

  test('a confidential client with a loopback redirect URI, as a web app in development', async () => {
    const created = await cli.json([
      'client', 'create', '--name', 'Dev web', '--grant', 'authorization_code', '--redirect-uri', 'http://localhost:3000/cb',
      '--redirect-uri', 'https://app.example.com/cb', '--post-logout-redirect-uri', 'http://localhost:3000/',
    ]);
    const client = await find(created.client_id);
    assert.equal(client.applicationType, 'web');
    assert.deepEqual(client.redirectUris, ['http://localhost:3000/cb', 'https://app.example.com/cb']);
  });

  test('a public native client with a private-use scheme', async () => {
    const created = await cli.json([
      'client', 'create', '--name', 'Mobile', '--public', '--grant', 'authorization_code', '--redirect-uri', 'com.example.app:/oauth2redirect',
    ]);
    assert.equal((await find(created.client_id)).applicationType, 'native');
  });

  test('a public SPA with an https redirect URI', async () => {
    const created = await cli.json([
      'client', 'create', '--name', 'SPA', '--public', '--grant', 'authorization_code', '--redirect-uri', 'https://spa.example.com/cb',
    ]);
    const client = await find(created.client_id);
    assert.equal(client.applicationType, 'web');
    assert.equal(client.clientAuthMethod, 'none');
  });

  test('a client_credentials-only client', async () => {
    const created = await cli.json(['client', 'create', '--name', 'Job', '--grant', 'client_credentials']);
    const client = await find(created.client_id);
    assert.deepEqual(client.grantTypes, ['client_credentials']);
    assert.deepEqual(client.responseTypes, []);
    assert.deepEqual(client.redirectUris, []);
  });

  test('clients with the scopes of a stored API', async () => {
    const job = await cli.json(['client', 'create', '--name', 'Exporter', '--grant', 'client_credentials', '--scope', 'reports:read']);
    const loadedJob = await find(job.client_id);
    assert.equal(loadedJob.scope, undefined);
    assert.equal(loadedJob.api_scope, 'reports:read');
    const web = await cli.json([
      'client', 'create', '--name', 'Dashboard', '--grant', 'authorization_code', '--redirect-uri', 'https://dash.example.com/cb',
      '--scope', 'openid reports:read reports:write',
    ]);
    const loadedWeb = await find(web.client_id);
    assert.equal(loadedWeb.scope, 'openid');
    assert.equal(loadedWeb.api_scope, 'reports:read reports:write');
  });

  test('clients with private_key_jwt, DPoP, PAR and back-channel logout', async () => {
    const jwks = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] });
    const file = join(cli.dir, 'client-jwks.json');
    await writeFile(file, jwks);
    const created = await cli.json([
      'client', 'create', '--name', 'Strict', '--grant', 'authorization_code', '--redirect-uri', 'https://strict.example.com/cb',
      '--jwks', file, '--require-dpop', '--require-par', '--backchannel-logout-uri', 'https://strict.example.com/logout',
    ]);
    assert.equal(created.client_secret, undefined, 'a private_key_jwt client gets no secret');
    const client = (await find(created.client_id)) as LoadedClient & Record<string, unknown>;
    assert.equal(client.clientAuthMethod, 'private_key_jwt');
    assert.equal(client.dpopBoundAccessTokens, true);
    assert.equal(client.requirePushedAuthorizationRequests, true);
    assert.equal(client.backchannelLogoutUri, 'https://strict.example.com/logout');
  });

  test('a device-only public client, with and without refresh tokens', async () => {
    for (const grants of [['device_code'], ['device_code', 'refresh_token']]) {
      const created = await cli.json(['client', 'create', '--name', 'TV', '--public', ...grants.flatMap((g) => ['--grant', g])]);
      const client = await find(created.client_id);
      assert.ok(client.grantTypes.includes('urn:ietf:params:oauth:grant-type:device_code'));
      assert.deepEqual(client.responseTypes, []);
      assert.equal(client.clientAuthMethod, 'none');
    }
  });

  test('a deleted client is gone for the provider too', async () => {
    const created = await cli.json(['client', 'create', '--name', 'Short-lived', '--grant', 'client_credentials']);
    await find(created.client_id);
    await cli.json(['client', 'delete', created.client_id]);
    assert.equal(await provider.Client.find(created.client_id), undefined);
  });
});
