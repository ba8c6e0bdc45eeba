/**
 * The flags that shape result files, shared by `run` and `result`, and writing the
 * files: the batch's result exported in the form asked for, then a summary by level and
 * row status with every path written.
 */
import { dirname, resolve } from 'node:path';
import type { Options } from '../config/options.js';
import { outputEncoding, resultLanguage } from '../config/validate.js';
import { deriveEngineKeys } from '../engine/keys.js';
import type { BatchView } from '../engine/batch.js';
import type { EarlierResult } from '../report/earlier-result.js';
import { exportResult, prepareExport, type Exported } from '../report/export.js';
import type { OutputOptions } from '../report/manifest.js';
import { chooseFormat, RESULT_FORMATS } from '../report/result-format.js';
import type { ResultLanguage } from '../report/result-language.js';
import { ResultWriteError } from '../report/result-write-error.js';
import { DEFAULT_RUBRIC } from '../risk/index.js';
import { ConfigError } from '../shared/config-error.js';
import { isFileSystemRefusal } from '../shared/errno-words.js';
import { UsageError } from './io.js';

export const OUTPUT_FLAGS = {
  format: { type: 'string' },
  lang: { type: 'string' },
  'out-encoding': { type: 'string' },
  mask: { type: 'boolean', default: false },
  split: { type: 'boolean', default: false },
  compare: { type: 'string' },
} as const;

export const OUTPUT_FLAGS_HELP = `Result files (docs/output-schema.md; a manifest JSON is written beside them, last):
  --format FORMAT        ${RESULT_FORMATS.join(', ')}: csv, an Excel workbook (xlsx), JSON Lines
                         (jsonl) or Parquet. Without it, --out's extension decides (r.xlsx,
                         r.jsonl, r.parquet; any other name is csv); with it, the extension
                         must agree. A finished batch is written again in another format, with
                         no call made: riskscreen result BATCH --format xlsx --out r.xlsx
  --lang zh|en           a workbook's sheet names and summary in Chinese (default) or English
                         (RISKSCREEN_LANGUAGE)
  --out-encoding ENC     csv only: utf8-bom (default, what Excel reads), utf8, or gb18030
                         (RISKSCREEN_OUTPUT_ENCODING)
  --mask                 show numbers as 138****1234 and add mobile_hash, a keyed hash for joins
  --split                also write one file per level, in the result's format: for --out r.csv,
                         r.high.csv, r.medium.csv, r.low.csv and r.unscored.csv (invalid
                         numbers); for --out r.xlsx, r.high.xlsx and so on
  --compare FILE         compare with an earlier result: adds a change column (new, level_up,
                         level_down, unchanged) and writes r.changes.csv (r.changes.xlsx for
                         --out r.xlsx) with the changed and gone numbers (checked before
                         anything is screened)`;

/**
 * The output options from the flags, for the result at `out`. Everything here is checked
 * before a batch is made: a format that is unknown or disagrees with --out's extension,
 * a --lang that is not a language, are refused (exit 2) before a call is paid for.
 */
export function outputOptionsFrom(
  values: {
    format?: string | undefined;
    lang?: string | undefined;
    'out-encoding'?: string | undefined;
    mask?: boolean | undefined;
    split?: boolean | undefined;
    compare?: string | undefined;
  },
  options: Options,
  out: string,
): OutputOptions {
  return {
    encoding: values['out-encoding'] !== undefined ? outputEncoding('--out-encoding', values['out-encoding']) : options.report.encoding,
    mask: values.mask ?? false,
    split: values.split ?? false,
    compare: values.compare !== undefined ? resolve(values.compare) : null,
    format: chooseFormat(out, values.format),
    language: values.lang !== undefined ? languageFlag(values.lang) : options.report.language,
  };
}

/** `--lang`: a command-line mistake (exit 2), worded as RISKSCREEN_LANGUAGE's is. */
function languageFlag(value: string): ResultLanguage {
  try {
    return resultLanguage('--lang', value);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
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
    return await exportResult({ source: view.resultPath, out, output, joinKey, earlier, rubric: view.options.rubric ?? DEFAULT_RUBRIC });
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
  const format = output.format ?? 'csv';
  const language = output.language ?? 'zh';
  const flags = [
    `--out ${shellWord(out)}`,
    ...(format !== impliedFormat(out) ? [`--format ${format}`] : []),
    // Always said where it matters: the defaults may differ where the command is run again.
    ...(format === 'xlsx' ? [`--lang ${language}`] : []),
    ...(format === 'csv' ? [`--out-encoding ${output.encoding}`] : []),
    ...(output.mask ? ['--mask'] : []),
    ...(output.split ? ['--split'] : []),
    ...(output.compare ? [`--compare ${shellWord(output.compare)}`] : []),
  ];
  return `riskscreen result ${batchId} ${flags.join(' ')}`;
}

/** The format `--out` alone would choose, or null when it alone is refused (`r.xls`). */
function impliedFormat(out: string): string | null {
  try {
    return chooseFormat(out, undefined);
  } catch {
    return null;
  }
}

function shellWord(text: string): string {
  return /^[\w./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
