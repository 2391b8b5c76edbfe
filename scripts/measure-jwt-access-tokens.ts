// `npm run measure:jwt`: why APIs default to ES256. Measures raw JWS signing rates with jose, then
// client_credentials token requests per second against the real built server (spawned as the e2e
// tests do) for an ES256 JWT API, an RS256 JWT API and an opaque-token API.
import { performance } from 'node:perf_hooks';
import { generateKeyPair, SignJWT } from 'jose';
import { startGatehouse } from '../test/support/gatehouse-process.js';

const SIGN_SECONDS = 2;
const REQUESTS = Number(process.env.REQUESTS ?? 300);

async function signRate(alg: 'ES256' | 'EdDSA' | 'RS256'): Promise<number> {
  const { privateKey } = await generateKeyPair(alg);
  const payload = { iss: 'https://as.example.com', sub: 'x', aud: 'https://api.example.com', scope: 'a b', client_id: 'c' };
  let count = 0;
  const end = performance.now() + SIGN_SECONDS * 1000;
  while (performance.now() < end) {
    await new SignJWT(payload).setProtectedHeader({ alg, typ: 'at+jwt' }).setIssuedAt().setExpirationTime('10m').sign(privateKey);
    count += 1;
  }
  return count / SIGN_SECONDS;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
  process.stdout.write(`jose sign ${alg}: ${Math.round(await signRate(alg))} tokens/s\n`);
}

const gh = await startGatehouse();
try {
  const apis = [
    ['https://es256.example.com', ['--alg', 'ES256']],
    ['https://rs256.example.com', ['--alg', 'RS256']],
    ['https://opaque.example.com', ['--format', 'opaque']],
  ] as const;
  for (const [identifier, args] of apis) {
    await gh.cliJson(['resource', 'create', '--identifier', identifier, '--scope', `s:${new URL(identifier).hostname}`, ...args]);
  }
  const client = await gh.cliJson<{ client_id: string; client_secret: string }>([
    'client', 'create', '--name', 'bench', '--grant', 'client_credentials', '--scope', apis.map(([id]) => `s:${new URL(id).hostname}`).join(' '),
  ]);
  // The limiter stays on, as in production, but at the default 50/s sequential requests would hit it.
  await gh.cliJson(['client', 'update', client.client_id, '--rate-limit', '1000000/s']);
  const authorization = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
  for (const [identifier, args] of apis) {
    const body = new URLSearchParams({ grant_type: 'client_credentials', resource: identifier, scope: `s:${new URL(identifier).hostname}` });
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < REQUESTS; i += 1) {
      const t0 = performance.now();
      const response = await fetch(`${gh.issuer}/token`, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body });
      if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
    }
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    process.stdout.write(
      `token endpoint ${args.join(' ')}: ${Math.round(REQUESTS / seconds)} requests/s sequential, `
      + `p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms (${REQUESTS} requests)\n`,
    );
  }
} finally {
  await gh.stop();
}
