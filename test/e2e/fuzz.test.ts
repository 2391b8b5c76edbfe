// A bounded fuzz test: a few thousand generated malformed requests (wrong content types, broken
// JSON and form encoding, overlong and repeated parameters, non-UTF-8 bytes, bad credentials,
// odd methods) to every endpoint on 127.0.0.1. None may get a 5xx or a stack trace, and the server
// must still answer normally afterwards. The generator is seeded, so a failure can be replayed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import * as oidc from 'openid-client';
import { FORM_LIMIT_BYTES } from '../../src/interactions/form-body.js';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { browserFor, createClient, relyingParty, startAuthorization, type CreatedClient } from '../support/relying-party.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 3000);
const PARALLEL = 16;
const REDIRECT = 'http://127.0.0.1:9540/cb';

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

interface Answer { status: number; body: string }

function send(port: number, req: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers: req.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.setTimeout(15_000, () => r.destroy(new Error('no answer within 15 s')));
    r.end(req.body);
  });
}

const PARAMS = ['client_id', 'client_secret', 'grant_type', 'code', 'code_verifier', 'redirect_uri', 'scope', 'token',
  'refresh_token', 'device_code', 'user_code', 'response_type', 'state', 'nonce', 'code_challenge', 'code_challenge_method',
  'prompt', 'id_token_hint', 'post_logout_redirect_uri', 'email', 'password', 'csrf', 'decision', 'xsrf', 'logout', 'request', 'resource'];

