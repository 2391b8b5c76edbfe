// Runs the real `gatehouse` command as a child process, as an operator would, and collects what it
// printed and its exit status. Shared by the CLI tests and the end-to-end harness.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root.js';

export const CLI = join(projectRoot, 'bin', 'gatehouse.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env: Record<string, string>; cwd: string; input?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
