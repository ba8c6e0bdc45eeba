/**
 * Free space, looked at before any call: a result that will not fit where it is to go,
 * or answers that will not fit in the data dir, are said at once with both figures (a
 * warning: the estimate is rough, and space may be freed while the batch runs).
 */
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Bytes a result row adds to the input row (decoded signals and the risk columns): 168 in the demo's result. */
export const RESULT_BYTES_PER_ROW = 170;
/** Bytes one question takes in the local store (its answer in the cache and in the batch): the demo kept 8,513 in 1.9 MB. */
export const STORE_BYTES_PER_ANSWER = 250;

export interface SpaceNeeds {
  out: string | null;
  dataDir: string;
  inputBytes: number;
  rows: number;
  questions: number;
  /** --split writes every row a second time, in its level's file. */
  split: boolean;
}

export async function spaceWarnings(needs: SpaceNeeds): Promise<string[]> {
  const result = needs.inputBytes + needs.rows * RESULT_BYTES_PER_ROW;
  const warnings: string[] = [];
  if (needs.out) {
    const wanted = needs.split ? result * 2 : result;
    const folder = dirname(resolve(needs.out));
    const free = await freeBytes(folder);
    if (free !== null && free < wanted) {
      warnings.push(`the result needs about ${bytesWords(wanted)} and ${folder} has ${bytesWords(free)} free; if it cannot be written, the batch's result stays in the data dir and can be exported again without a call`);
    }
  }
  // The batch's own result file, and the answers, in the data dir.
  const kept = result + needs.questions * STORE_BYTES_PER_ANSWER;
  const free = await freeBytes(needs.dataDir);
  if (free !== null && free < kept) {
    warnings.push(`the batch needs about ${bytesWords(kept)} in the data dir ${needs.dataDir} and it has ${bytesWords(free)} free; calls stop if it fills up (nothing stored is lost; run again to resume)`);
  }
  return warnings;
}

async function freeBytes(path: string): Promise<number | null> {
  try {
    const fs = await statfs(path);
    return fs.bavail * fs.bsize;
  } catch {
    return null;
  }
}

/** `1.2 MB`, `340 kB`, `812 bytes`. */
export function bytesWords(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} bytes`;
}
