/**
 * A store that cannot keep what it is given. On the local engine the store is a file on
 * disk (src/engine/sqlite-store.ts): a full disk or a lost permission must stop the
 * calls at once (an answer that cannot be kept would be paid for twice), in plain words
 * that name the file, and must not be mistaken for a bug.
 */
export class StoreWriteError extends Error {
  readonly code = 'RISKSCREEN_STORE_WRITE';
  readonly kind = 'storage';
  constructor(
    /** The database file. */
    readonly file: string,
    /** Why, in words: "the disk is full", "permission denied", … */
    readonly why: string,
    /** The driver's own code (SQLITE_FULL, SQLITE_READONLY, …), when there is one. */
    readonly storeCode: string | null,
    options?: { cause?: unknown },
  ) {
    super(`the local store ${file} could not be written: ${why}${storeCode ? ` (${storeCode})` : ''}`, options);
    this.name = 'StoreWriteError';
  }
}

/** Whether an error is a store that cannot keep what it is given. */
export function isStoreWriteError(error: unknown): error is StoreWriteError {
  return error instanceof StoreWriteError;
}
