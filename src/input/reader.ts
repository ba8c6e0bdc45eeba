/**
 * The public entry of the input layer.
 *
 * - `readPhoneList(path, options, check?)` opens a list, decides its layout from the
 *   first bytes and rows (format, encoding, delimiter, header, phone and date columns),
 *   and returns a reader: an async iterable of one record per data row, in input order,
 *   with the counts and the fingerprint at the end.
 * - `scanPhoneList(path, options)` reads the whole file once and returns the layout,
 *   counts and fingerprint. It is the pre-flight: every bad-file error a list can raise,
 *   it raises, so a caller that scans first queues nothing for a file that would fail
 *   half-way.
 * - `fingerprintFile(path, options)`: the fingerprint alone (of a stored copy).
 *
 * A read opens the file once and reads everything from that descriptor (see
 * source.ts). The same bytes with the same options give the same layout and records;
 * `check.expect` makes a read prove it (see fingerprint.ts).
 *
 * Both stream: memory does not grow with the file, except the dedupe index (about 17 to
 * 34 bytes per unique number).
 */
import type { ColumnPick } from './columns.js';
import { copyCounts, type InputCounts } from './counts.js';
import { readCsvRows } from './csv-rows.js';
import { decodeSample, detectEncoding, forcedEncoding, type EncodingSource } from './encoding.js';
import { InputFileError, InputOptionError } from './errors.js';
import {
  checkLayout,
  checkOpened,
  checkRead,
  layoutKeyOf,
  type InputFingerprint,
  type ReadExpectation,
} from './fingerprint.js';
import { detectFormat, type InputFormat } from './format.js';
import { detectRowLayout, type InputLayout } from './layout.js';
export type { InputLayout } from './layout.js';
import { MIB, resolveInputOptions, type Delimiter, type InputOptions, type ResolvedInputOptions } from './options.js';
import { RecordBuilder, type PhoneRecord } from './records.js';
import type { RawRow, RowStats } from './rows.js';
import { sniffDelimiter } from './sniff.js';
import { InputSource } from './source.js';
import { readXlsxRows, type SheetInfo, type XlsxRowStats } from './xlsx.js';

/** Bytes read up front to tell the format and the encoding and to sniff the delimiter. */
const SAMPLE_BYTES = 1 * MIB;
/**
 * Rows read up front to decide the header and the columns: 1,000, or fewer if they hold
 * 4 MiB of text (UTF-8 bytes of their fields), whichever comes first. Counted on the
 * rows' own text, so the same file always gives the same sample.
 */
export const LAYOUT_LIMITS = { rows: 1000, bytes: 4 * MIB } as const;


export interface PhoneListReader extends AsyncIterable<PhoneRecord> {
  readonly layout: InputLayout;
  /** True once every row has been read (and, with `expect`, found to be the expected ones). */
  readonly finished: boolean;
  /** The counts so far; final once `finished`. */
  counts(): InputCounts;
  /** What was read, once `finished` (throws before): pass it as `expect` to a later read. */
  fingerprint(): InputFingerprint;
  /** Stops reading and closes the file; for callers that stop before the end. */
  close(): Promise<void>;
}

export interface PhoneListScan {
  layout: InputLayout;
  counts: InputCounts;
  fingerprint: InputFingerprint;
  /** The first invalid records, for a report (at most `keepInvalid`). */
  firstInvalid: PhoneRecord[];
  /** The first records with a date warning (at most `keepInvalid`). */
  firstDateWarnings: PhoneRecord[];
}

export type { InputFingerprint, ReadExpectation } from './fingerprint.js';

/**
 * Opens a list and decides its layout; iterate the reader for the records. The file is
 * opened once, and everything (sample, rows, hash) is read from that one descriptor.
 * With `check.expect`, refuses (INPUT_CHANGED) a file other than the one fingerprinted:
 * by size, time and layout before the first record, by bytes and rows after the last.
 */
