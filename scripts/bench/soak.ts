// The bounded soak: client credentials and refresh rotation side by side for a fixed time, with short
// lifetimes and a frequent sweeper, printing latency, RSS and database size per window so growth
// (a leak, a table that never shrinks) shows as a rising column.
import { freePort } from '../../test/support/gatehouse-process.js';
import { rssMiB, type Cores } from './processes.js';
import { SCENARIOS } from './scenarios.js';
import { databaseMiB, startGatehouse } from './targets.js';

const CONNECTIONS = 8;

export async function runSoak(minutes: number, windowSeconds: number, cores: Cores | undefined): Promise<void> {
  const env = {
    BENCH_RESOURCE_FORMAT: 'opaque',
    CLIENT_CREDENTIALS_TTL: '30',
    ACCESS_TOKEN_TTL: '30',
    REFRESH_TOKEN_TTL: '60',
    SWEEP_INTERVAL: '10',
  };
  const windows = Math.max(1, Math.round((minutes * 60) / windowSeconds));
  // Each window ends with up to one refresh token per connection in flight, its rotation unseen.
  const target = await startGatehouse({ port: await freePort(), env, cores, refreshTokens: CONNECTIONS * (windows + 2) });
  const cc = SCENARIOS.find((s) => s.name === 'cc-opaque')!;
  const refresh = SCENARIOS.find((s) => s.name === 'refresh')!;
  console.log(`\nsoak: ${minutes} min, ${CONNECTIONS} connections each of client_credentials and refresh, tokens live 30-60 s, sweep every 10 s;`);
  console.log('expired rows are kept 10 min (retention) before the sweeper deletes them, so the database grows for about 11 min, then stays flat.\n');
  console.log('| minute | cc req/s | cc p99 ms | refresh req/s | refresh p99 ms | errors | RSS MiB | database MiB |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  try {
    for (let i = 1; i <= windows; i += 1) {
      const [a, b] = await Promise.all([cc.run(target, CONNECTIONS, windowSeconds), refresh.run(target, CONNECTIONS, windowSeconds)]);
      const minute = ((i * windowSeconds) / 60).toFixed(1);
      console.log(`| ${minute} | ${a.rps.toFixed(0)} | ${a.p99.toFixed(1)} | ${b.rps.toFixed(0)} | ${b.p99.toFixed(1)} | ${a.errors + b.errors} | ${rssMiB(target.server.pid).toFixed(0)} | ${target.databaseFile ? databaseMiB(target.databaseFile).toFixed(1) : 'n/a'} |`);
    }
  } finally {
    await target.server.stop();
  }
}
