/** What a command writes to; tests pass their own streams. */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Only commands that read a password or a list from stdin use it (process.stdin when absent). */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
}

/** A user error: printed as one plain line, no stack trace, with its exit code. */
export class UsageError extends Error {
  readonly code = 'RISKSCREEN_USAGE';
  readonly kind = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Messages quote file contents (header names); a line break in one must not split the line. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
