// Runs documented shell commands the way a reader types them: one bash session, block after block,
// so variables set in one block are there in the next.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';

/** The ```sh blocks right after a `<!-- marker -->` line, in order. */
export function markedShellBlocks(markdown: string, marker: string): string[] {
  return [...markdown.matchAll(new RegExp(`<!-- ${marker} -->\\s*\\n\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\``, 'g'))].map((m) => m[1]);
}

/** One bash process; each block is eval'd in it, so shell variables live on as in a terminal. */
export class ShellSession {
  readonly #child: ChildProcess;
  #stdout = '';
  #stderr = '';

  constructor(env: Record<string, string>, cwd: string) {
    // Blocks arrive on fd 3, NUL-terminated, so the commands' own stdin stays /dev/null.
    const loop = 'set -eo pipefail; while IFS= read -r -d "" block <&3; do eval "$block" </dev/null; echo "@@block-done"; done';
    this.#child = spawn('bash', ['--noprofile', '--norc', '-c', loop], { cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    this.#child.stdout?.on('data', (chunk: Buffer) => { this.#stdout += chunk.toString(); });
    this.#child.stderr?.on('data', (chunk: Buffer) => { this.#stderr += chunk.toString(); });
  }

  /** Runs a block and resolves with what it printed on stdout; rejects when a command in it fails. */
  run(block: string): Promise<string> {
    const start = this.#stdout.length;
    return new Promise((resolve, reject) => {
      const onData = () => {
        const end = this.#stdout.indexOf('@@block-done\n', start);
        if (end === -1) return;
        cleanup();
        resolve(this.#stdout.slice(start, end));
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`the block failed (bash exited ${code}):\n${block}\nstdout:\n${this.#stdout.slice(start)}\nstderr:\n${this.#stderr}`));
      };
      const cleanup = () => {
        this.#child.stdout?.off('data', onData);
        this.#child.off('exit', onExit);
      };
      this.#child.stdout?.on('data', onData);
      this.#child.once('exit', onExit);
      (this.#child.stdio[3] as Writable).write(`${block}\0`);
    });
  }

  close(): void {
    (this.#child.stdio[3] as Writable).end();
    this.#child.kill();
  }
}
