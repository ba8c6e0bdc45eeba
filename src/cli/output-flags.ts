/**
 * The flags that shape result files, shared by `run` and `result`, and writing the
 * files: the batch's result exported in the form asked for, then a summary by level and
 * row status with every path written.
 */
import { dirname, resolve } from 'node:path';
import type { Options } from '../config/options.js';
import { outputEncoding } from '../config/validate.js';
import { deriveEngineKeys } from '../engine/keys.js';
import type { BatchView } from '../engine/batch.js';
import type { EarlierResult } from '../report/earlier-result.js';
import { exportResult, prepareExport, type Exported } from '../report/export.js';
import type { OutputOptions } from '../report/manifest.js';
import { ResultWriteError } from '../report/result-write-error.js';
import { isFileSystemRefusal } from '../shared/errno-words.js';

export const OUTPUT_FLAGS = {
  'out-encoding': { type: 'string' },
  mask: { type: 'boolean', default: false },
  split: { type: 'boolean', default: false },
  compare: { type: 'string' },
} as const;

export const OUTPUT_FLAGS_HELP = `Result files (docs/output-schema.md; a manifest JSON is written beside them, last):
  --out-encoding ENC     utf8-bom (default, what Excel reads), utf8, or gb18030 (RISKSCREEN_OUTPUT_ENCODING)
  --mask                 show numbers as 138****1234 and add mobile_hash, a keyed hash for joins
  --split                also write one file per level: for --out r.csv, r.high.csv, r.medium.csv,
                         r.low.csv and r.unscored.csv (invalid numbers)
  --compare FILE         compare with an earlier result: adds a change column (new, level_up,
                         level_down, unchanged) and writes r.changes.csv with the changed and
                         gone numbers (checked before anything is screened)`;

export function outputOptionsFrom(
  values: { 'out-encoding'?: string | undefined; mask?: boolean | undefined; split?: boolean | undefined; compare?: string | undefined },
  options: Options,
): OutputOptions {
  return {
    encoding: values['out-encoding'] !== undefined ? outputEncoding('--out-encoding', values['out-encoding']) : options.report.encoding,
    mask: values.mask ?? false,
    split: values.split ?? false,
    compare: values.compare !== undefined ? resolve(values.compare) : null,
  };
}

/** A result export checked and ready before the batch runs: see {@link prepareResultFiles}. */
export interface PreparedExport {
  out: string;
  output: OutputOptions;
  earlier: EarlierResult | null;
  joinKey: () => Buffer;
}

/**
 * Checks everything about the files to write that can fail (the target, the --compare
 * file, the secret a hash needs) before a single call is paid for.
 */
export async function prepareResultFiles(out: string, output: OutputOptions, options: Options, input?: string): Promise<PreparedExport> {
  // Derived only when needed, so a missing secret matters only when a hash is to be made.
  const joinKey = () => deriveEngineKeys(options.engine.secret, options.juhe.key).joinKey;
  const earlier = await prepareExport(out, output, joinKey, input);
  return { out, output, earlier, joinKey };
}

/**
 * Exports a finished batch's result as prepared. A file system that refuses the write
 * (a full disk, a lost permission) is a ResultWriteError naming the target and the
 * cause, with the command that exports the batch's kept result again.
 */
export async function writeResultFiles(view: BatchView, prepared: PreparedExport): Promise<Exported> {
  if (!view.resultPath) throw new Error(`batch ${view.id} has no result file`);
  const { out, output, earlier, joinKey } = prepared;
  try {
    return await exportResult({ source: view.resultPath, out, output, joinKey, earlier });
  } catch (err) {
    if (!isFileSystemRefusal(err)) throw err;
    throw new ResultWriteError(
      out,
      err,
      `The batch's result is kept in ${dirname(view.resultPath)}; once there is room, write it again (no call is made) with: ${exportCommand(view.id, out, output)}`,
    );
  }
}

/** The `riskscreen result` command that writes the same files again. */
export function exportCommand(batchId: string, out: string, output: OutputOptions): string {
  const flags = [
    `--out ${shellWord(out)}`,
    ...(output.encoding !== 'utf8-bom' ? [`--out-encoding ${output.encoding}`] : []),
    ...(output.mask ? ['--mask'] : []),
    ...(output.split ? ['--split'] : []),
    ...(output.compare ? [`--compare ${shellWord(output.compare)}`] : []),
  ];
  return `riskscreen result ${batchId} ${flags.join(' ')}`;
}

function shellWord(text: string): string {
  return /^[\w./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
