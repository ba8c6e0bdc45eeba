/**
 * The public entry of the input layer.
 *
 * - `readPhoneList(path, options)` opens a list, decides its layout from the first
 *   bytes and rows (format, encoding, delimiter, header, phone and date columns), and
 *   returns a reader: an async iterable of one record per data row, in input order,
 *   with the counts at the end.
 * - `scanPhoneList(path, options)` reads the whole file once and returns the layout and
 *   counts. It is the pre-flight: every bad-file error a list can raise, it raises, so
 *   a caller that scans first queues nothing for a file that would fail half-way.
 *
 * Both stream: memory does not grow with the file, except the dedupe index (about 17 to
 * 34 bytes per unique number).
 */
import { open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { ColumnPick } from './columns.js';
import { copyCounts, type InputCounts } from './counts.js';
import { readCsvRows } from './csv-rows.js';
import { decodeSample, detectEncoding, forcedEncoding, type EncodingSource } from './encoding.js';
import { InputFileError, InputOptionError } from './errors.js';
import { detectFormat, type InputFormat } from './format.js';
import { detectRowLayout, type HeaderSource } from './layout.js';
import {
  formatBytes,
  MIB,
  resolveInputOptions,
  type Delimiter,
  type InputOptions,
  type ResolvedInputOptions,
} from './options.js';
import { RecordBuilder, type PhoneRecord } from './records.js';
import type { RawRow, RowStats } from './rows.js';
import { sniffDelimiter } from './sniff.js';
import { readXlsxRows, type SheetInfo, type XlsxRowStats } from './xlsx.js';

/** Bytes read up front to tell the format and the encoding and to sniff the delimiter. */
const SAMPLE_BYTES = 1 * MIB;
/** Rows read up front to decide the header and the columns. */
const LAYOUT_ROWS = 1000;

export interface InputLayout {
  /** The path as given. */
  file: string;
  bytes: number;
  /** Modification time when opened: a job runner can check the file did not change between scan and read. */
  mtimeMs: number;
  format: InputFormat;
  /** Text files only: the iconv-lite encoding name and how it was chosen. */
  encoding: string | null;
  encodingSource: EncodingSource | null;
  /** Text files only: the delimiter (`none`: one field per line) and how it was chosen. */
  delimiter: Delimiter | 'none' | null;
  delimiterSource: 'detected' | 'option' | null;
  /** XLSX only: the sheet read. */
  sheet: SheetInfo | null;
  header: string[] | null;
  headerLine: number | null;
  headerSource: HeaderSource;
  phoneColumn: ColumnPick;
  dateColumn: ColumnPick | null;
  /** The batch default date (yyyymmdd), or null. */
  since: string | null;
}

export interface PhoneListReader extends AsyncIterable<PhoneRecord> {
  readonly layout: InputLayout;
  /** True once every row has been read. */
  readonly finished: boolean;
  /** The counts so far; final once `finished`. */
  counts(): InputCounts;
  /** Stops reading and closes the file; for callers that stop before the end. */
  close(): Promise<void>;
}

export interface PhoneListScan {
  layout: InputLayout;
  counts: InputCounts;
  /** The first invalid records, for a report (at most `keepInvalid`). */
  firstInvalid: PhoneRecord[];
  /** The first records with a date warning (at most `keepInvalid`). */
  firstDateWarnings: PhoneRecord[];
}

export async function readPhoneList(path: string, options: InputOptions = {}): Promise<PhoneListReader> {
  const resolved = resolveInputOptions(options);
  const file = path;
  const stats = await statInput(path, file, resolved.maxFileBytes);
  if (stats.size === 0) throw new InputFileError('INPUT_EMPTY', 'the file is empty (0 bytes)', { file });
  const sample = await readSample(path, file, Math.min(SAMPLE_BYTES, stats.size));
  const complete = sample.length >= stats.size;
  const format = detectFormat(sample, file);
  const source = format === 'xlsx' ? openXlsx(path, file, resolved) : openText(path, file, resolved, sample, complete);

  const buffered: RawRow[] = [];
  let ended = false;
  try {
    while (buffered.length < LAYOUT_ROWS) {
      const next = await source.rows.next();
      if (next.done) {
        ended = true;
        break;
      }
      buffered.push(next.value);
    }
    if (buffered.length === 0) {
      const where = format === 'xlsx' && source.stats.sheet ? `sheet "${source.stats.sheet.name}"` : 'the file';
      throw new InputFileError('INPUT_EMPTY', `${where} has no rows, only blank lines`, { file });
    }
    const rowLayout = detectRowLayout(buffered, ended, resolved, file);
    const layout: InputLayout = {
      file,
      bytes: stats.size,
      mtimeMs: stats.mtimeMs,
      format,
      encoding: source.encoding?.encoding ?? null,
      encodingSource: source.encoding?.source ?? null,
      delimiter: source.delimiter?.delimiter ?? null,
      delimiterSource: source.delimiter?.source ?? null,
      sheet: source.stats.sheet ?? null,
      ...rowLayout,
      since: resolved.since,
    };
    const builder = new RecordBuilder({
      phoneColumn: layout.phoneColumn.index,
      dateColumn: layout.dateColumn?.index ?? null,
      since: resolved.since,
    });
    return new Reader(layout, layout.header ? buffered.slice(1) : buffered, source.rows, source.stats, builder);
  } catch (error) {
    await source.rows.return(undefined);
    throw error;
  }
}

export async function scanPhoneList(
  path: string,
  options: InputOptions = {},
  report: { keepInvalid?: number } = {},
): Promise<PhoneListScan> {
  const keep = report.keepInvalid ?? 10;
  const reader = await readPhoneList(path, options);
  const firstInvalid: PhoneRecord[] = [];
  const firstDateWarnings: PhoneRecord[] = [];
  for await (const record of reader) {
    if (record.status === 'invalid' && firstInvalid.length < keep) firstInvalid.push(record);
    if (record.dateWarning && firstDateWarnings.length < keep) firstDateWarnings.push(record);
  }
  return { layout: reader.layout, counts: reader.counts(), firstInvalid, firstDateWarnings };
}

class Reader implements PhoneListReader {
  private started = false;
  private done = false;

  constructor(
    readonly layout: InputLayout,
    private buffered: RawRow[],
    private readonly rows: AsyncGenerator<RawRow>,
    private readonly stats: RowStats,
    private readonly builder: RecordBuilder,
  ) {}

  get finished(): boolean {
    return this.done;
  }

  counts(): InputCounts {
    const counts = copyCounts(this.builder.counts);
    counts.blankLines = this.stats.blankLines;
    return counts;
  }

  async close(): Promise<void> {
    this.buffered = [];
    await this.rows.return(undefined);
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
      this.done = true;
    } finally {
      await this.rows.return(undefined);
    }
  }
}

