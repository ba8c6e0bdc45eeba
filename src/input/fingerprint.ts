/**
 * Fingerprints: proof that two reads of a list read the same thing.
 *
 * The engine reads a list three times: the pre-flight scan at submit, the ingest job
 * (which queues API calls, one per record) and the report job (which joins each record
 * with its results by row order). The reads must agree record for record. A read that
 * finishes gives the fingerprint of what it read: the file's size, time and inode when
 * it was opened, the SHA-256 of every byte read, the number of data rows, and the
 * `layoutKey`, every layout decision in one string. A later read given that fingerprint
 * as `expect` refuses (INPUT_CHANGED) to read anything else:
 *
 * - before the first record: size or time differ (and the inode, if asked), or the
 *   layout was decided differently (other options, other first rows);
 * - after the last record, before the reader says it has finished: the bytes (SHA-256)
 *   or the row count differ (a file rewritten in place with the same size and time).
 */
import { InputFileError } from './errors.js';
import type { InputLayout } from './layout.js';
import type { SourceStats } from './source.js';

export interface InputFingerprint {
  /** Size in bytes (the whole file, BOM included). */
  bytes: number;
  /** Modification time of the file when the read opened it. */
  mtimeMs: number;
  /** Inode number (0 where the platform has none). Another file, a copy, has another. */
  ino: number;
  /** SHA-256 (hex) of the file's bytes, all of them, as read. */
  sha256: string;
  /** Data rows (the header and blank lines excluded): the records a read yields. */
  rows: number;
  /** Every layout decision (see `layoutKeyOf`): equal keys, equal records from equal bytes. */
  layoutKey: string;
}

/** What a read checks against an earlier one. */
export interface ReadExpectation {
  /** The fingerprint of an earlier read of these bytes (of this file, or of the file it is a copy of: see `compareInode`). */
  expect?: InputFingerprint;
  /**
   * Also require the same inode (when both are known, i.e. nonzero). Off by default: the
   * engine reads a copy of the scanned file, which has another inode.
   */
  compareInode?: boolean;
}

/**
 * A stable string of every decision a read takes before the first record: format,
 * encoding, delimiter, sheet, header line, phone and date columns, the batch date. Two
 * reads of the same bytes with equal keys yield the same records.
 */
export function layoutKeyOf(layout: InputLayout): string {
  return JSON.stringify({
    v: 1,
    format: layout.format,
    encoding: layout.encoding,
    delimiter: layout.delimiter,
    sheet: layout.sheet ? [layout.sheet.position, layout.sheet.name] : null,
    headerLine: layout.headerLine,
    phoneColumn: layout.phoneColumn.index,
    dateColumn: layout.dateColumn?.index ?? null,
    since: layout.since,
  });
}

/** Before reading: the file as opened must have the size and time (and inode, if asked) expected. */
export function checkOpened(expect: InputFingerprint, stats: SourceStats, file: string, compareInode: boolean): void {
  const differences: string[] = [];
  if (stats.bytes !== expect.bytes) differences.push(`it is ${stats.bytes} bytes, not ${expect.bytes}`);
  if (stats.mtimeMs !== expect.mtimeMs) {
    const [now, then] = [isoTime(stats.mtimeMs), isoTime(expect.mtimeMs)];
    differences.push(now === then ? `its modification time is ${stats.mtimeMs}, not ${expect.mtimeMs}` : `it was modified at ${now}, not ${then}`);
  }
  if (compareInode && stats.ino !== 0 && expect.ino !== 0 && stats.ino !== expect.ino) {
    differences.push(`it is another file (inode ${stats.ino}, not ${expect.ino})`);
  }
  if (differences.length > 0) throw changed(file, differences.join(', '));
}

/** Before the first record: the layout must be decided as before. */
export function checkLayout(expect: InputFingerprint, layoutKey: string, file: string): void {
  if (layoutKey !== expect.layoutKey) {
    throw changed(file, `it is read with another layout (${layoutKey}, not ${expect.layoutKey}): other options, or other first rows`);
  }
}

/** After the last record: the same bytes, the same number of rows. */
export function checkRead(expect: InputFingerprint, read: InputFingerprint, file: string): void {
  const differences: string[] = [];
  if (read.sha256 !== expect.sha256) differences.push('its bytes are not the same (SHA-256)');
  if (read.rows !== expect.rows) differences.push(`it has ${read.rows} rows, not ${expect.rows}`);
  if (differences.length > 0) throw changed(file, differences.join(', '));
}

function changed(file: string, what: string): InputFileError {
  return new InputFileError('INPUT_CHANGED', `the file is not the one that was checked: ${what}`, { file });
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
