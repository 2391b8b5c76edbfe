// The refresh-token retry window (REFRESH_TOKEN_RETRY_GRACE): a rotated refresh token presented
// again soon after (a lost response, two tabs at once, two instances at once, a crash) gets the same
// child refresh token and a working access token; a later or older reuse revokes the grant as before.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { generateKeyPair } from 'jose';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { Browser } from '../support/browser.js';
import { createClient, createUser, relyingParty, signInAndDecide, startAuthorization, type CreatedClient } from '../support/relying-party.js';
import { oauthError } from '../support/oauth-error.js';

const REDIRECT = 'http://127.0.0.1:9160/spa/callback';
const EMAIL = 'tabs@example.com';

interface Answer {
  status: number;
  body: { error?: string; error_description?: string; access_token?: string; refresh_token?: string; token_type?: string };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One refresh request made by hand, so the test decides exactly what is sent and when. */
async function refresh(issuer: string, clientId: string, refreshToken: string): Promise<Answer> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

interface Setup {
  gh: Gatehouse;
  spa: CreatedClient;
  rp: oidc.Configuration;
  introspector: oidc.Configuration;
  browser: Browser;
}

async function setUp(gh: Gatehouse): Promise<Setup> {
  await createUser(gh, EMAIL);
  const spa = await createClient(gh, ['--name', 'SPA', '--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]);
  const api = await createClient(gh, ['--name', 'Introspector', '--grant', 'client_credentials']);
  // One browser for every sign-in: after the first, the session makes each one a consent only.
  const browser = new Browser((url) => url.origin === new URL(REDIRECT).origin);
  return { gh, spa, rp: await relyingParty(gh, spa), introspector: await relyingParty(gh, api), browser };
}

async function signIn({ rp, browser }: Setup, DPoP?: oidc.DPoPHandle): Promise<oidc.TokenEndpointResponse> {
  const start = await startAuthorization(rp, REDIRECT, { scope: 'openid offline_access', prompt: 'consent' });
  const landed = await signInAndDecide(browser, start.url, EMAIL);
  return oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce }, undefined, DPoP ? { DPoP } : undefined);
}

async function active(setup: Setup, token: string): Promise<boolean> {
  return (await oidc.tokenIntrospection(setup.introspector, token)).active;
}

async function reuses(gh: Gatehouse): Promise<number> {
  return (await gh.cliJson<{ events: unknown[] }>(['audit', 'list', '--type', 'refresh_token.reuse'])).events.length;
}

describe('refresh-token retry window (default 30 s)', () => {
  let setup: Setup;
  before(async () => {
    setup = await setUp(await startGatehouse());
  });
  after(async () => setup?.gh.stop());

  test('two simultaneous refreshes with one token both get the same new refresh token; the grant lives', async () => {
    const { gh, spa } = setup;
    const before = await reuses(gh);
    const tokens = await signIn(setup);
    const [one, two] = await Promise.all([refresh(gh.issuer, spa.client_id, tokens.refresh_token!), refresh(gh.issuer, spa.client_id, tokens.refresh_token!)]);
    assert.deepEqual([one.status, two.status], [200, 200], JSON.stringify([one.body, two.body]));
    assert.ok(one.body.refresh_token);
    assert.equal(two.body.refresh_token, one.body.refresh_token, 'one child, not two branches');
    assert.notEqual(one.body.refresh_token, tokens.refresh_token);
    assert.equal(await active(setup, one.body.access_token!), true);
    assert.equal(await active(setup, two.body.access_token!), true);
    const next = await refresh(gh.issuer, spa.client_id, one.body.refresh_token!);
    assert.equal(next.status, 200, 'the child goes on');
    assert.equal(await reuses(gh), before, 'no reuse was recorded');
  });

  test('a retry after a lost response gets the same child; a token older than the last rotation but one revokes', async () => {
    const { gh, spa } = setup;
    const tokens = await signIn(setup);
    const lost = await refresh(gh.issuer, spa.client_id, tokens.refresh_token!);
    assert.equal(lost.status, 200);
    const retried = await refresh(gh.issuer, spa.client_id, tokens.refresh_token!);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.refresh_token, lost.body.refresh_token);
    assert.equal(await active(setup, retried.body.access_token!), true, 'a working access token of the same grant');
    assert.equal((await oidc.tokenIntrospection(setup.introspector, retried.body.access_token!)).scope, (await oidc.tokenIntrospection(setup.introspector, lost.body.access_token!)).scope);
    assert.equal(await active(setup, tokens.refresh_token!), false, 'introspection still reports the rotated token spent');

    const grandchild = await refresh(gh.issuer, spa.client_id, retried.body.refresh_token!);
    assert.equal(grandchild.status, 200);
    const before = await reuses(gh);
    const old = await refresh(gh.issuer, spa.client_id, tokens.refresh_token!);
    assert.equal(old.status, 400);
    assert.equal(old.body.error, 'invalid_grant');
    assert.equal((await refresh(gh.issuer, spa.client_id, grandchild.body.refresh_token!)).body.error, 'invalid_grant', 'the whole family is gone');
    assert.equal(await active(setup, grandchild.body.access_token!), false);
    assert.equal(await reuses(gh), before + 1, 'the reuse is in the audit trail');
  });

  test('a DPoP-bound refresh token is retried only with a proof from the same key', async () => {
    const { rp } = setup;
    const keys = await generateKeyPair('ES256', { extractable: true });
    const DPoP = oidc.getDPoPHandle(rp, keys);
    const tokens = await signIn(setup, DPoP);
    const first = await oidc.refreshTokenGrant(rp, tokens.refresh_token!, undefined, { DPoP });
    const thief = oidc.getDPoPHandle(rp, await generateKeyPair('ES256', { extractable: true }));
    await assert.rejects(oidc.refreshTokenGrant(rp, tokens.refresh_token!, undefined, { DPoP: thief }), (err: Error) => oauthError(err) === 'invalid_grant');
    await assert.rejects(oidc.refreshTokenGrant(rp, tokens.refresh_token!), (err: Error) => oauthError(err) === 'invalid_grant', 'no proof at all');
    const retried = await oidc.refreshTokenGrant(rp, tokens.refresh_token!, undefined, { DPoP });
    assert.equal(retried.refresh_token, first.refresh_token);
    assert.equal(retried.token_type.toLowerCase(), 'dpop');
    const introspected = await oidc.tokenIntrospection(setup.introspector, retried.access_token);
    assert.equal(introspected.active, true);
    assert.equal((introspected.cnf as { jkt?: string } | undefined)?.jkt, (await oidc.tokenIntrospection(setup.introspector, first.access_token)).cnf?.jkt);
    assert.ok((await oidc.refreshTokenGrant(rp, retried.refresh_token!, undefined, { DPoP })).refresh_token, 'the chain goes on with the same key');
  });
});

