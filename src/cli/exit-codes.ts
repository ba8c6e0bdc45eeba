/**
 * Exit codes of every `riskscreen` command, documented in the README. Stable: scripts
 * and schedulers branch on them. This is the one place where a failure becomes an exit
 * code: errors below the command line carry a kind (src/shared/error-kind.ts), and
 * `exitCodeOf` maps it.
 */
import { errorKindOf, type ErrorKind } from '../shared/error-kind.js';

export const EXIT = {
  /** Done as asked. */
  ok: 0,
  /** A bug or an unexpected failure (the message says what; a stack trace only with --debug). */
  internal: 1,
  /** The command line is wrong: unknown command or option, missing argument. */
  usage: 2,
  /** The input file cannot be read as a phone list (names the file, line and problem). */
  input: 3,
  /** Configuration is missing or invalid (names the option). */
  config: 4,
  /** The Juhe account refused the key or is disabled: nothing more can be done until it is fixed. */
  account: 5,
  /** Stopped early by a limit: quota exhausted or --max-calls reached; the result says what is left. */
  limited: 6,
  /** A service riskscreen needs could not be reached (Redis, the Juhe service). */
  unavailable: 7,
  /**
   * A file could not be written: the result at --out (the batch's result is kept in the
   * data dir and the message gives the command that exports it again) or the local store
   * (calls stop; nothing already stored is lost).
   */
  storage: 8,
  /** Interrupted (SIGINT/SIGTERM) before the work was done. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code of each kind of failure. */
export const EXIT_BY_KIND: Readonly<Record<ErrorKind, ExitCode>> = {
  usage: EXIT.usage,
  input: EXIT.input,
  config: EXIT.config,
  account: EXIT.account,
  limit: EXIT.limited,
  unavailable: EXIT.unavailable,
  not_ready: EXIT.internal,
  storage: EXIT.storage,
};

/** The exit code for an error: by its kind, or `internal` for an unexpected one. */
export function exitCodeOf(error: unknown): ExitCode {
  const kind = errorKindOf(error);
  return kind ? EXIT_BY_KIND[kind] : EXIT.internal;
}
