/**
 * The file formats a result can be written in, and how one is chosen: `--format`, or
 * else the `--out` file's extension, or else CSV. Checked before anything is screened,
 * so a typo costs no calls.
 */
import { basename, dirname, extname, join } from 'node:path';

/**
 * `csv`: what every tool reads (docs/output-schema.md). `xlsx`: an Excel workbook whose
 * original cells are text, so IDs, card numbers and leading zeros survive a double
 * click. `jsonl`: one JSON object a row, for data platforms (docs/result.schema.json).
 * `parquet`: typed columns for DuckDB, Spark, pandas and warehouses.
 */
export const RESULT_FORMATS = ['csv', 'xlsx', 'jsonl', 'parquet'] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

/** The extension each format is written with (the first) and recognised by (all). */
export const FORMAT_EXTENSIONS: Record<ResultFormat, readonly string[]> = {
  csv: ['.csv'],
  xlsx: ['.xlsx'],
  jsonl: ['.jsonl', '.ndjson'],
  parquet: ['.parquet'],
};

/** Extensions a user may mean as a format riskscreen does not write: refused rather than written as CSV under a misleading name. */
const LOOKALIKES: Record<string, string> = {
  '.xls': 'riskscreen writes .xlsx (Excel 2007 and later), not the old .xls; use --out NAME.xlsx',
  '.xlsm': 'a workbook with macros is not written; use --out NAME.xlsx',
  '.json': 'the JSON format is JSON Lines, one object a line; use --out NAME.jsonl',
  '.pq': 'use --out NAME.parquet',
};

export class ResultFormatError extends Error {
  readonly code = 'RISKSCREEN_RESULT_FORMAT';
  readonly kind = 'usage';
  constructor(
    /** The option at fault: `--format`, `--out`, `format` (a query field). */
    readonly option: string,
    problem: string,
  ) {
    super(`${option}: ${problem}`);
    this.name = 'ResultFormatError';
  }
}

export function isResultFormat(value: string): value is ResultFormat {
  return (RESULT_FORMATS as readonly string[]).includes(value);
}

/** A format's name checked, or an error naming the option and listing the formats. */
export function resultFormat(option: string, value: string): ResultFormat {
  const name = value.trim().toLowerCase();
  if (isResultFormat(name)) return name;
  throw new ResultFormatError(option, `"${value}" is not a result format; use one of ${RESULT_FORMATS.join(', ')}`);
}

/** The format an output path's extension names, or null for another extension (or none). */
export function formatOfPath(path: string): ResultFormat | null {
  const ext = extname(path).toLowerCase();
  for (const format of RESULT_FORMATS) if (FORMAT_EXTENSIONS[format].includes(ext)) return format;
  return null;
}

/**
 * The format to write `out` in. `--format` wins when given, but not against an extension
 * naming another format (`--format xlsx --out r.csv` would give a workbook named .csv,
 * which nothing opens). With no `--format`, the extension decides; a name with no known
 * extension is CSV, as it always was. The look-alikes (`.xls`, `.json`) are refused.
 */
export function chooseFormat(out: string, flag: string | undefined, option = '--format'): ResultFormat {
  const byName = formatOfPath(out);
  // Refused whatever --format says: a CSV or workbook named .xls is the file nothing opens right.
  const lookalike = LOOKALIKES[extname(out).toLowerCase()];
  if (lookalike) throw new ResultFormatError('--out', `${basename(out)}: ${lookalike}`);
  if (flag !== undefined) {
    const chosen = resultFormat(option, flag);
    if (byName && byName !== chosen) {
      throw new ResultFormatError('--out', `${basename(out)} ends in ${extname(out)}, which is ${byName}, but ${option} is ${chosen}; name the file ${suggestedName(out, chosen)} or drop ${option}`);
    }
    return chosen;
  }
  return byName ?? 'csv';
}

/** `r.csv` with format xlsx -> `r.xlsx`; `r` -> `r.xlsx`. */
export function suggestedName(out: string, format: ResultFormat): string {
  return `${stemOf(out)}${FORMAT_EXTENSIONS[format][0]}`;
}

/** The file name without a result format's extension: `result.xlsx` -> `result`; `result.txt` stays. */
export function stemOf(path: string): string {
  const name = basename(path);
  const format = formatOfPath(name);
  return format ? name.slice(0, -extname(name).length) : name;
}

/**
 * A file written with the result: `result.csv` -> `result.high.csv`, `result.xlsx` ->
 * `result.changes.xlsx`. The suffix goes before the format's extension; a result named
 * without one (`result.txt`) gets `result.txt.high.csv`.
 */
export function siblingPath(out: string, suffix: string, format: ResultFormat = formatOfPath(out) ?? 'csv'): string {
  // `r.ndjson` -> `r.high.ndjson`: the extension the user chose, when it is this format's.
  const ext = formatOfPath(out) === format ? extname(out).toLowerCase() : FORMAT_EXTENSIONS[format][0];
  return join(dirname(out), `${stemOf(out)}.${suffix}${ext}`);
}
