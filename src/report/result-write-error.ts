/**
 * A result that could not be written where it was asked for (a full disk, a lost
 * permission) after the batch ran. The batch's own result is not lost: it stays in the
 * data dir, and `advice` says how to export it again, without a call.
 */
import { errnoWords } from '../shared/errno-words.js';

export class ResultWriteError extends Error {
  readonly code = 'RISKSCREEN_RESULT_WRITE';
  readonly kind = 'storage';
  constructor(
    /** Where the result was to go. */
    readonly target: string,
    cause: unknown,
    /** What to do now, in one sentence (the command that exports the kept result). */
    readonly advice: string,
  ) {
    super(`could not write the result to ${target}: ${errnoWords(cause)}; nothing partial was left there. ${advice}`, { cause });
    this.name = 'ResultWriteError';
  }
}
