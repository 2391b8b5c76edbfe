// Signed requests (RFC 9421 hmac-sha256) through a real gateway (nginx, Caddy) to a real Gatehouse
// and an upstream that echoes what it got. Every signature comes from the test's own signer
// (test/support/http-signature-signer.ts), never from Gatehouse's verifier.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type Gatehouse } from './gatehouse-process.js';
import { startUpstream, type Echo, type Gateway, type Upstream } from './gateways.js';
import { createClient, relyingParty, type CreatedClient } from './relying-party.js';
import { contentDigestOf, signRequest, type SigningKey, type ToSign } from './http-signature-signer.js';

type StartGateway = (gatehouse: string, upstream: string) => Promise<Gateway>;

interface CreatedKey {
  id: string;
  api_key: string;
  signing_secret: string;
}

const METRICS_TOKEN = 'metrics-token-signed-requests-0123456789';
/** The check caches keys and policy for at most this long (the documented bound). */
const PROPAGATION_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function echoOf(response: Response): Promise<Echo | undefined> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as Partial<Echo>;
    return typeof body.method === 'string' && body.headers ? (body as Echo) : undefined;
  } catch {
    return undefined;
  }
}

const signingKey = (key: CreatedKey): SigningKey => ({ id: key.id, secret: key.signing_secret });

