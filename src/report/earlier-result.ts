/**
 * Reading an earlier result file for `--compare`: any riskscreen result (any output
 * encoding, masked or not), found by its column names. Numbers are matched by the
 * `mobile` column, or by `mobile_hash` when the earlier file was masked.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { detectEncoding } from '../input/encoding.js';
import { LINE_STATUSES } from '../juhe/model.js';
import { RISK_LEVELS, type RiskLevel } from '../risk/index.js';
import { readCsvRows } from './csv-rows.js';
import { unneutralizeRow } from './csv-safety.js';
import { MANIFEST_KIND, manifestPathOf } from './manifest.js';
import { formatOfPath, type ResultFormat } from './result-format.js';
import { readJsonlResult, ResultReadError } from './result-jsonl-read.js';
import { readParquetResult } from './result-parquet-read.js';
import { readXlsxResult } from './result-xlsx-read.js';

const SAMPLE_BYTES = 64 * 1024;

export class CompareError extends Error {
  readonly code = 'RISKSCREEN_COMPARE';
  readonly kind = 'input';
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly line?: number,
    /** Where in the file, when a line number does not say it (`sheet 结果, row 7`). */
    readonly where?: string,
    /** The option that named the file (`estimate --earlier` reads one too). */
    readonly flag: string = '--compare',
  ) {
    super(`${flag} ${file}${where ? `, ${where}` : line ? `, line ${line}` : ''}: ${problem}`);
    this.name = 'CompareError';
  }
}

/** A row of an earlier result in any format, with where it is for messages. */
interface EarlierRow {
  row: string[];
  line: number;
  where?: string;
}

export interface EarlierResult {
  file: string;
  name: string;
  sha256: string;
  /** Found by the file's first bytes, else its extension (result-format.ts). */
  format: ResultFormat;
  /** CSV only: the encoding it is read in. */
  encoding: string;
  header: string[];
  /** How its rows are matched: by number, or by keyed hash (a masked file). */
  keyBy: 'mobile' | 'mobile_hash';
  /** Level of each number (or hash) it holds, and which were seen again. */
  levels: EarlierLevels;
}

const SEEN = 8;

/**
 * The level of every number of an earlier result, compactly: a million numbers as
 * doubles mapping to a small integer (level rank + 1, 0 for none, plus a bit for "seen
 * in this result"), instead of a million strings and a second set of them.
 */
export class EarlierLevels {
  private readonly map = new Map<number | string, number>();
  constructor(readonly keyBy: 'mobile' | 'mobile_hash') {}

  get size(): number {
    return this.map.size;
  }

  /** The first level given for a number wins (duplicates of a number share one answer). */
  add(key: string, level: RiskLevel | ''): void {
    const k = this.key(key);
    if (!this.map.has(k)) this.map.set(k, level ? RISK_LEVELS.indexOf(level) + 1 : 0);
  }

  has(key: string): boolean {
    return this.map.has(this.key(key));
  }

  get(key: string): RiskLevel | '' | undefined {
    const value = this.map.get(this.key(key));
    if (value === undefined) return undefined;
    const rank = value & ~SEEN;
    return rank === 0 ? '' : RISK_LEVELS[rank - 1];
  }

  /** Marks a number as present in this result (or already written as gone). */
  markSeen(key: string): void {
    const k = this.key(key);
    const value = this.map.get(k);
    if (value !== undefined) this.map.set(k, value | SEEN);
  }

  isSeen(key: string): boolean {
    return ((this.map.get(this.key(key)) ?? 0) & SEEN) !== 0;
  }

  private key(key: string): number | string {
    return this.keyBy === 'mobile' ? Number(key) : key;
  }
}

/** Reads the file once: the columns it has and the level of every number in it. */
export async function readEarlierResult(file: string): Promise<EarlierResult> {
  const format = await formatOf(file);
  const encoding = format === 'csv' ? await encodingOf(file) : 'utf-8';
  const hash = createHash('sha256');
  let levels: EarlierLevels | null = null;
  let header: string[] | null = null;
  let keyAt = -1;
  let levelAt = -1;
  let keyBy: EarlierResult['keyBy'] = 'mobile';
  const hashing = format === 'csv' ? (chunk: Buffer) => hash.update(chunk) : undefined;
  for await (const { row, line, where } of rowsOf(file, format, encoding, hashing)) {
    if (!header) {
      header = row;
      // riskscreen's mobile_hash comes right after its mobile; an input column of that name does not count.
      const mobileAt = header.lastIndexOf('mobile');
      const hashAt = mobileAt >= 0 && header[mobileAt + 1] === 'mobile_hash' ? mobileAt + 1 : -1;
      keyBy = hashAt >= 0 ? 'mobile_hash' : 'mobile';
      keyAt = hashAt >= 0 ? hashAt : mobileAt;
      levels = new EarlierLevels(keyBy);
      levelAt = header.lastIndexOf('risk_level');
      if (keyAt < 0 || levelAt < 0) {
        throw new CompareError(file, `not a riskscreen result file: it has no ${keyAt < 0 ? '"mobile"' : '"risk_level"'} column`, line, where);
      }
      continue;
    }
    const key = row[keyAt] ?? '';
    if (!key) continue;
    if (keyBy === 'mobile' && !/^1\d{10}$/.test(key)) {
      if (key.includes('*')) throw new CompareError(file, 'its numbers are masked and it has no mobile_hash column to match them by', line, where);
      continue;
    }
    const level = row[levelAt] ?? '';
    if (level !== '' && !(RISK_LEVELS as readonly string[]).includes(level)) {
      throw new CompareError(file, `risk_level ${JSON.stringify(level)} is not one of ${RISK_LEVELS.join(', ')}`, line, where);
    }
    levels!.add(key, level as RiskLevel | '');
  }
  if (!header || !levels) throw new CompareError(file, 'the file is empty');
  const sha256 = format === 'csv' ? hash.digest('hex') : await sha256Of(file);
  return { file, name: basename(file), sha256, format, encoding, header, keyBy, levels };
}