export async function readPhoneList(
  path: string,
  options: InputOptions = {},
  check: ReadExpectation = {},
): Promise<PhoneListReader> {
  const resolved = resolveInputOptions(options);
  const file = path;
  const source = await InputSource.open(path, file, { maxFileBytes: resolved.maxFileBytes, sampleBytes: SAMPLE_BYTES });
  let rows: AsyncGenerator<RawRow> | undefined;
  try {
    if (check.expect) checkOpened(check.expect, source.stats, file, check.compareInode ?? false);
    const sample = source.sample;
    const complete = sample.length >= source.stats.bytes;
    const format = detectFormat(sample, file);
    const rowSource = format === 'xlsx' ? openXlsx(source, file, resolved) : openText(source, file, resolved, complete);
    rows = rowSource.rows;
    const { rows: buffered, ended } = await collectLayoutRows(rows);
    if (buffered.length === 0) {
      const where = format === 'xlsx' && rowSource.stats.sheet ? `sheet "${rowSource.stats.sheet.name}"` : 'the file';
      throw new InputFileError('INPUT_EMPTY', `${where} has no rows, only blank lines`, { file });
    }
    const rowLayout = detectRowLayout(buffered, ended, resolved, file);
    const layout: InputLayout = {
      file,
      bytes: source.stats.bytes,
      mtimeMs: source.stats.mtimeMs,
      format,
      encoding: rowSource.encoding?.encoding ?? null,
      encodingSource: rowSource.encoding?.source ?? null,
      encodingAlternative: rowSource.encoding?.alternative ?? null,
      delimiter: rowSource.delimiter?.delimiter ?? null,
      delimiterSource: rowSource.delimiter?.source ?? null,
      sheet: rowSource.stats.sheet ?? null,
      ...rowLayout,
      since: resolved.since,
    };
    const layoutKey = layoutKeyOf(layout);
    if (check.expect) checkLayout(check.expect, layoutKey, file);
    const builder = new RecordBuilder({
      phoneColumn: layout.phoneColumn.index,
      dateColumn: layout.dateColumn?.index ?? null,
      since: resolved.since,
    });
    return new Reader(
      layout,
      layoutKey,
      layout.header ? buffered.slice(1) : buffered,
      rows,
      rowSource.stats,
      builder,
      source,
      check.expect,
    );
  } catch (error) {
    await rows?.return(undefined);
    await source.close();
    throw error;
  }
}

/**
 * Reads the whole list once: the pre-flight. Raises every bad-file error the list has,
 * and returns its layout, counts and fingerprint (to pass as `expect` to later reads).
 */
export async function scanPhoneList(
  path: string,
  options: InputOptions = {},
  report: { keepInvalid?: number } & ReadExpectation = {},
): Promise<PhoneListScan> {
  const keep = report.keepInvalid ?? 10;
  const reader = await readPhoneList(path, options, report);
  const firstInvalid: PhoneRecord[] = [];
  const firstDateWarnings: PhoneRecord[] = [];
  for await (const record of reader) {
    if (record.status === 'invalid' && firstInvalid.length < keep) firstInvalid.push(record);
    if (record.dateWarning && firstDateWarnings.length < keep) firstDateWarnings.push(record);
  }
  return { layout: reader.layout, counts: reader.counts(), fingerprint: reader.fingerprint(), firstInvalid, firstDateWarnings };
}

/**
 * The fingerprint of a list, read in full with `options` (the same options the later
 * reads will use). For a copy of a scanned file: its sha256, rows and layoutKey equal the
 * scan's, and its bytes, mtimeMs and ino are the copy's own.
 */
export async function fingerprintFile(path: string, options: InputOptions = {}): Promise<InputFingerprint> {
  return (await scanPhoneList(path, options, { keepInvalid: 0 })).fingerprint;
}

/**
 * The first rows, for the layout: up to `limits.rows` rows or `limits.bytes` of field text
 * (UTF-8), whichever comes first; `ended` when the rows ran out before that.
 */