interface RowSource {
  rows: AsyncGenerator<RawRow>;
  stats: XlsxRowStats;
  encoding?: { encoding: string; source: EncodingSource };
  delimiter?: { delimiter: Delimiter | 'none'; source: 'detected' | 'option' };
}

function openText(
  path: string,
  file: string,
  options: ResolvedInputOptions,
  sample: Buffer,
  complete: boolean,
): RowSource {
  if (options.sheet) throw new InputOptionError('sheet', 'applies to .xlsx workbooks only, and this file is text');
  const encoding = options.encoding ? forcedEncoding(sample, options.encoding) : detectEncoding(sample, complete, file);
  const delimiter = options.delimiter ?? sniffDelimiter(decodeSample(sample, encoding.encoding, encoding.bomLength, complete), complete);
  const stats: XlsxRowStats = { blankLines: 0 };
  const rows = readCsvRows({ path, file, encoding, delimiter, maxLineBytes: options.maxLineBytes }, stats);
  return {
    rows,
    stats,
    encoding: { encoding: encoding.encoding, source: encoding.source },
    delimiter: { delimiter, source: options.delimiter ? 'option' : 'detected' },
  };
}

function openXlsx(path: string, file: string, options: ResolvedInputOptions): RowSource {
  if (options.encoding) throw new InputOptionError('encoding', 'applies to text files only, and this file is an .xlsx workbook');
  if (options.delimiter) throw new InputOptionError('delimiter', 'applies to text files only, and this file is an .xlsx workbook');
  const stats: XlsxRowStats = { blankLines: 0 };
  return { rows: readXlsxRows({ path, file, sheet: options.sheet }, stats), stats };
}

async function statInput(path: string, file: string, maxFileBytes: number): Promise<Stats> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    throw fileSystemError(error, file);
  }
  if (!stats.isFile()) {
    throw new InputFileError('INPUT_UNREADABLE', stats.isDirectory() ? 'this is a directory, not a file' : 'this is not a regular file', { file });
  }
  if (stats.size > maxFileBytes) {
    throw new InputFileError(
      'INPUT_TOO_LARGE',
      `the file is ${formatBytes(stats.size)}, over the limit of ${formatBytes(maxFileBytes)}: split it, or raise the limit`,
      { file },
    );
  }
  return stats;
}

async function readSample(path: string, file: string, length: number): Promise<Buffer> {
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fileSystemError(error, file);
  }
}

function fileSystemError(error: unknown, file: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new InputFileError('INPUT_NOT_FOUND', 'no such file', { file, cause: error });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EISDIR') {
    return new InputFileError('INPUT_UNREADABLE', `cannot read the file (${code})`, { file, cause: error });
  }
  return error;
}