describe('refresh-token retry window of 2 s', () => {
  let setup: Setup;
  before(async () => {
    setup = await setUp(await startGatehouse({ REFRESH_TOKEN_RETRY_GRACE: '2' }));
  });
  after(async () => setup?.gh.stop());

  test('after the window, presenting the rotated token is reuse: invalid_grant, audit event, family revoked', async () => {
    const { gh, spa } = setup;
    const tokens = await signIn(setup);
    const child = await refresh(gh.issuer, spa.client_id, tokens.refresh_token!);
    assert.equal(child.status, 200);
    await sleep(2500);
    const before = await reuses(gh);
    const late = await refresh(gh.issuer, spa.client_id, tokens.refresh_token!);
    assert.equal(late.status, 400);
    assert.equal(late.body.error, 'invalid_grant');
    assert.equal((await refresh(gh.issuer, spa.client_id, child.body.refresh_token!)).body.error, 'invalid_grant');
    assert.equal(await active(setup, child.body.access_token!), false);
    assert.equal(await reuses(gh), before + 1);
  });

  test('a thief replaying inside the window gets what the owner got; the second user of that child is detected', async () => {
    const { gh, spa } = setup;
    const tokens = await signIn(setup);
    const owner = await refresh(gh.issuer, spa.client_id, tokens.refresh_token!);
    const thief = await refresh(gh.issuer, spa.client_id, tokens.refresh_token!);
    assert.equal(thief.status, 200);
    assert.equal(thief.body.refresh_token, owner.body.refresh_token, 'still one live refresh token in the family');
    const ownerOnward = await refresh(gh.issuer, spa.client_id, owner.body.refresh_token!);
    assert.equal(ownerOnward.status, 200);
    await sleep(2500);
    const thiefOnward = await refresh(gh.issuer, spa.client_id, thief.body.refresh_token!);
    assert.equal(thiefOnward.status, 400);
    assert.equal(thiefOnward.body.error, 'invalid_grant');
    assert.equal((await refresh(gh.issuer, spa.client_id, ownerOnward.body.refresh_token!)).body.error, 'invalid_grant', 'the grant is revoked');
  });
});