/** What an earlier result's line_status cell can say: a line status, or that the service had no record. */
const EARLIER_LINE_STATUSES = [...LINE_STATUSES, 'no_record'] as const;
export type EarlierLineStatus = (typeof EARLIER_LINE_STATUSES)[number];
/** Cells that say nothing about the line: the question failed or was not asked (or is empty). */
const NOT_KNOWN = new Set(['', 'failed', 'skipped']);

/**
 * The line status of every number of an earlier result, compactly (a million numbers as
 * doubles mapping to a small integer), for `estimate --earlier`: the first row of a
 * number that tells one wins; `no_record` is known (the service has none).
 */
export class EarlierLineStatuses {
  private readonly map = new Map<number | string, number>();
  constructor(readonly keyBy: 'mobile' | 'mobile_hash') {}

  get size(): number {
    return this.map.size;
  }

  add(key: string, value: EarlierLineStatus): void {
    const k = this.key(key);
    if (!this.map.has(k)) this.map.set(k, EARLIER_LINE_STATUSES.indexOf(value));
  }

  /** Null: not known. */
  get(key: string): EarlierLineStatus | null {
    const value = this.map.get(this.key(key));
    return value === undefined ? null : EARLIER_LINE_STATUSES[value]!;
  }

  private key(key: string): number | string {
    return this.keyBy === 'mobile' ? Number(key) : key;
  }
}

export interface EarlierLineStatusResult {
  file: string;
  name: string;
  format: ResultFormat;
  /** How its numbers are matched: by number, or by keyed hash (a masked file). */
  keyBy: 'mobile' | 'mobile_hash';
  statuses: EarlierLineStatuses;
}

/**
 * Reads an earlier result (any format, masked or not, found as `readEarlierResult` finds
 * it) for the line status of its numbers. Problems are CompareErrors naming `flag`.
 */
export async function readEarlierLineStatuses(file: string, flag = '--earlier'): Promise<EarlierLineStatusResult> {
  try {
    const format = await formatOf(file);
    const encoding = format === 'csv' ? await encodingOf(file) : 'utf-8';
    let statuses: EarlierLineStatuses | null = null;
    let keyAt = -1;
    let statusAt = -1;
    for await (const { row, line, where } of rowsOf(file, format, encoding)) {
      if (!statuses) {
        // As readEarlierResult: riskscreen's columns come after the input's.
        const mobileAt = row.lastIndexOf('mobile');
        const hashAt = mobileAt >= 0 && row[mobileAt + 1] === 'mobile_hash' ? mobileAt + 1 : -1;
        keyAt = hashAt >= 0 ? hashAt : mobileAt;
        statusAt = row.lastIndexOf('line_status');
        if (keyAt < 0) throw new CompareError(file, 'not a riskscreen result file: it has no "mobile" column', line, where, flag);
        if (statusAt < 0) throw new CompareError(file, 'it has no "line_status" column (a result written with --columns leaving it out cannot tell line statuses)', line, where, flag);
        statuses = new EarlierLineStatuses(hashAt >= 0 ? 'mobile_hash' : 'mobile');
        continue;
      }
      const key = row[keyAt] ?? '';
      const value = row[statusAt] ?? '';
      if (!key) continue;
      if (statuses.keyBy === 'mobile' && !/^1\d{10}$/.test(key)) {
        if (key.includes('*')) throw new CompareError(file, 'its numbers are masked and it has no mobile_hash column to match them by', line, where, flag);
        continue;
      }
      if (NOT_KNOWN.has(value)) continue;
      if (!(EARLIER_LINE_STATUSES as readonly string[]).includes(value)) {
        throw new CompareError(file, `line_status ${JSON.stringify(value)} is not one of ${[...EARLIER_LINE_STATUSES, ...NOT_KNOWN].filter(Boolean).join(', ')} or empty`, line, where, flag);
      }
      statuses.add(key, value as EarlierLineStatus);
    }
    if (!statuses) throw new CompareError(file, 'the file is empty', undefined, undefined, flag);
    return { file, name: basename(file), format, keyBy: statuses.keyBy, statuses };
  } catch (err) {
    if (err instanceof CompareError && err.flag !== flag) throw new CompareError(err.file, err.problem, err.line, err.where, flag);
    throw err;
  }
}

