// `npm run bench -- --workers N`: the same scenarios against Gatehouse with WORKERS=1 and WORKERS=N,
// unpinned (the server needs every core it can get, so it shares them with the load generator).
// Requests per second on a small shared machine say little on their own, so each run also reports
// the CPU time per request of the whole server (primary and workers) and of the load generator,
// and how much CPU everything else on the machine used meanwhile: the noise. CPU per request that
// stays flat from 1 to N workers is what predicts how throughput grows with cores.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { freePort } from '../../test/support/gatehouse-process.js';
import { cpuSeconds } from './processes.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { startGatehouse, type Target } from './targets.js';
import type { LoadResult } from './load.js';

/** USER_HZ, as in processes.ts. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The process and all its descendants (a cluster's workers), from /proc. */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // Not Linux, or the process is gone.
  }
  return [pid, ...children.flatMap(processTree)];
}

/** CPU seconds all cores have spent busy since boot, from /proc/stat (user, nice, system, irq, softirq, steal). */
function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

const selfCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

export interface ScalingRow {
  workers: number;
  scenario: Scenario;
  connections: number;
  result: LoadResult;
  /** CPU µs per completed request: all Gatehouse processes, and the load generator (this process). */
  serverMicros: number;
  loadMicros: number;
  /** Cores' worth of CPU used during the run by Gatehouse, and by everything else on the machine. */
  serverCores: number;
  otherCores: number;
}

/** Unmeasured load first: each worker compiles its hot paths on its own, and a cold worker would count that as cost per request. */
const WARM_UP_SECONDS = 3;

async function measure(target: Target, scenario: Scenario, connections: number, seconds: number, workers: number): Promise<ScalingRow> {
  await scenario.run(target, connections, WARM_UP_SECONDS);
  const pids = processTree(target.server.pid);
  const serverCpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const [server0, load0, machine0, started] = [serverCpu(), selfCpuSeconds(), machineBusySeconds(), process.hrtime.bigint()];
  const result = await scenario.run(target, connections, seconds);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const server = serverCpu() - server0;
  const load = selfCpuSeconds() - load0;
  const machine = machineBusySeconds() - machine0;
  const total = Math.max(1, result.total);
  return {
    workers, scenario, connections, result,
    serverMicros: (server * 1e6) / total,
    loadMicros: (load * 1e6) / total,
    serverCores: server / elapsed,
    otherCores: Math.max(0, machine - server - load) / elapsed,
  };
}

export async function runScaling(workerCounts: number[], wanted: Set<string>, connectionLevels: number[], seconds: number): Promise<ScalingRow[]> {
  const rows: ScalingRow[] = [];
  for (const workers of workerCounts) {
    for (const jwt of [false, true]) {
      const scenarios = SCENARIOS.filter((s) => s.jwt === jwt && wanted.has(s.name));
      if (scenarios.length === 0) continue;
      const refreshTokens = scenarios.some((s) => s.name === 'refresh') ? 150 : 0;
      const target = await startGatehouse({
        port: await freePort(),
        env: { BENCH_RESOURCE_FORMAT: jwt ? 'jwt' : 'opaque', WORKERS: String(workers) },
        cores: undefined,
        refreshTokens,
      });
      try {
        for (const scenario of scenarios) {
          for (const connections of connectionLevels) {
            const row = await measure(target, scenario, connections, seconds, workers);
            rows.push(row);
            process.stderr.write(`  WORKERS=${workers} ${scenario.name} x${connections}: ${row.result.rps.toFixed(0)} req/s, ${row.serverMicros.toFixed(0)} µs CPU/req\n`);
          }
        }
      } finally {
        await target.server.stop();
      }
    }
  }
  return rows;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export function printScaling(rows: ScalingRow[], predictCores = 8): void {
  console.log(`| scenario | conns | WORKERS | req/s | p50 ms | p99 ms | errors | server CPU µs/req | load generator CPU µs/req | server cores busy | other processes' cores busy |`);
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.scenario.label} | ${r.connections} | ${r.workers} | ${fmt(r.result.rps)} | ${fmt(r.result.p50, 1)} | ${fmt(r.result.p99, 1)} | ${r.result.errors} | ${fmt(r.serverMicros)} | ${fmt(r.loadMicros)} | ${fmt(r.serverCores, 2)} | ${fmt(r.otherCores, 2)} |`);
  }
  console.log(`\nPrediction for ${predictCores} cores given to Gatehouse alone (load generated elsewhere): ${predictCores} × 1,000,000 / server CPU µs per request, at the most workers measured.`);
  console.log('It holds as long as CPU per request stays flat as workers are added (compare the rows), and the database keeps up.');
  const most = Math.max(...rows.map((r) => r.workers));
  for (const r of rows.filter((row) => row.workers === most)) {
    const single = rows.find((row) => row.workers === 1 && row.scenario.name === r.scenario.name && row.connections === r.connections);
    const speedup = single ? ` (req/s ×${fmt(r.result.rps / single.result.rps, 2)} from 1 to ${most} workers here)` : '';
    console.log(`- ${r.scenario.label} x${r.connections}: ~${fmt((predictCores * 1e6) / r.serverMicros)} req/s${speedup}`);
  }
  console.log(`\nthis machine: ${availableParallelism()} cores; "other processes" is machine-wide busy CPU minus Gatehouse and the load generator (/proc/stat): other agents' work, i.e. the noise.`);
}
