// `npm run bench:token`: client-credentials throughput at the token endpoint, with the per-client
// rate limiter on (the client's limit raised out of reach, so this measures what the limiter costs,
// not how many requests it refuses) and with RATE_LIMIT_DISABLED=1. Each run uses a fresh server
// and SQLite database, started the way `npm start` does.
import autocannon from 'autocannon';
import { startGatehouse } from '../test/support/gatehouse-process.js';

const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

interface RunResult { label: string; requestsPerSecond: number; p50: number; p99: number; non2xx: number; errors: number }

async function run(label: string, env: Record<string, string>): Promise<RunResult> {
  const gh = await startGatehouse({ ...env, LOG_LEVEL: 'info' });
  try {
    const client = await gh.cliJson<{ client_id: string; client_secret: string }>(['client', 'create', '--name', 'bench', '--grant', 'client_credentials']);
    await gh.cliJson(['client', 'update', client.client_id, '--rate-limit', '1000000/s']);
    const result = await autocannon({
      url: `${gh.issuer}/token`,
      method: 'POST',
      connections: CONNECTIONS,
      duration: DURATION_SECONDS,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    return {
      label,
      requestsPerSecond: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
    };
  } finally {
    await gh.stop();
  }
}

const results = [
  await run('rate limiting enabled', {}),
  await run('RATE_LIMIT_DISABLED=1', { RATE_LIMIT_DISABLED: '1' }),
];
process.stdout.write(`POST /token grant_type=client_credentials, ${CONNECTIONS} connections, ${DURATION_SECONDS}s each\n`);
for (const r of results) {
  process.stdout.write(`${r.label.padEnd(24)} ${r.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  non-2xx ${r.non2xx}  errors ${r.errors}\n`);
}
