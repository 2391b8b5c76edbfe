// How a command's result reaches the operator: one JSON object for scripts (`--json`), or a short
// readable summary for people. Errors never come through here; main.ts reports them on stderr.

/** A failure the operator caused or can fix, reported as one line with its exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** The command line itself is wrong: unknown command or option, missing or malformed value. */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}

/** The command was well formed but cannot be carried out: no such user or client, already exists. */
export function failure(message: string): CliError {
  return new CliError(message, 1);
}

export interface Output {
  readonly json: boolean;
  /** Prints the result: `data` as JSON with --json, otherwise the human lines. */
  result(data: Record<string, unknown>, human: string | string[]): void;
}

export function createOutput(json: boolean, write: (text: string) => void): Output {
  return {
    json,
    result(data, human) {
      if (json) write(`${JSON.stringify(data, null, 2)}\n`);
      else write(`${(Array.isArray(human) ? human : [human]).join('\n')}\n`);
    },
  };
}

/** ISO 8601 in UTC, or "-" for human output of an absent date. */
export function formatDate(date: Date | null | undefined): string {
  return date ? date.toISOString() : '-';
}

/** A plain left-aligned table; columns are as wide as their widest cell. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}
