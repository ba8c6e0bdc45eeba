/**
 * Which failures of the SQLite store are "the file cannot be written" (a full disk, a
 * lost permission, an I/O error) rather than a bug, and the plain words for each. Those
 * become a StoreWriteError naming the file, so the run stops at once: an answer that
 * cannot be kept would be paid for again.
 */
import { errnoWordsOf } from '../shared/errno-words.js';
import { StoreWriteError } from './store-errors.js';

/** SQLite's primary codes (extended ones start with these, e.g. SQLITE_IOERR_WRITE). */
const SQLITE_WHY: ReadonlyArray<[prefix: string, why: string]> = [
  ['SQLITE_FULL', 'the disk is full'],
  ['SQLITE_IOERR', 'the disk could not be written (an input/output error)'],
  ['SQLITE_READONLY', 'the file is read-only'],
  ['SQLITE_CANTOPEN', 'the file could not be opened'],
  ['SQLITE_PERM', 'permission denied'],
  // Past the busy timeout (10 s): a write that waits longer stops the run rather than
  // lose an answer it was given (a retry of the job would call again).
  ['SQLITE_BUSY', 'another process kept it locked too long'],
  ['SQLITE_LOCKED', 'another process kept it locked too long'],
  ['SQLITE_NOTADB', 'it is not a riskscreen store (not a SQLite database): move it away or use another data folder'],
  ['SQLITE_CORRUPT', 'the file is damaged: move it away (its answers are lost) or use another data folder'],
];

function codeOf(error: unknown): string | null {
  if (typeof error !== 'object' || error === null || !('code' in error)) return null;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : null;
}

/** The StoreWriteError for `error`, or null when it is not a failure to write. */
export function storeWriteErrorOf(error: unknown, file: string): StoreWriteError | null {
  if (error instanceof StoreWriteError) return error;
  const code = codeOf(error);
  if (code === null) return null;
  if (code.startsWith('SQLITE_')) {
    const found = SQLITE_WHY.find(([prefix]) => code === prefix || code.startsWith(`${prefix}_`));
    // An I/O error caused by a full disk says so in its message on some systems.
    if (found && found[0] === 'SQLITE_IOERR' && /ENOSPC|no space/i.test(String((error as Error).message))) {
      return new StoreWriteError(file, 'the disk is full', code, { cause: error });
    }
    return found ? new StoreWriteError(file, found[1], code, { cause: error }) : null;
  }
  // Node's errno codes met creating the folder or the file; recursive mkdir says EEXIST
  // when a part of the path is a file.
  const why = code === 'EEXIST' ? 'a part of the path is not a folder' : errnoWordsOf(code);
  return why ? new StoreWriteError(file, why, code, { cause: error }) : null;
}

/** Rethrow a failure to write as a StoreWriteError; anything else as it is. */
export function rethrowAsStoreWrite(error: unknown, file: string): never {
  throw storeWriteErrorOf(error, file) ?? error;
}
