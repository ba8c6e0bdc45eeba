/**
 * What kind of failure an error is, in words every layer may use. An error that a
 * person should see as one plain line (not a crash) carries a `kind`; only the command
 * line turns a kind into an exit code (src/cli/exit-codes.ts), so no layer below it
 * knows about exit codes, and a new command or the web console can map kinds its own way.
 */
export const ERROR_KINDS = [
  /** The request is wrong: an unknown option or value, a bad target path. */
  'usage',
  /** The input file (or a result file given to compare with) cannot be read as asked. */
  'input',
  /** Configuration is missing or invalid, or the rubric is. */
  'config',
  /** The Juhe account refused the key. */
  'account',
  /** Stopped by a limit: --max-calls, an API's quota. */
  'limit',
  /** A service riskscreen needs does not answer (Redis, the Juhe service). */
  'unavailable',
  /** What was asked for is not there yet or any more (a result not written, a batch already finished). */
  'not_ready',
  /** A file riskscreen must keep could not be written: the result at --out, the local store (a full disk, no permission). */
  'storage',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** The kind an error declares, or undefined for an unexpected error (a bug, an I/O failure). */
export function errorKindOf(error: unknown): ErrorKind | undefined {
  const kind = (error as { kind?: unknown } | null | undefined)?.kind;
  return typeof kind === 'string' && (ERROR_KINDS as readonly string[]).includes(kind) ? (kind as ErrorKind) : undefined;
}