export async function collectLayoutRows(
  rows: AsyncIterator<RawRow>,
  limits: { rows: number; bytes: number } = LAYOUT_LIMITS,
): Promise<{ rows: RawRow[]; ended: boolean }> {
  const buffered: RawRow[] = [];
  let bytes = 0;
  while (buffered.length < limits.rows && bytes < limits.bytes) {
    const next = await rows.next();
    if (next.done) return { rows: buffered, ended: true };
    buffered.push(next.value);
    for (const field of next.value.fields) bytes += Buffer.byteLength(field, 'utf8');
  }
  return { rows: buffered, ended: false };
}

class Reader implements PhoneListReader {
  private started = false;
  private done = false;
  private read: InputFingerprint | undefined;

  constructor(
    readonly layout: InputLayout,
    private readonly layoutKey: string,
    private buffered: RawRow[],
    private readonly rows: AsyncGenerator<RawRow>,
    private readonly stats: RowStats,
    private readonly builder: RecordBuilder,
    private readonly source: InputSource,
    private readonly expect: InputFingerprint | undefined,
  ) {}

  get finished(): boolean {
    return this.done;
  }

  counts(): InputCounts {
    const counts = copyCounts(this.builder.counts);
    counts.blankLines = this.stats.blankLines;
    return counts;
  }

  fingerprint(): InputFingerprint {
    if (!this.read) throw new Error('the fingerprint is known once the reader has read to the end');
    return { ...this.read };
  }

  async close(): Promise<void> {
    this.buffered = [];
    await this.rows.return(undefined);
    await this.source.close();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<PhoneRecord> {
    // The rows are a stream: a second pass would silently see nothing.
    if (this.started) throw new Error('a phone list reader can be iterated only once: call readPhoneList again');
    this.started = true;
    try {
      const buffered = this.buffered;
      this.buffered = [];
      for (const row of buffered) yield this.builder.build(row);
      for await (const row of this.rows) yield this.builder.build(row);
      const digest = await this.source.finish();
      const read: InputFingerprint = {
        bytes: digest.bytes,
        mtimeMs: this.source.stats.mtimeMs,
        ino: this.source.stats.ino,
        sha256: digest.sha256,
        rows: this.builder.counts.rows,
        layoutKey: this.layoutKey,
      };
      if (this.expect) checkRead(this.expect, read, this.layout.file);
      this.read = read;
      this.done = true;
    } finally {
      await this.rows.return(undefined);
      await this.source.close();
    }
  }
}

interface RowSource {
  rows: AsyncGenerator<RawRow>;
  stats: XlsxRowStats;
  encoding?: { encoding: string; source: EncodingSource; alternative: string | null };
  delimiter?: { delimiter: Delimiter | 'none'; source: 'detected' | 'option' };
}

function openText(source: InputSource, file: string, options: ResolvedInputOptions, complete: boolean): RowSource {
  if (options.sheet) throw new InputOptionError('sheet', 'applies to .xlsx workbooks only, and this file is text');
  const sample = source.sample;
  const encoding = options.encoding ? forcedEncoding(sample, options.encoding) : detectEncoding(sample, complete, file);
  const delimiter = options.delimiter ?? sniffDelimiter(decodeSample(sample, encoding.encoding, encoding.bomLength, complete), complete);
  source.skipStart(encoding.bomLength);
  const stats: XlsxRowStats = { blankLines: 0 };
  const rows = readCsvRows(source, { file, encoding, delimiter, maxLineBytes: options.maxLineBytes }, stats);
  return {
    rows,
    stats,
    encoding: { encoding: encoding.encoding, source: encoding.source, alternative: encoding.alternative ?? null },
    delimiter: { delimiter, source: options.delimiter ? 'option' : 'detected' },
  };
}

function openXlsx(source: InputSource, file: string, options: ResolvedInputOptions): RowSource {
  if (options.encoding) throw new InputOptionError('encoding', 'applies to text files only, and this file is an .xlsx workbook');
  if (options.delimiter) throw new InputOptionError('delimiter', 'applies to text files only, and this file is an .xlsx workbook');
  const stats: XlsxRowStats = { blankLines: 0 };
  return { rows: readXlsxRows({ source, file, sheet: options.sheet }, stats), stats };
}
