/**
 * The flags that shape result files, shared by `run` and `result`, and writing the
 * files: the batch's result exported in the form asked for, then a summary by level and
 * row status with every path written.
 */
import { resolve } from 'node:path';
import type { Options } from '../config/options.js';
import { outputEncoding } from '../config/validate.js';
import { deriveEngineKeys } from '../engine/keys.js';
import type { BatchView } from '../engine/batch.js';
import { exportResult, type Exported } from '../report/export.js';
import type { OutputOptions } from '../report/manifest.js';

export const OUTPUT_FLAGS = {
  'out-encoding': { type: 'string' },
  mask: { type: 'boolean', default: false },
  split: { type: 'boolean', default: false },
  compare: { type: 'string' },
} as const;

export const OUTPUT_FLAGS_HELP = `Result files (docs/output-schema.md; a manifest JSON is written beside them, last):
  --out-encoding ENC     utf8-bom (default, what Excel reads), utf8, or gb18030 (RISKSCREEN_OUTPUT_ENCODING)
  --mask                 show numbers as 138****1234 and add mobile_hash, a keyed hash for joins
  --split                also write one file per level: <out>.high.csv, .medium.csv, .low.csv, .unscored.csv
  --compare FILE         compare with an earlier result: adds a change column (new, level_up,
                         level_down, unchanged) and writes <out>.changes.csv with the changed and
                         gone numbers`;

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

/** Exports a finished batch's result to `out`. */
export async function writeResultFiles(view: BatchView, out: string, output: OutputOptions, options: Options): Promise<Exported> {
  if (!view.resultPath) throw new Error(`batch ${view.id} has no result file`);
  // Derived only when needed, so a missing secret matters only when a hash is to be made.
  const joinKey = () => deriveEngineKeys(options.engine.secret, options.juhe.key).joinKey;
  return exportResult({ source: view.resultPath, out, output, joinKey });
}