export function signedRequestScenarios(name: string, startGateway: StartGateway): void {
  describe(`signed requests through ${name}`, () => {
    let gh: Gatehouse;
    let upstream: Upstream;
    let gateway: Gateway;
    let service: CreatedClient;
    let signedApi: string;
    let keyedApi: string;
    let bothApi: string;
    let key: CreatedKey;

    const newKey = (resource: string, ...extra: string[]) => gh.cliJson<CreatedKey>(['apikey', 'create', '--client', service.client_id, '--resource', resource, ...extra]);

    /** Sends what was signed, or with `send` something else than was signed. */
    const send = (signing: SigningKey, signed: ToSign, sent: Partial<{ method: string; url: string; body: string; headers: Record<string, string> }> = {}) => {
      const headers = { ...signRequest(signing, signed), ...(sent.headers ?? {}) };
      const body = sent.body ?? signed.body;
      return fetch(sent.url ?? signed.url, { method: sent.method ?? signed.method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body });
    };

    /** A refusal's description, from WWW-Authenticate (nginx replaces the body, never this header). */
    const refusal = async (response: Response): Promise<string> => {
      assert.equal(response.status, 401, `refused with 401 (got ${response.status})`);
      assert.equal(await echoOf(response), undefined, 'the upstream was never reached');
      const challenge = response.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Signature .*error="invalid_signature"/);
      return /error_description="([^"]*)"/.exec(challenge)?.[1] ?? '';
    };

    before(async () => {
      gh = await startGatehouse({ METRICS_TOKEN });
      upstream = await startUpstream();
      gateway = await startGateway(gh.issuer, upstream.url);
      signedApi = `${gateway.url}/signed`;
      keyedApi = `${gateway.url}/keyed`;
      bothApi = `${gateway.url}/both`;
      await gh.cliJson(['resource', 'create', '--identifier', signedApi, '--scope', 'signed:read signed:write', '--require', 'signature']);
      await gh.cliJson(['resource', 'create', '--identifier', keyedApi, '--scope', 'keyed:read', '--require', 'api_key']);
      await gh.cliJson(['resource', 'rule', 'add', keyedApi, '--path', '/keyed/payments/**', '--require', 'signature']);
      await gh.cliJson(['resource', 'create', '--identifier', bothApi, '--scope', 'both:read', '--require', 'signature,access_token']);
      service = await createClient(gh, ['--name', `${name} signer`, '--grant', 'client_credentials', '--scope', 'signed:read signed:write keyed:read both:read']);
      key = await newKey(signedApi);
    });
    after(async () => {
      await gateway?.stop();
      await upstream?.close();
      await gh?.stop();
    });

    test('apikey create --json shows a 256-bit signing secret once, and the key id is the keyid', async () => {
      assert.match(key.signing_secret, /^[0-9a-f]{64}$/);
      const shown = await gh.cliJson<Record<string, unknown>>(['apikey', 'show', key.id]);
      assert.equal(shown.signing_secret, undefined);
      assert.doesNotMatch(JSON.stringify(await gh.cliJson(['apikey', 'list'])), new RegExp(key.signing_secret));
    });

    test('a signed GET passes, and the upstream sees the key and client', async () => {
      const response = await send(signingKey(key), { method: 'GET', url: `${signedApi}/orders/42?expand=items&x=1` });
      assert.equal(response.status, 200);
      const echo = await echoOf(response);
      assert.equal(echo?.url, '/signed/orders/42?expand=items&x=1');
      assert.equal(echo?.headers['x-gatehouse-api-key-id'], key.id);
      assert.equal(echo?.headers['x-gatehouse-client-id'], service.client_id);
      assert.equal(echo?.headers['x-gatehouse-scope'], 'signed:read signed:write');
    });

    test('a signed POST with a body and its Content-Digest passes; the upstream gets the digest to check', async () => {
      const body = JSON.stringify({ item: 'book', quantity: 2 });
      const response = await send(signingKey(key), { method: 'POST', url: `${signedApi}/orders`, body });
      assert.equal(response.status, 200);
      const echo = await echoOf(response);
      assert.equal(echo?.method, 'POST');
      assert.equal(echo?.headers['content-digest'], contentDigestOf(body));
    });

    test('a replayed request (same nonce) is refused', async () => {
      const signed = { method: 'GET', url: `${signedApi}/orders`, nonce: `replay-${Date.now()}` };
      const headers = signRequest(signingKey(key), signed);
      assert.equal((await fetch(signed.url, { headers })).status, 200);
      assert.match(await refusal(await fetch(signed.url, { headers })), /nonce was already used/);
      // A fresh nonce for the same call is fine.
      assert.equal((await send(signingKey(key), { method: 'GET', url: `${signedApi}/orders` })).status, 200);
    });

    test('a request signed 10 minutes ago, or 10 minutes ahead, or expired, is refused', async () => {
      const now = Math.floor(Date.now() / 1000);
      assert.match(await refusal(await send(signingKey(key), { method: 'GET', url: `${signedApi}/orders`, created: now - 600 })), /created more than 300 s ago/);
      assert.match(await refusal(await send(signingKey(key), { method: 'GET', url: `${signedApi}/orders`, created: now + 600 })), /in the future/);
      assert.match(await refusal(await send(signingKey(key), { method: 'GET', url: `${signedApi}/orders`, created: now - 10, expires: now - 1 })), /has expired/);
      assert.equal((await send(signingKey(key), { method: 'GET', url: `${signedApi}/orders`, created: now - 10, expires: now + 60 })).status, 200);
    });

    test('a request whose method, path, query or Content-Digest changed after signing is refused', async () => {
      const body = '{"amount":100}';
      const signed = { method: 'POST', url: `${signedApi}/transfers?to=alice`, body };
      const changed = [
        { method: 'PUT' },
        { url: `${signedApi}/refunds?to=alice` },
        { url: `${signedApi}/transfers?to=mallory` },
        { body: '{"amount":9999}', headers: { 'content-digest': contentDigestOf('{"amount":9999}') } },
      ];
      for (const sent of changed) {
        assert.match(await refusal(await send(signingKey(key), signed, sent)), /does not match the request/, JSON.stringify(sent));
      }
    });

    test('a signature under a revoked key, or a key rotated out, is refused', async () => {
      const revoked = await newKey(signedApi);
      const rotated = await newKey(signedApi);
      assert.equal((await send(signingKey(revoked), { method: 'GET', url: `${signedApi}/a` })).status, 200);
      assert.equal((await send(signingKey(rotated), { method: 'GET', url: `${signedApi}/a` })).status, 200);
      assert.equal((await gh.cli(['apikey', 'revoke', revoked.id])).code, 0);
      const replacement = await gh.cliJson<CreatedKey>(['apikey', 'rotate', rotated.id]);
      assert.match(replacement.signing_secret, /^[0-9a-f]{64}$/);
      assert.notEqual(replacement.signing_secret, rotated.signing_secret);
      await sleep(PROPAGATION_MS);

      assert.match(await refusal(await send(signingKey(revoked), { method: 'GET', url: `${signedApi}/a` })), /revoked/);
      assert.match(await refusal(await send(signingKey(rotated), { method: 'GET', url: `${signedApi}/a` })), /revoked/);
      // The old secret under the new key id does not work either.
      assert.match(await refusal(await send({ id: replacement.id, secret: rotated.signing_secret }, { method: 'GET', url: `${signedApi}/a` })), /does not match/);
      const fresh = await send(signingKey(replacement), { method: 'GET', url: `${signedApi}/a` });
      assert.equal(fresh.status, 200);
      assert.equal((await echoOf(fresh))?.headers['x-gatehouse-api-key-id'], replacement.id);
    });

    test('a bearer key alone is refused where a signature is required, on an API and on a rule', async () => {
      assert.match(await refusal(await fetch(`${signedApi}/orders`, { headers: { 'X-API-Key': key.api_key } })), /a signed request is required/);
      const keyed = await newKey(keyedApi);
      assert.equal((await fetch(`${keyedApi}/catalog`, { headers: { 'X-API-Key': keyed.api_key } })).status, 200);
      assert.match(await refusal(await fetch(`${keyedApi}/payments/1`, { headers: { 'X-API-Key': keyed.api_key } })), /a signed request is required/);
      assert.equal((await send(signingKey(keyed), { method: 'GET', url: `${keyedApi}/payments/1` })).status, 200);
    });

    test('signature,access_token: the signature and a token of the same client are both needed', async () => {
      const both = await newKey(bothApi);
      const rp = await relyingParty(gh, service);
      const token = (await oidc.clientCredentialsGrant(rp, { resource: bothApi, scope: 'both:read' })).access_token;
      const tokenOnly = await fetch(`${bothApi}/x`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(tokenOnly.status, 401);
      await tokenOnly.text();
      const signedOnly = await send(signingKey(both), { method: 'GET', url: `${bothApi}/x` });
      assert.equal(signedOnly.status, 401, 'a signature without the token is not enough');
      await signedOnly.text();
      const together = await send(signingKey(both), { method: 'GET', url: `${bothApi}/x` }, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(together.status, 200);
      assert.equal((await echoOf(together))?.headers['x-gatehouse-api-key-id'], both.id);
    });

    test('each refusal says what was wrong: unknown key id, uncovered component, missing digest, no nonce', async () => {
      const url = `${signedApi}/orders`;
      assert.match(await refusal(await send({ id: 'AAAAAAAAAAAA', secret: key.signing_secret }, { method: 'GET', url })), /unknown key id/);
      assert.match(await refusal(await send(signingKey(key), { method: 'GET', url, components: ['@method', '@authority', '@path'] })), /must cover @query/);
      assert.equal((await send(signingKey(key), { method: 'GET', url, components: ['@method', '@authority', '@target-uri'] })).status, 200, '@target-uri covers path and query');
      assert.match(await refusal(await send(signingKey(key), { method: 'POST', url, components: ['@method', '@authority', '@path', '@query'] }, { body: '{}' })), /no Content-Digest header/);
      assert.match(await refusal(await send(signingKey(key), { method: 'POST', url, body: '{}', components: ['@method', '@authority', '@path', '@query'] })), /must cover content-digest/);
      assert.match(await refusal(await send(signingKey(key), { method: 'GET', url, nonce: null })), /no nonce/);
      assert.match(await refusal(await send(signingKey(key), { method: 'GET', url, alg: 'rsa-pss-sha512' })), /alg must be hmac-sha256/);
      assert.match(await refusal(await send({ id: key.id, secret: 'ab'.repeat(32) }, { method: 'GET', url })), /does not match/);
      assert.doesNotMatch(gh.output(), new RegExp(key.signing_secret), 'the signing secret is never logged');
    });

    test('signed calls count as key calls: quota, usage, metrics and audit by reason', async () => {
      const limited = await newKey(signedApi, '--quota', '2/day');
      const statuses = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await send(signingKey(limited), { method: 'GET', url: `${signedApi}/metered` });
        statuses.push(response.status);
        await response.text();
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      // Over quota, then replayed: throttled first (the signature was good), then denied as a replay.
      const replay = signRequest(signingKey(limited), { method: 'GET', url: `${signedApi}/metered` });
      assert.equal((await fetch(`${signedApi}/metered`, { headers: replay })).status, 429);
      assert.match(await refusal(await fetch(`${signedApi}/metered`, { headers: replay })), /already used/);

      type Usage = { total: { allowed: number; denied: number; throttled: number } };
      let usage: Usage | undefined;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        usage = await gh.cliJson<Usage>(['apikey', 'usage', limited.id]);
        if (usage.total.allowed + usage.total.throttled + usage.total.denied >= 5) break;
        await sleep(300);
      }
      assert.equal(usage?.total.allowed, 2);
      assert.equal(usage?.total.throttled, 2);
      assert.equal(usage?.total.denied, 1);

      const metrics = await (await fetch(`${gh.issuer}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
      assert.match(metrics, /gatehouse_api_signature_refusals_total\{reason="signature_replayed"\} [1-9]/);
      assert.match(metrics, /gatehouse_api_signature_refusals_total\{reason="signature_too_old"\} [1-9]/);

      type Events = { events: { detail: Record<string, unknown> }[] };
      const denied = await gh.cliJson<Events>(['audit', 'list', '--type', 'api_check.denied', '--limit', '1000']);
      const reasons = new Set(denied.events.map((event) => event.detail.reason));
      for (const reason of ['signature_replayed', 'signature_too_old', 'signature_invalid', 'signature_key_revoked', 'signature_missing']) {
        assert.ok(reasons.has(reason), `audit has ${reason}: ${[...reasons].join(', ')}`);
      }
      assert.ok(denied.events.some((event) => event.detail.reason === 'signature_replayed' && event.detail.api_key_id === limited.id));
    });
  });
}
