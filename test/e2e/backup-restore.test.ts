// Backup and restore, as docs/operations.md tells operators to do it: on SQLite `gatehouse db backup
// FILE` while the server runs, on PostgreSQL pg_dump and pg_restore. A new server started on the
// restored copy (same ISSUER) signs users in with the restored keys, and everything issued before
// the backup still works there: the ID token verifies against its JWKS, the access token is
// accepted, the refresh token refreshes. What was written after the backup is not in the copy.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, createUser, relyingParty, signInAndDecide, startAuthorization, type CreatedClient } from '../support/relying-party.js';
import { testProvider } from '../support/test-database.js';
import { runCli } from '../support/run-cli.js';
import { createScratchDatabase, scratchServerUrl } from '../../src/persistence/scratch-database.js';

const REDIRECT = 'http://127.0.0.1:9300/callback';
const EMAIL = 'restored@example.com';
const HAS_PG_DUMP = spawnSync('pg_dump', ['--version']).status === 0 && spawnSync('pg_restore', ['--version']).status === 0;

interface Issued {
  web: CreatedClient;
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
}

async function signIn(gh: Gatehouse, web: CreatedClient, scope = 'openid email offline_access') {
  const rp = await relyingParty(gh, web);
  const start = await startAuthorization(rp, REDIRECT, { scope, prompt: 'consent' });
  const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL);
  return oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
}

/** A server with a user, a client and tokens issued to it: what the backup must carry. */
async function issueBeforeBackup(gh: Gatehouse): Promise<Issued> {
  await createUser(gh, EMAIL);
  const web = await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]);
  return { web, tokens: await signIn(gh, web) };
}

/** Checks the restored server `restored` (same ISSUER as the original) against what was issued before the backup. */
async function assertRestored(restored: Gatehouse, { web, tokens }: Issued): Promise<void> {
  const jwks = (await (await fetch(`${restored.issuer}/jwks`)).json()) as JSONWebKeySet;
  const { payload } = await jwtVerify(tokens.id_token!, createLocalJWKSet(jwks), { issuer: restored.issuer, audience: web.client_id });
  assert.equal(payload.sub, tokens.claims()!.sub, 'the ID token signed before the backup verifies against the restored JWKS');

  const rp = await relyingParty(restored, web);
  const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
  assert.equal(userinfo.email, EMAIL, 'the access token issued before the backup is accepted');
  const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
  assert.ok(refreshed.access_token, 'the refresh token issued before the backup refreshes');

  const again = await signIn(restored, web, 'openid email');
  assert.equal(again.claims()?.sub, tokens.claims()!.sub, 'the restored user signs in; openid-client verified the new ID token');

  const { users } = await restored.cliJson<{ users: { email: string }[] }>(['user', 'list']);
  assert.deepEqual(users.map((user) => user.email), [EMAIL], 'the user created after the backup is not in the copy');
}

/** Stops `original` and starts a server on `databaseUrl` with the original's address and ISSUER. */
async function startRestored(original: Gatehouse, databaseUrl: string): Promise<Gatehouse> {
  await original.halt();
  return startGatehouse({ DATABASE_URL: databaseUrl, PORT: original.env.PORT, ISSUER: original.issuer });
}

describe('backup and restore', () => {
  test('SQLite: db backup FILE while the server runs; a server on the copy signs in with the restored keys', { skip: testProvider !== 'sqlite' && 'SQLite only' }, async () => {
    const original = await startGatehouse();
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-backup-'));
    let restored: Gatehouse | undefined;
    try {
      const issued = await issueBeforeBackup(original);
      const file = join(dir, 'gatehouse-backup.db');
      const backup = await original.cliJson<{ file: string; bytes: number }>(['db', 'backup', file]);
      assert.equal(backup.file, file);
      assert.ok(backup.bytes > 0);

      const again = await original.cli(['db', 'backup', file]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists; a backup never overwrites a file/);
      const nowhere = await original.cli(['db', 'backup', join(dir, 'missing', 'x.db')]);
      assert.equal(nowhere.code, 1);
      assert.match(nowhere.stderr, /the folder .*missing does not exist/);
      const self = await original.cli(['db', 'backup', original.databaseFile!]);
      assert.equal(self.code, 1);
      assert.match(self.stderr, /is the database itself/);
      const usage = await original.cli(['db', 'backup']);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /missing FILE \(usage: gatehouse db backup FILE\)/);

      await createUser(original, 'after-backup@example.com');
      restored = await startRestored(original, `file:${file}`);
      await assertRestored(restored, issued);
    } finally {
      await restored?.stop();
      await original.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('SQLite: a missing database is refused rather than backed up empty', { skip: testProvider !== 'sqlite' && 'SQLite only' }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-backup-'));
    try {
      const env = { PATH: process.env.PATH ?? '', HOME: dir, DATABASE_URL: `file:${join(dir, 'nothing-here.db')}` };
      const missing = await runCli(['db', 'backup', join(dir, 'copy.db')], { env, cwd: dir });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /there is no database at .*nothing-here\.db to back up/);
      assert.ok(!existsSync(join(dir, 'nothing-here.db')) && !existsSync(join(dir, 'copy.db')), 'nothing was created');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL: db backup points to pg_dump; pg_dump + pg_restore into a new database carries keys and tokens', {
    skip: testProvider !== 'postgresql' ? 'PostgreSQL only' : !HAS_PG_DUMP && 'pg_dump/pg_restore not installed',
  }, async () => {
    const original = await startGatehouse();
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-pgdump-'));
    const target = await createScratchDatabase(scratchServerUrl()!, 'gatehouse_test_restore');
    let restored: Gatehouse | undefined;
    try {
      const issued = await issueBeforeBackup(original);
      const refused = await original.cli(['db', 'backup', join(dir, 'x.db')]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /PostgreSQL database: back it up with pg_dump/);

      const dump = join(dir, 'gatehouse.dump');
      const dumped = spawnSync('pg_dump', ['--format=custom', `--file=${dump}`, original.databaseUrl], { encoding: 'utf8' });
      assert.equal(dumped.status, 0, dumped.stderr);
      await createUser(original, 'after-backup@example.com');
      const loaded = spawnSync('pg_restore', ['--no-owner', `--dbname=${target.url}`, dump], { encoding: 'utf8' });
      assert.equal(loaded.status, 0, loaded.stderr);

      restored = await startRestored(original, target.url);
      await assertRestored(restored, issued);
    } finally {
      await restored?.stop();
      await original.stop();
      await target.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
