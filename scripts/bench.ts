// `npm run bench`: loads Gatehouse and the bare oidc-provider ceiling with the same requests, on
// separate cores where possible, and prints requests/s, p50/p99, errors, server RSS and the
// Gatehouse/ceiling ratio per scenario, then checks the issue's targets. `--soak M` adds a bounded
// soak of M minutes (client credentials + refresh) to watch latency, RSS and database size.
// `--workers N` instead compares WORKERS=1 with WORKERS=N (see bench/scaling.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/project-root.js';
import { freePort } from '../test/support/gatehouse-process.js';
import { chooseCores, cpuSeconds, pinSelf, spawnPinned, watchPeakRss, type Cores } from './bench/processes.js';
import { SCENARIOS, type Scenario } from './bench/scenarios.js';
import { benchPostgresUrl, startCeiling, startGatehouse } from './bench/targets.js';
import type { LoadResult } from './bench/load.js';
import type { Target } from './bench/targets.js';
import { runSoak } from './bench/soak.js';
import { printScaling, runScaling } from './bench/scaling.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '5' },
    'warm-up': { type: 'string', default: '2' },
    connections: { type: 'string', default: process.env.BENCH_CONNECTIONS ?? '1,16,64' },
    scenarios: { type: 'string', default: SCENARIOS.map((s) => s.name).join(',') },
    soak: { type: 'string', default: process.env.BENCH_SOAK_MINUTES ?? '0' },
    'soak-window': { type: 'string', default: '60' },
    workers: { type: 'string' },
  },
});

const seconds = Number(args.duration);
const warmUpSeconds = Number(args['warm-up']);
const connectionLevels = args.connections.split(',').map(Number);
const wanted = new Set(args.scenarios.split(','));
const soakMinutes = Number(args.soak);
/** --workers N: WORKERS=1 and WORKERS=N; --workers 1,2,4: each of those. */
const workerCounts = args.workers === undefined ? undefined : [...new Set([...(args.workers.includes(',') ? [] : [1]), ...args.workers.split(',').map(Number)])];
if (!(seconds > 0) || !(warmUpSeconds >= 0) || connectionLevels.some((c) => !(c >= 1)) || !(soakMinutes >= 0) || !(Number(args['soak-window']) > 0)
  || workerCounts?.some((n) => !Number.isInteger(n) || n < 1)) {
  process.stderr.write('usage: npm run bench -- [--duration S] [--warm-up S] [--connections 1,16,64] [--scenarios a,b|none] [--soak MINUTES] [--soak-window S] [--workers N|N,M,...]\n');
  process.exit(2);
}

interface Measured extends LoadResult {
  /** Server CPU time per completed request, in µs: unlike req/s, it holds up on a busy machine. */
  cpuMicros: number;
}

interface Row {
  scenario: Scenario;
  connections: number;
  gatehouse: Measured;
  ceiling?: Measured;
  rssMiB: number;
}

async function measure(scenario: Scenario, target: Target, connections: number): Promise<Measured> {
  const before = cpuSeconds(target.server.pid);
  const result = await scenario.run(target, connections, seconds);
  return { ...result, cpuMicros: ((cpuSeconds(target.server.pid) - before) * 1e6) / Math.max(1, result.total) };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

async function measureArgon2(cores: Cores | undefined): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-argon2-'));
  const log = join(dir, 'out');
  const child = spawnPinned('dist/scripts/bench/argon2-rate.js', [String(Math.max(3, seconds))], {}, log, cores);
  await new Promise((resolve) => child.once('exit', resolve));
  return (JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!) as { perSecond: number }).perSecond;
}