describe('refresh-token retry window on two instances sharing one database', () => {
  let dir: string;
  let database: TestDatabase;
  let a: Gatehouse;
  let b: Gatehouse;
  let setup: Setup;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-retry-'));
    database = await createTestDatabase(dir);
    a = await startGatehouse({ DATABASE_URL: database.url });
    b = await startGatehouse({ DATABASE_URL: database.url, ISSUER: a.issuer });
    setup = await setUp(a);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the same token at both instances at once: both get the same child, and the grant lives', async () => {
    const atB = `http://127.0.0.1:${b.env.PORT}`;
    for (let round = 0; round < 3; round += 1) {
      const tokens = await signIn(setup);
      const [one, two] = await Promise.all([refresh(a.issuer, setup.spa.client_id, tokens.refresh_token!), refresh(atB, setup.spa.client_id, tokens.refresh_token!)]);
      assert.deepEqual([one.status, two.status], [200, 200], JSON.stringify([one.body, two.body]));
      assert.equal(two.body.refresh_token, one.body.refresh_token);
      assert.equal((await refresh(atB, setup.spa.client_id, one.body.refresh_token!)).status, 200, 'the child goes on');
    }
  });
});

describe('refresh-token chains across a kill -9', () => {
  let setup: Setup;
  before(async () => {
    setup = await setUp(await startGatehouse({ RATE_LIMIT_DISABLED: 'true' }));
  });
  after(async () => setup?.gh.stop());

  test('every chain, in flight at the crash or not, goes on after the restart', async () => {
    const { gh, spa } = setup;
    const CHAINS = 12;
    const held: string[] = [];
    for (let i = 0; i < CHAINS; i += 1) held.push((await signIn(setup)).refresh_token!);
    const inFlight = new Set<number>();
    let killed = false;
    // Each chain refreshes in a loop until the server dies under it. The count bound only stops a
    // runaway loop: on a fast machine 200 steps a chain were all done before the kill at 1.5 s.
    const chains = held.map(async (_, i) => {
      for (let step = 0; step < 20_000 && !killed; step += 1) {
        inFlight.add(i);
        try {
          const answer = await refresh(gh.issuer, spa.client_id, held[i]);
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          held[i] = answer.body.refresh_token!;
          inFlight.delete(i);
        } catch (error) {
          if (!killed) throw error;
          return;
        }
      }
      inFlight.delete(i);
    });
    await sleep(1500);
    killed = true;
    await gh.halt('SIGKILL');
    await Promise.all(chains);
    const crashedInFlight = [...inFlight];
    await gh.launch();

    const survivors: number[] = [];
    for (let i = 0; i < CHAINS; i += 1) {
      const retried = await refresh(gh.issuer, spa.client_id, held[i]);
      assert.equal(retried.status, 200, `chain ${i} (${inFlight.has(i) ? 'in flight' : 'answered'}): ${JSON.stringify(retried.body)}`);
      const onward = await refresh(gh.issuer, spa.client_id, retried.body.refresh_token!);
      assert.equal(onward.status, 200, `chain ${i} goes on`);
      if (inFlight.has(i)) survivors.push(i);
    }
    console.log(`kill -9: ${crashedInFlight.length} of ${CHAINS} chains had a refresh in flight; ${survivors.length} of them and all ${CHAINS - crashedInFlight.length} others went on`);
    assert.ok(crashedInFlight.length > 0, 'the kill landed while refreshes were in flight');
  });
});