function generator(rand: () => number, targets: string[], clients: CreatedClient[]) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const value = (): string => pick<() => string>([
    () => 'x'.repeat(Math.floor(rand() * 100_000)),
    () => '%zz%E0%A4%A',
    () => '%FF%FE%00%C3%28',
    () => pick(clients).client_id,
    () => pick(['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'password', 'implicit']),
    () => '{"a":',
    () => '<script>alert(1)</script>',
    () => '../../etc/passwd',
    () => String(rand()),
    () => '',
    () => 'openid '.repeat(500),
    () => 'a=b&c',
  ])();
  const form = (): Buffer => {
    const parts: string[] = [];
    const count = Math.floor(rand() * 8);
    for (let i = 0; i < count; i += 1) {
      const name = rand() < 0.9 ? pick(PARAMS) : value();
      parts.push(`${encodeURIComponent(name)}=${rand() < 0.5 ? encodeURIComponent(value()) : value()}`);
      if (rand() < 0.2) parts.push(parts[parts.length - 1]); // a repeated parameter
    }
    return Buffer.from(parts.join('&'), 'latin1');
  };
  const anyBody = (): Buffer => pick<() => Buffer>([
    form,
    () => Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0xc3, 0x28, 0x80]),
    () => Buffer.from('{"client_id": [1, {"x": null}], '),
    () => Buffer.from(JSON.stringify({ grant_type: value(), client_id: value() })),
    () => Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`),
    () => Buffer.alloc(Math.floor(rand() * 200_000), 0x61),
    () => Buffer.alloc(0),
  ])();
  const contentType = (): string | undefined => pick([
    'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8',
    'application/x-www-form-urlencoded; charset=bogus', 'application/json', 'text/plain', 'multipart/form-data; boundary=x',
    'application/xml', '*/*', ';;;', undefined,
  ]);

  return (): FuzzRequest => {
    const method = pick(['GET', 'GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD']);
    let path = pick(targets);
    // Query strings stay under Node's 16 KiB header limit: past it Node itself answers 431 and
    // drops the connection before our code runs. Overlong parameters still come in bodies.
    if (rand() < 0.5) path += `${path.includes('?') ? '&' : '?'}${form().toString('latin1').replace(/[^\x21-\x7e]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).slice(0, 6000)}`;
    const headers: Record<string, string> = { accept: pick(['application/json', 'text/html', '*/*', 'image/png']) };
    const body = method === 'GET' || method === 'HEAD' || rand() >= 0.9
      ? undefined
      : (method === 'POST' ? pick([form, form, anyBody]) : anyBody)();
    const cty = contentType();
    if (body && cty) headers['content-type'] = cty;
    if (rand() < 0.3) {
      headers.authorization = pick([
        'Basic !!!notbase64', 'Basic ' + Buffer.from('no-colon').toString('base64'), 'Bearer x.y.z', 'Basic',
        `Basic ${Buffer.from(`${pick(clients).client_id}:${value().slice(0, 100)}`).toString('base64')}`,
        `Basic ${Buffer.from('%zz:%zz').toString('base64')}`,
      ]);
    }
    if (rand() < 0.2) headers.cookie = pick(['_session=garbage; _session.sig=bad', '_interaction=x', `_session=${'a'.repeat(4000)}`]);
    if (body && rand() < 0.05) headers['content-encoding'] = pick(['gzip', 'br', 'bogus']);
    return { method, path, headers, body };
  };
}

describe('fuzzing every endpoint', () => {
  let gh: Gatehouse;
  let port: number;
  let clients: CreatedClient[];
  let targets: string[];
  before(async () => {
    // Limits stay on, raised so requests reach the endpoints instead of being turned away early.
    gh = await startGatehouse({ RATE_LIMIT_IP_PER_SECOND: '1000000', LOGIN_IP_MAX_FAILURES: '100000' });
    port = Number(new URL(gh.issuer).port);
    clients = [
      await createClient(gh, ['--name', 'Web', '--grant', 'authorization_code', '--grant', 'refresh_token', '--redirect-uri', REDIRECT]),
      await createClient(gh, ['--name', 'Svc', '--grant', 'client_credentials']),
      await createClient(gh, ['--name', 'TV', '--public', '--grant', 'device_code']),
    ];
    const start = await startAuthorization(await relyingParty(gh, clients[0]), REDIRECT);
    const login = await browserFor(REDIRECT).request(start.url.href);
    const uid = new URL(login.url).pathname.split('/').pop()!;
    targets = [
      '/', '/.well-known/openid-configuration', '/jwks', '/auth', `/auth?${start.url.searchParams}`, '/token',
      '/token/introspection', '/token/revocation', '/me', '/device/auth', '/device', '/device?user_code=BCDF-GHJK',
      '/session/end', '/session/end/confirm', '/session/end/success', `/interaction/${uid}`, `/interaction/${uid}/login`,
      `/interaction/${uid}/consent`, '/interaction/nonexistent/login', '/assets/gatehouse.css', '/reg', '/request',
      '/%E0%A4%A', '/auth/%FF',
    ];
  });
  after(async () => gh?.stop());

  test(`${ROUNDS} malformed requests: no 5xx, no stack trace, and the server still works`, async (t) => {
    const next = generator(prng(SEED), targets, clients);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let sent = 0; sent < ROUNDS; sent += PARALLEL) {
      const batch = Array.from({ length: Math.min(PARALLEL, ROUNDS - sent) }, next);
      const answers = await Promise.all(batch.map((req) => send(port, req).catch((error: Error) => ({ status: -1, body: error.message }))));
      answers.forEach((answer, i) => {
        const req = batch[i];
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const label = `${req.method} ${req.path.slice(0, 120)} [${req.headers['content-type'] ?? '-'}] body ${req.body?.length ?? 0}B`;
        // A large body may be answered before it is read (over a limit, or by a route that takes no
        // body) and the connection closed: the client can see that as a reset while still sending.
        // Only bodies above the smallest limit (our forms') may end that way.
        const refusedUnread = answer.status === -1 && /ECONNRESET|EPIPE/.test(answer.body) && (req.body?.length ?? 0) > FORM_LIMIT_BYTES;
        if (refusedUnread) return;
        if (answer.status >= 500 || answer.status === -1) failures.push(`${answer.status} ${label}: ${answer.body.slice(0, 200)}`);
        else if (/\bat [\w.<>]+ \(|node_modules|\.js:\d+:\d+/.test(answer.body)) failures.push(`stack trace: ${label}`);
      });
    }
    t.diagnostic(`seed ${SEED}, ${ROUNDS} requests, statuses ${JSON.stringify([...statuses].sort((a, b) => a[0] - b[0]))}`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} bad answers; statuses ${JSON.stringify([...statuses])}`);
    assert.ok([...statuses.keys()].every((s) => s === -1 || (s >= 200 && s < 500)));
    assert.ok((statuses.get(-1) ?? 0) < ROUNDS / 20, 'resets only for the few oversized bodies');

    const discovery = await fetch(`${gh.issuer}/.well-known/openid-configuration`);
    assert.equal(discovery.status, 200);
    const tokens = await oidc.clientCredentialsGrant(await relyingParty(gh, clients[1]));
    assert.ok(tokens.access_token, 'the server still issues tokens');
    assert.doesNotMatch(gh.output(), /server_error|failed:/, 'nothing failed server-side');
  });
});