async function runGroup(jwt: boolean, cores: Cores | undefined, rows: Row[], startup: Map<string, number>): Promise<void> {
  const scenarios = SCENARIOS.filter((s) => s.jwt === jwt && wanted.has(s.name));
  if (scenarios.length === 0) return;
  const env: Record<string, string> = { BENCH_RESOURCE_FORMAT: jwt ? 'jwt' : 'opaque' };
  const refreshTokens = scenarios.some((s) => s.name === 'refresh') ? 150 : 0;
  const checks = scenarios.some((s) => s.name.startsWith('check-'));
  const gatehouse = await startGatehouse({ port: await freePort(), env, cores, refreshTokens, checks });
  const ceiling = await startCeiling({ port: await freePort(), env, cores, refreshTokens: 200 });
  startup.set(`gatehouse${jwt ? ' (JWT)' : ''}`, gatehouse.firstTokenMs);
  startup.set(`ceiling${jwt ? ' (JWT)' : ''}`, ceiling.firstTokenMs);
  try {
    for (const scenario of scenarios) {
      if (scenario.warmUp && warmUpSeconds > 0) {
        const busiest = Math.max(...connectionLevels);
        await scenario.run(gatehouse, busiest, warmUpSeconds);
        if (scenario.ceiling) await scenario.run(ceiling, busiest, warmUpSeconds);
      }
      for (const connections of connectionLevels) {
        const peak = watchPeakRss(gatehouse.server.pid);
        const ours = await measure(scenario, gatehouse, connections);
        const rssMiB = peak();
        const theirs = scenario.ceiling ? await measure(scenario, ceiling, connections) : undefined;
        rows.push({ scenario, connections, gatehouse: ours, ceiling: theirs, rssMiB });
        process.stderr.write(`  ${scenario.name} x${connections}: ${fmt(ours.rps)} req/s vs ${theirs ? fmt(theirs.rps) : 'n/a'}\n`);
      }
    }
  } finally {
    await Promise.all([gatehouse.server.stop(), ceiling.server.stop()]);
  }
}

function printTable(rows: Row[]): void {
  console.log('| scenario | conns | Gatehouse req/s | p50 ms | p99 ms | errors | CPU µs/req | RSS MiB | ceiling req/s | p50 ms | p99 ms | errors | CPU µs/req | ratio |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { scenario, connections, gatehouse: g, ceiling: c, rssMiB } of rows) {
    const ratio = c ? `${fmt((g.rps / c.rps) * 100)}%` : 'n/a';
    console.log(`| ${scenario.label} | ${connections} | ${fmt(g.rps)} | ${fmt(g.p50, 1)} | ${fmt(g.p99, 1)} | ${g.errors} | ${fmt(g.cpuMicros)} | ${fmt(rssMiB)} | ${c ? fmt(c.rps) : 'n/a'} | ${c ? fmt(c.p50, 1) : ''} | ${c ? fmt(c.p99, 1) : ''} | ${c ? c.errors : ''} | ${c ? fmt(c.cpuMicros) : ''} | ${ratio} |`);
  }
}

function printTargets(rows: Row[], argon2PerSecond: number, startup: Map<string, number>): void {
  const lines: [string, boolean, string][] = [];
  const ratioTarget = (name: string, min: number, label: string) => {
    const matching = rows.filter((r) => r.scenario.name === name && r.ceiling);
    if (matching.length === 0) return;
    const ratios = matching.map((r) => `${r.connections}: ${fmt((r.gatehouse.rps / r.ceiling!.rps) * 100)}%`);
    lines.push([`${label} >= ${min * 100}% of the ceiling`, matching.every((r) => r.gatehouse.rps >= min * r.ceiling!.rps), ratios.join(', ')]);
  };
  ratioTarget('cc-opaque', 0.75, 'client_credentials (opaque)');
  ratioTarget('cc-jwt', 0.9, 'client_credentials (JWT)');
  ratioTarget('introspection', 0.6, 'introspection');
  ratioTarget('check-apikey', 1.0, 'gateway check with an API key vs ceiling introspection');
  ratioTarget('check-jwt', 1.0, 'gateway check with a JWT vs ceiling introspection');
  ratioTarget('check-opaque', 0.8, 'gateway check with an opaque token vs ceiling introspection');
  const refresh = rows.filter((r) => r.scenario.name === 'refresh');
  if (refresh.length) {
    const best = Math.max(...refresh.map((r) => r.gatehouse.rps));
    lines.push(['refresh >= 1,000/s', best >= 1000, `best ${fmt(best)}/s`]);
  }
  const flows = rows.filter((r) => r.scenario.name === 'auth-code-flow');
  if (flows.length) {
    const best = Math.max(...flows.map((r) => r.gatehouse.rps));
    lines.push(['login flows >= 90% of argon2 verify rate', best >= 0.9 * argon2PerSecond, `best ${fmt(best, 1)}/s vs argon2 ${fmt(argon2PerSecond, 1)}/s (${fmt((best / argon2PerSecond) * 100)}%)`]);
  }
  const tokenRows = rows.filter((r) => r.connections === 64 && ['cc-opaque', 'cc-jwt', 'refresh', 'device-poll'].includes(r.scenario.name));
  if (tokenRows.length) {
    lines.push(['p99 < 50 ms at 64 connections (token requests)', tokenRows.every((r) => r.gatehouse.p99 < 50), tokenRows.map((r) => `${r.scenario.name} ${fmt(r.gatehouse.p99, 1)} ms`).join(', ')]);
  }
  // The signed-request check has no latency target of its own; it is in the table beside these.
  const checkRows = rows.filter((r) => r.connections === 64 && ['check-apikey', 'check-jwt', 'check-opaque'].includes(r.scenario.name));
  if (checkRows.length) {
    lines.push(['p99 < 20 ms at 64 connections (API key, JWT and opaque checks)', checkRows.every((r) => r.gatehouse.p99 < 20), checkRows.map((r) => `${r.scenario.name} ${fmt(r.gatehouse.p99, 1)} ms`).join(', ')]);
  }
  const rss = Math.max(...rows.map((r) => r.rssMiB));
  lines.push(['server RSS < 200 MiB under load', rss < 200, `peak ${fmt(rss)} MiB`]);
  const start = startup.get('gatehouse') ?? startup.get('gatehouse (JWT)');
  if (start !== undefined) lines.push(['start to first token < 2 s', start < 2000, `${start} ms (ceiling ${startup.get('ceiling') ?? startup.get('ceiling (JWT)')} ms)`]);
  console.log('\n| target | met | measured |\n| --- | --- | --- |');
  for (const [target, met, measured] of lines) console.log(`| ${target} | ${met ? 'yes' : 'NO'} | ${measured} |`);
}