/** The earlier file's data rows again, with their 1-based line, for the rows that are gone: the cells as the input had them. */
export async function* earlierRows(earlier: EarlierResult): AsyncGenerator<{ row: string[]; line: number }> {
  let first = true;
  for await (const entry of rowsOf(earlier.file, earlier.format, earlier.encoding)) {
    if (first) {
      first = false;
      continue;
    }
    yield { row: earlier.format === 'csv' ? unneutralizeRow(entry.row) : entry.row, line: entry.line };
  }
}

/**
 * The file's encoding: a BOM decides; else the manifest beside it, if it has one; else
 * detection on the first 64 KiB, checked over the whole file when it says UTF-8 (a
 * GB18030 file can start with 64 KiB of plain ASCII).
 */
async function encodingOf(file: string): Promise<string> {
  const sniffed = await sniffEncoding(file);
  if (sniffed.source === 'bom') return sniffed.encoding;
  const fromManifest = await manifestEncoding(file);
  if (fromManifest) return fromManifest;
  if (sniffed.encoding === 'utf-8' && !(await isUtf8File(file))) return 'gb18030';
  return sniffed.encoding;
}

async function manifestEncoding(file: string): Promise<string | null> {
  try {
    const manifest = JSON.parse(await readFile(manifestPathOf(file), 'utf8')) as { kind?: string; result?: { file?: string; encoding?: string } };
    if (manifest.kind !== MANIFEST_KIND || manifest.result?.file !== basename(file)) return null;
    return manifest.result.encoding === 'gb18030' ? 'gb18030' : manifest.result.encoding?.startsWith('utf8') ? 'utf-8' : null;
  } catch {
    return null;
  }
}

async function isUtf8File(file: string): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of createReadStream(file)) decoder.decode(chunk as Buffer, { stream: true });
    decoder.decode();
    return true;
  } catch {
    return false;
  }
}

async function sniffEncoding(file: string): Promise<{ encoding: string; source: string }> {
  const handle = await openForCompare(file);
  try {
    const sample = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await handle.read(sample, 0, SAMPLE_BYTES, 0);
    const size = (await handle.stat()).size;
    try {
      return detectEncoding(sample.subarray(0, bytesRead), bytesRead >= size, file);
    } catch (err) {
      throw new CompareError(file, (err as Error).message);
    }
  } finally {
    await handle.close();
  }
}

/**
 * The file's rows as the CSV result holds them (a CSV's as written, its neutralizing
 * quotes still on); an error reading it becomes a CompareError naming the file and where.
 */
async function* rowsOf(file: string, format: ResultFormat, encoding: string, onBytes?: (chunk: Buffer) => void): AsyncGenerator<EarlierRow> {
  try {
    switch (format) {
      case 'csv':
        // As written: earlierRows sets the neutralizing quotes aside, where the cells are used.
        yield* readCsvRows(file, { encoding, ...(onBytes ? { onBytes } : {}) });
        return;
      case 'xlsx':
        for await (const { row, line, sheet } of readXlsxResult(file)) yield { row, line, where: `sheet "${sheet}", row ${line}` };
        return;
      case 'jsonl':
        yield* readJsonlResult(file);
        return;
      case 'parquet':
        for await (const { row, line } of readParquetResult(file)) yield { row, line, where: `row ${line}` };
        return;
    }
  } catch (err) {
    if (err instanceof CompareError) throw err;
    if (err instanceof ResultReadError) throw new CompareError(file, `cannot be read as ${FORMAT_WORDS[format]} (${err.problem})`, undefined, err.where ?? undefined);
    const line = (err as { lines?: number }).lines;
    throw new CompareError(file, `cannot be read as ${FORMAT_WORDS[format]} (${(err as Error).message})`, line);
  }
}

const FORMAT_WORDS: Record<ResultFormat, string> = { csv: 'CSV', xlsx: 'a riskscreen workbook', jsonl: 'JSON Lines', parquet: 'Parquet' };

/**
 * Which format an earlier result is in: a workbook and a Parquet file by their first
 * bytes (a zip's `PK`, Parquet's `PAR1`), JSON Lines by its extension or a first `{`;
 * anything else is read as CSV, as before formats.
 */
async function formatOf(file: string): Promise<ResultFormat> {
  const handle = await openForCompare(file);
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    const start = head.subarray(0, bytesRead);
    if (start.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) return 'xlsx';
    if (start.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
    if (formatOfPath(file) === 'jsonl') return 'jsonl';
    const text = start.toString('utf8').replace(/^\uFEFF/, '').trimStart();
    return text.startsWith('{') ? 'jsonl' : 'csv';
  } finally {
    await handle.close();
  }
}

/** The file open for reading, or a CompareError saying why it cannot be. */
async function openForCompare(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (err) {
    throw new CompareError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
