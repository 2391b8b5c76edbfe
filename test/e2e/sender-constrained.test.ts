// DPoP (RFC 9449), pushed authorization requests (RFC 9126) and private_key_jwt, each driven by
// openid-client v6, with the refusals that make them worth having.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import {
  calculateJwkThumbprint, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey,
} from 'jose';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { oauthError } from '../support/oauth-error.js';
import {
  browserFor, createClient, createUser, relyingParty, signInAndDecide, startAuthorization, type CreatedClient,
} from '../support/relying-party.js';

const API = 'https://api.example.com';
const REDIRECT = 'http://127.0.0.1:9710/cb';
const EMAIL = 'dpop@example.com';

type KeyPair = { publicKey: CryptoKey; privateKey: CryptoKey };

async function keyPair(): Promise<KeyPair> {
  return generateKeyPair('ES256', { extractable: true });
}

/** A DPoP proof made by hand, to replay it exactly. */
async function proof(keys: KeyPair, htu: string, nonce?: string): Promise<string> {
  return new SignJWT({ htm: 'POST', htu, jti: randomUUID(), ...(nonce ? { nonce } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
    .setIssuedAt()
    .sign(keys.privateKey);
}

describe('DPoP', () => {
  let gh: Gatehouse;
  let service: CreatedClient;

  before(async () => {
    gh = await startGatehouse();
    await gh.cliJson(['resource', 'create', '--identifier', API, '--scope', 'api:read']);
    service = await createClient(gh, ['--name', 'DPoP job', '--grant', 'client_credentials', '--scope', 'api:read']);
    await createUser(gh, EMAIL);
  });
  after(async () => gh?.stop());

  test('discovery advertises DPoP', async () => {
    const rp = await relyingParty(gh, service);
    assert.deepEqual(rp.serverMetadata().dpop_signing_alg_values_supported, ['ES256', 'EdDSA', 'RS256', 'PS256']);
  });

  test('a token requested with a proof is bound to the key (cnf.jkt), after a server nonce', async () => {
    const keys = await keyPair();
    const rp = await relyingParty(gh, service);
    const tokens = await oidc.clientCredentialsGrant(rp, { resource: API, scope: 'api:read' }, { DPoP: oidc.getDPoPHandle(rp, keys) });
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${gh.issuer}/jwks`)), { audience: API, typ: 'at+jwt' });
    assert.deepEqual(payload.cnf, { jkt: await calculateJwkThumbprint(await exportJWK(keys.publicKey)) });
  });

  test('a proof without the server nonce, and a replayed proof, are refused', async () => {
    const keys = await keyPair();
    const tokenEndpoint = `${gh.issuer}/token`;
    const post = (dpop: string) => fetch(tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        dpop,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'api:read' }),
    });
    const first = await post(await proof(keys, tokenEndpoint));
    assert.equal(first.status, 400);
    assert.equal(((await first.json()) as { error: string }).error, 'use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce);

    const withNonce = await proof(keys, tokenEndpoint, nonce);
    assert.equal((await post(withNonce)).status, 200);
    const replay = await post(withNonce);
    assert.equal(replay.status, 400);
    // At the token endpoint oidc-provider reports "DPoP proof JWT Replay detected" as invalid_grant.
    assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant');
  });

  test('a client registered to require DPoP gets nothing without a proof', async () => {
    const strict = await createClient(gh, ['--name', 'Strict job', '--grant', 'client_credentials', '--scope', 'api:read', '--require-dpop']);
    const rp = await relyingParty(gh, strict);
    // oidc-provider answers a missing required proof with invalid_grant at the token endpoint.
    await assert.rejects(oidc.clientCredentialsGrant(rp, { resource: API, scope: 'api:read' }), (err: Error) => oauthError(err) === 'invalid_grant');
    const tokens = await oidc.clientCredentialsGrant(rp, { resource: API, scope: 'api:read' }, { DPoP: oidc.getDPoPHandle(rp, await keyPair()) });
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  });

  test('a public app: DPoP-bound access and refresh tokens; a proof from another key is refused', async () => {
    const app = await createClient(gh, ['--name', 'Native', '--public', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]);
    const rp = await relyingParty(gh, app);
    const keys = await keyPair();
    const DPoP = oidc.getDPoPHandle(rp, keys);
    const start = await startAuthorization(rp, REDIRECT, { scope: 'openid offline_access', prompt: 'consent' });
    const landed = await signInAndDecide(browserFor(REDIRECT), start.url, EMAIL);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce }, undefined, { DPoP });
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    assert.ok(tokens.refresh_token);

    const sub = tokens.claims()!.sub;
    assert.equal((await oidc.fetchUserInfo(rp, tokens.access_token, sub, { DPoP })).sub, sub);
    const thief = oidc.getDPoPHandle(rp, await keyPair());
    await assert.rejects(oidc.fetchUserInfo(rp, tokens.access_token, sub, { DPoP: thief }), (err: Error) => oauthError(err) === 'invalid_token');
    await assert.rejects(oidc.fetchUserInfo(rp, tokens.access_token, sub), 'a bound token is no bearer token');
    await assert.rejects(oidc.refreshTokenGrant(rp, tokens.refresh_token, undefined, { DPoP: thief }), (err: Error) => oauthError(err) === 'invalid_grant');

    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token, undefined, { DPoP });
    assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
  });
});

describe('pushed authorization requests', () => {
  let gh: Gatehouse;
  before(async () => {
    gh = await startGatehouse();
    await createUser(gh, EMAIL);
  });
  after(async () => gh?.stop());

  test('a client pushes its request, then the user signs in with only the request_uri', async () => {
    const web = await createClient(gh, ['--name', 'PAR app', '--grant', 'authorization_code', '--redirect-uri', REDIRECT]);
    const rp = await relyingParty(gh, web);
    assert.ok(rp.serverMetadata().pushed_authorization_request_endpoint);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(rp, {
      redirect_uri: REDIRECT, scope: 'openid', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    const landed = await signInAndDecide(browserFor(REDIRECT), url, EMAIL);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: verifier, expectedState: state });
    assert.ok(tokens.claims()?.sub);
  });

  test('a client registered to require PAR cannot skip it', async () => {
    const strict = await createClient(gh, ['--name', 'Strict PAR', '--grant', 'authorization_code', '--redirect-uri', REDIRECT, '--require-par']);
    const rp = await relyingParty(gh, strict);
    const start = await startAuthorization(rp, REDIRECT);
    const page = await browserFor(REDIRECT).request(start.url.href);
    const answer = page.status === 0 ? new URL(page.url).searchParams.get('error') : page.status;
    assert.ok(answer === 'invalid_request' || answer === 400, `refused, got ${answer}`);
    if (page.status !== 0) assert.match(page.html, /pushed authorization request/i);

    const pushed = await oidc.buildAuthorizationUrlWithPAR(rp, {
      redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    assert.ok(pushed.searchParams.get('request_uri'), 'the same client succeeds through PAR');
  });
});

describe('private_key_jwt', () => {
  let gh: Gatehouse;
  let jwksServer: Server;
  let jwksUrl: string;
  let servedKeys: object = { keys: [] };
  let fetches = 0;

  before(async () => {
    gh = await startGatehouse({ ALLOW_PRIVATE_NETWORK_FETCH: 'true' });
    jwksServer = createServer((_req, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(servedKeys));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const address = jwksServer.address();
    jwksUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/jwks.json`;
  });
  after(async () => {
    jwksServer?.close();
    await gh?.stop();
  });

  async function publicJwks(keys: KeyPair, kid: string) {
    return { keys: [{ ...(await exportJWK(keys.publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  }

  test('a client registered with --jwks FILE authenticates with a signed assertion; another key is refused', async () => {
    const keys = await keyPair();
    const file = join(gh.dir, 'client-keys.json');
    await writeFile(file, JSON.stringify(await publicJwks(keys, 'k1')));
    const client = await createClient(gh, ['--name', 'Signed job', '--grant', 'client_credentials', '--jwks', file]);
    assert.equal(client.client_secret, undefined);

    const config = await oidc.discovery(new URL(gh.issuer), client.client_id, undefined, oidc.PrivateKeyJwt(keys.privateKey), { execute: [oidc.allowInsecureRequests] });
    const tokens = await oidc.clientCredentialsGrant(config);
    assert.ok(tokens.access_token);

    const impostor = await oidc.discovery(new URL(gh.issuer), client.client_id, undefined, oidc.PrivateKeyJwt((await keyPair()).privateKey), { execute: [oidc.allowInsecureRequests] });
    await assert.rejects(oidc.clientCredentialsGrant(impostor), (err: Error) => oauthError(err) === 'invalid_client');
  });

  test('a client registered with --jwks-uri: keys are fetched from its URL', async () => {
    const keys = await keyPair();
    servedKeys = await publicJwks(keys, 'remote-1');
    const client = await createClient(gh, ['--name', 'Remote keys job', '--grant', 'client_credentials', '--jwks-uri', jwksUrl]);
    const config = await oidc.discovery(new URL(gh.issuer), client.client_id, undefined, oidc.PrivateKeyJwt({ key: keys.privateKey, kid: 'remote-1' }), { execute: [oidc.allowInsecureRequests] });
    assert.ok((await oidc.clientCredentialsGrant(config)).access_token);
    fetches = 0;
  });

  test('without ALLOW_PRIVATE_NETWORK_FETCH a jwks_uri on a private address is never fetched', async () => {
    const guarded = await startGatehouse();
    try {
      const keys = await keyPair();
      servedKeys = await publicJwks(keys, 'remote-2');
      const client = await createClient(guarded, ['--name', 'Remote keys job', '--grant', 'client_credentials', '--jwks-uri', jwksUrl]);
      const config = await oidc.discovery(new URL(guarded.issuer), client.client_id, undefined, oidc.PrivateKeyJwt({ key: keys.privateKey, kid: 'remote-2' }), { execute: [oidc.allowInsecureRequests] });
      await assert.rejects(oidc.clientCredentialsGrant(config), (err: Error) => oauthError(err) === 'invalid_client');
      assert.equal(fetches, 0, 'the request to 127.0.0.1 was refused before it was sent');
    } finally {
      await guarded.stop();
    }
  });

  test('the CLI refuses private keys, missing files and keys combined with --public', async () => {
    const privateFile = join(gh.dir, 'private.json');
    await writeFile(privateFile, JSON.stringify({ keys: [await exportJWK((await keyPair()).privateKey)] }));
    for (const [args, message] of [
      [['--jwks', privateFile], /public keys only/],
      [['--jwks', join(gh.dir, 'missing.json')], /cannot read --jwks file/],
      [['--jwks-uri', 'http://keys.example.com/jwks'], /https/],
      [['--jwks-uri', jwksUrl, '--public'], /public client does not authenticate/],
    ] as const) {
      const result = await gh.cli(['client', 'create', '--name', 'Bad', '--grant', 'authorization_code', '--redirect-uri', REDIRECT, ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
    }
  });
});
