/**
 * A local run stopped because its data dir could not be written (a full disk, a lost
 * permission): the calls stopped at once, nothing already stored is lost, and running
 * the same command again resumes the batch, paying only for what was not answered.
 */
import { relative, resolve, sep } from 'node:path';
import { isStoreWriteError } from '../engine/store-errors.js';
import { errnoWords, isFileSystemRefusal } from '../shared/errno-words.js';

export class DataDirWriteError extends Error {
  readonly code = 'RISKSCREEN_DATA_DIR_WRITE';
  readonly kind = 'storage';
  constructor(cause: unknown, dataDir: string, batchId: string | null) {
    const what = isStoreWriteError(cause) ? cause.message : `the data dir ${dataDir} could not be written: ${errnoWords(cause)}`;
    super(
      `${what}. The calls stopped; nothing already stored is lost. Make room in ${dataDir} (or set RISKSCREEN_DATA_DIR), then run the same command again: ${
        batchId ? `it resumes batch ${batchId}` : 'it starts the batch'
      }, paying only for what was not answered.`,
      { cause },
    );
    this.name = 'DataDirWriteError';
  }
}

/** A store that cannot be written, or a file system refusing a write to a file in the data dir. */
export function isDataDirRefusal(error: unknown, dataDir: string): boolean {
  if (isStoreWriteError(error)) return true;
  if (!isFileSystemRefusal(error)) return false;
  const path = (error as NodeJS.ErrnoException).path;
  if (!path) return false;
  const inside = relative(resolve(dataDir), resolve(path));
  return inside === '' || (!inside.startsWith(`..${sep}`) && inside !== '..' && !inside.startsWith(sep));
}
