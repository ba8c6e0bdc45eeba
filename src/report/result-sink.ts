/**
 * One result file being written, whatever its format: rows in, then committed whole (a
 * temporary file renamed into place) or aborted (nothing left). The export
 * (export.ts) feeds every file the same rows; each format decides how a cell is typed
 * and made safe (result-columns.ts, csv-safety.ts).
 *
 * Rows are the cells as the input had them (never neutralized: the CSV writer does that
 * itself), aligned with `columns`.
 */
import type { Rubric } from '../risk/index.js';
import type { LevelOrUnscored, ResultManifest } from './manifest.js';
import type { OutputEncoding } from './output-encoding.js';
import type { ResultColumn } from './result-columns.js';
import type { ResultFormat } from './result-format.js';
import type { ResultLanguage } from './result-language.js';
import type { WrittenFile } from './written-file.js';

export type { WrittenFile } from './written-file.js';
export { RESULT_LANGUAGES, type ResultLanguage } from './result-language.js';

export interface SinkOptions {
  path: string;
  columns: readonly ResultColumn[];
  /** CSV only. */
  encoding: OutputEncoding;
  /** XLSX: sheet names and the summary's words. */
  language: ResultLanguage;
  /** What this file holds, for a workbook's summary: the whole result, one level, or the changes. */
  part: 'result' | 'level' | 'changes';
  /** With part `level`: which (the summary names it). */
  level?: LevelOrUnscored;
}

/** What the export knows once every row is written: the workbook's summary sheet says it. */
export interface ResultFacts {
  /** The manifest as it will be written, but for the files' own sizes and hashes. */
  manifest: Omit<ResultManifest, 'result' | 'files'>;
  /** The rubric the batch was scored with, when known: the summary lists its rules. */
  rubric: Rubric | null;
}

export interface ResultSink {
  readonly format: ResultFormat;
  writeRows(rows: readonly (readonly string[])[]): Promise<void>;
  /**
   * Finishes the file in its temporary place (a workbook's summary sheet from `facts`),
   * flushed to disk; nothing is in place yet. The export finishes every file before it
   * publishes any, so a file that fails leaves none of the others replaced.
   */
  finish(facts: ResultFacts): Promise<WrittenFile>;
  /** Renames the finished file into place. */
  publish(): Promise<void>;
  /** finish() then publish(): one file on its own. */
  commit(facts: ResultFacts): Promise<WrittenFile>;
  /** Removes the temporary file; safe after a failed write or finish, and until publish(). */
  abort(): Promise<void>;
  /** What the reader of this file should know, once it is finished (a workbook's cells over Excel's limit). */
  readonly warnings?: readonly string[];
}

/** A sink with its `commit`: finish, then publish. */
export function withCommit(sink: Omit<ResultSink, 'commit'>): ResultSink {
  const whole = sink as ResultSink;
  whole.commit = async (facts) => {
    const written = await sink.finish(facts);
    await sink.publish();
    return written;
  };
  return whole;
}