/** Scaling mode: the throughput scenarios unless --scenarios says otherwise; no ceiling, no pinning. */
async function mainScaling(counts: number[]): Promise<void> {
  const scenarios = process.argv.some((arg) => arg.startsWith('--scenarios')) ? wanted : new Set(['cc-opaque', 'cc-jwt', 'introspection']);
  console.log(`Gatehouse scaling benchmark — ${new Date().toISOString()}, Node ${process.version}`);
  console.log(`machine: ${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`WORKERS ${counts.join(', ')}; server and load generator share all cores (no taskset); Gatehouse on ${benchPostgresUrl() ? 'PostgreSQL' : 'SQLite'}`);
  console.log(`${seconds} s per run, connections ${connectionLevels.join('/')}\n`);
  const rows = await runScaling(counts, scenarios, connectionLevels, seconds);
  printScaling(rows);
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

async function main(): Promise<void> {
  if (workerCounts) return mainScaling(workerCounts);
  const cpuCount = availableParallelism();
  const cores = chooseCores(cpuCount);
  pinSelf(cores);
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot, encoding: 'utf8' }).stdout.trim();
  console.log(`Gatehouse benchmark — ${new Date().toISOString()}, commit ${commit || 'unknown'}, Node ${process.version}`);
  console.log(`machine: ${cpuCount} x ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(cores ? `server pinned to core ${cores.server}, load generator to ${cores.load} (taskset)` : 'no taskset or a single core: server and load generator share cores');
  console.log(`Gatehouse on ${benchPostgresUrl() ? 'PostgreSQL (a throwaway database on BENCH_POSTGRES_URL)' : 'SQLite (a fresh file)'}`);
  console.log(`${seconds} s per run, connections ${connectionLevels.join('/')}\n`);

  if (SCENARIOS.some((s) => wanted.has(s.name))) {
    const argon2PerSecond = wanted.has('auth-code-flow') ? await measureArgon2(cores) : Number.NaN;
    const rows: Row[] = [];
    const startup = new Map<string, number>();
    await runGroup(false, cores, rows, startup);
    await runGroup(true, cores, rows, startup);
    const order = SCENARIOS.map((s) => s.name);
    rows.sort((a, b) => order.indexOf(a.scenario.name) - order.indexOf(b.scenario.name) || a.connections - b.connections);
    printTable(rows);
    if (Number.isFinite(argon2PerSecond)) console.log(`\nargon2id verify rate on the server core (the server's concurrency, configured cost): ${fmt(argon2PerSecond, 1)}/s`);
    console.log(`start to first token: ${[...startup].map(([k, v]) => `${k} ${v} ms`).join(', ')}`);
    printTargets(rows, argon2PerSecond, startup);
  }
  if (soakMinutes > 0) await runSoak(soakMinutes, Number(args['soak-window']), cores);
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
