// Starts the two servers under test as child processes, pinned to the server core with taskset when
// it exists, and reads their memory from /proc: the load generator must not share their CPU.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root.js';

export const HAS_TASKSET = spawnSync('taskset', ['--version']).status === 0;

export interface Cores {
  server: string;
  load: string;
}

/** With two or more cores, the server gets core 0 and the load generator the rest. */
export function chooseCores(cpuCount: number): Cores | undefined {
  if (!HAS_TASKSET || cpuCount < 2) return undefined;
  return { server: '0', load: cpuCount === 2 ? '1' : `1-${cpuCount - 1}` };
}

/** Moves this process (every thread of it) onto the load generator's cores. */
export function pinSelf(cores: Cores | undefined): void {
  if (cores) spawnSync('taskset', ['-a', '-cp', cores.load, String(process.pid)]);
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  /** Milliseconds from spawn until the process said it was ready. */
  readyAfterMs: number;
  readyLine: string;
  stop(): Promise<void>;
}

/** Servers still running, stopped when the benchmark exits for any reason (error, Ctrl-C). */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGTERM');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

/**
 * Settings libuv and glibc read only when a process starts, which docs/performance.md
 * suggests for sign-in-heavy servers: passed on from the benchmark's own environment to measure them.
 */
function startTimeTuning(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && (entry[0] === 'UV_THREADPOOL_SIZE' || entry[0].startsWith('MALLOC_'))));
}

export function spawnPinned(script: string, args: string[], env: Record<string, string>, logFile: string, cores: Cores | undefined, nodeFlags: string[] = []): ChildProcess {
  const node = [process.execPath, ...nodeFlags, join(projectRoot, script), ...args];
  const [command, ...rest] = cores ? ['taskset', '-c', cores.server, ...node] : node;
  const out = openSync(logFile, 'a');
  const child = spawn(command, rest, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...startTimeTuning(), ...env }, stdio: ['ignore', out, out] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Waits until `logFile` has a line containing `marker`; taskset execs node, so the pid is the server's. */
export async function waitForLine(child: ChildProcess, logFile: string, marker: string, started: number): Promise<ServerProcess> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8')}`);
    const text = readFileSync(logFile, 'utf8');
    // Only whole lines: the server may be halfway through writing a long one.
    const line = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').find((l) => l.includes(marker));
    if (line) {
      return {
        child,
        pid: child.pid!,
        readyAfterMs: Date.now() - started,
        readyLine: line,
        stop: () => new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
      };
    }
    if (Date.now() - started > 60_000) throw new Error(`no "${marker}" within 60 s:\n${readFileSync(logFile, 'utf8')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resident memory of a process in MiB, from /proc (Linux); NaN elsewhere. */
export function rssMiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process's RSS every 200 ms until stopped; returns the peak. */
export function watchPeakRss(pid: number): () => number {
  let peak = rssMiB(pid);
  const timer = setInterval(() => { peak = Math.max(peak, rssMiB(pid)); }, 200);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssMiB(pid));
  };
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc (Linux); NaN elsewhere. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;
