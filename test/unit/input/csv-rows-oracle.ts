/**
 * The oracle of csv-rows.test.ts: the CSV row reader as it was before rows without a
 * quote were split directly on the bytes (src/input/csv-rows.ts at 4c0f48e), csv-parse
 * reading every byte. The reader must give the same rows, in the same chunks, with the
 * same lines and the same errors. Only the imports are changed.
 */
import { CsvError, Parser, type Options } from 'csv-parse';
import { CheckedDecoder } from '../../../src/input/decoder.js';
import type { EncodingChoice } from '../../../src/input/encoding.js';
import { InputFileError } from '../../../src/input/errors.js';
import type { Delimiter } from '../../../src/input/options.js';
import { formatBytes } from '../../../src/input/options.js';
import { findSwallowedRow, type SwallowedRow } from '../../../src/input/quote-guard.js';
import { isBlankRow, type RawRow, type RowStats } from '../../../src/input/rows.js';
import type { InputSource } from '../../../src/input/source.js';

export interface CsvRowOptions {
  /** The path as the user gave it, for messages. */
  file: string;
  encoding: EncodingChoice;
  delimiter: Delimiter | 'none';
  maxLineBytes: number;
}

/** The delimiter csv-parse gets for one field per line: NUL, which the decoder refuses in the text. */
const NO_DELIMITER = '\u0000';

/** csv-parse options for `delimiter` (see the top of this file). */
function csvParseOptions(delimiter: Delimiter | 'none', maxLineBytes: number): Options {
  const text = delimiter === 'none';
  return {
    delimiter: text ? NO_DELIMITER : delimiter,
    record_delimiter: ['\r\n', '\n', '\r'],
    quote: text ? null : '"',
    escape: '"',
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: false,
    bom: false,
    max_record_size: maxLineBytes,
  };
}

/** Reads the rows of `source` from its first byte after the BOM (`source.skipStart` is the caller's). */
export async function* readCsvRowsWithCsvParseAlone(source: InputSource, options: CsvRowOptions, stats: RowStats): AsyncGenerator<RawRow> {
  const decoder = new CheckedDecoder({
    file: options.file,
    encoding: options.encoding.encoding,
    source: options.encoding.source,
    maxLineBytes: options.maxLineBytes,
  });
  const guard = options.delimiter === 'none' ? null : { file: options.file, delimiter: options.delimiter };
  const parser = new RowParser(csvParseOptions(options.delimiter, options.maxLineBytes), stats, guard);
  try {
    for (;;) {
      const bytes = await source.next();
      const last = bytes === null;
      const utf8 = last ? decoder.end() : decoder.write(bytes);
      if (utf8.length > 0) await parser.parseText(utf8);
      if (last) await parser.parseEnd();
      for (const row of parser.takeRows()) yield row;
      if (last) return;
    }
  } catch (error) {
    throw asInputError(error, options.file, parser.nextLine, options.maxLineBytes);
  } finally {
    parser.destroy();
  }
}

/**
 * csv-parse's Parser, written to one chunk at a time, with line numbers. Every record it
 * makes goes out through `push`: there it gets its line, blank rows are counted, and the
 * rows wait in `takeRows()` for the loop (they do not go through the stream's readable
 * side, so a write is done as soon as csv-parse has parsed the chunk). Lines are counted
 * as records are made, not as the loop takes them, so when csv-parse fails, `nextLine`
 * is the line where the failing row starts.
 *
 * A field holding a line break (a quoted one) also goes through the quote guard
 * (quote-guard.ts). `push` cannot throw (it runs inside csv-parse's transform), so a
 * refusal is kept in `failure`, the records after it are dropped, and the write or end
 * callback rejects with it once csv-parse is done with the chunk.
 */
class RowParser extends Parser {
  /** The line the next record starts on: the previous one's, plus one, plus the line breaks inside its fields. */
  nextLine = 1;
  /** A row the quote guard refused: the read fails with it once csv-parse is done with the chunk. */
  failure: InputFileError | null = null;
  private rows: RawRow[] = [];
  /** Fields of the first row that is not blank (the header, when the file has one); 0 before it. */
  private width = 0;

  constructor(
    options: Options,
    private readonly stats: RowStats,
    /** The quote guard's settings; null with no delimiter (quotes are text, no field holds a line break). */
    private readonly guard: GuardSettings | null,
  ) {
    super(options);
    // Errors come back through the write and end callbacks (parseText, parseEnd); without a
    // listener the stream's own 'error' event would be an uncaught exception.
    this.on('error', () => undefined);
  }

  override push(record: unknown, encoding?: BufferEncoding): boolean {
    if (record === null) return super.push(null, encoding);
    if (this.failure) return true;
    const fields = record as string[];
    const line = this.nextLine;
    const blank = isBlankRow(fields);
    if (this.width === 0 && !blank) this.width = fields.length;
    // The line breaks inside the fields, and the quote guard on each field holding one.
    let breaks = 0;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      if (field.indexOf('\n') === -1 && field.indexOf('\r') === -1) continue;
      if (this.guard && !blank) {
        const swallowed = findSwallowedRow(field, { delimiter: this.guard.delimiter, width: this.width, fieldsAfter: i < fields.length - 1 });
        if (swallowed) {
          this.failure = swallowError(this.guard, { line: line + breaks, column: i + 1, width: this.width }, swallowed);
          return true;
        }
      }
      breaks += lineBreaksIn(field);
    }
    this.nextLine = line + 1 + breaks;
    if (blank) this.stats.blankLines++;
    else this.rows.push({ fields, line });
    return true;
  }

  /** Parses the next chunk of text (UTF-8 bytes); rejects with the quote guard's refusal or csv-parse's error. */
  parseText(utf8: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.write(utf8, (error) => (this.failure ? reject(this.failure) : error ? reject(error) : resolve()));
    });
  }

  /** Parses the end of the text (the last record, an unclosed quote); rejects with the quote guard's refusal or csv-parse's error. */
  parseEnd(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.end((error?: Error | null) => (this.failure ? reject(this.failure) : error ? reject(error) : resolve()));
    });
  }

  /** The rows made since the last call. */
  takeRows(): RawRow[] {
    const rows = this.rows;
    this.rows = [];
    return rows;
  }
}

/** Line breaks inside a field (CRLF is one). */
function lineBreaksIn(field: string): number {
  let breaks = 0;
  for (let i = 0; i < field.length; i++) {
    const code = field.charCodeAt(i);
    if (code === 0x0a) breaks++;
    else if (code === 0x0d && field.charCodeAt(i + 1) !== 0x0a) breaks++;
  }
  return breaks;
}

interface GuardSettings {
  file: string;
  delimiter: Delimiter;
}

const DELIMITER_WORDS: Record<Delimiter, [one: string, many: string]> = {
  ',': ['comma', 'commas'],
  '\t': ['tab', 'tabs'],
  ';': ['semicolon', 'semicolons'],
  '|': ['pipe (|)', 'pipes (|)'],
};

/**
 * The quote guard's refusal (quote-guard.ts): at the line where the quoted field starts,
 * naming the line it runs on to and the first line inside it that reads like a row.
 */
function swallowError(
  guard: GuardSettings,
  at: { line: number; column: number; width: number },
  swallowed: SwallowedRow,
): InputFileError {
  const [one, many] = DELIMITER_WORDS[guard.delimiter];
  const end = at.line + swallowed.breaks;
  const row = at.line + swallowed.offset;
  const why =
    swallowed.why.kind === 'mobile'
      ? 'it holds a mobile number'
      : `it has ${swallowed.why.count} ${swallowed.why.count === 1 ? one : many}, and the first row of the file ${at.width - 1}`;
  return new InputFileError(
    'INPUT_UNCLOSED_QUOTE',
    `the " that opens field ${at.column} on this line seems to swallow the lines below up to line ${end} into that field: ` +
      `line ${row} looks like a row of its own (${why}) and would not be read as one. ` +
      `Remove the stray " (a " that belongs in the value needs the whole field quoted and every " in it doubled), ` +
      `or pass --delimiter if ${many} do not separate this file's fields; then read the file again`,
    { file: guard.file, line: at.line, column: at.column },
  );
}

/**
 * csv-parse's errors as the layer's. With the options above csv-parse raises two: a
 * quoted field still open at the end of the file, and a record over `max_record_size`
 * (a quoted field running on over the lines below). `relax_quotes` and
 * `relax_column_count` rule out its quote and column-count errors; anything else passes
 * through as it is.
 */
function asInputError(error: unknown, file: string, line: number, maxLineBytes: number): unknown {
  if (!(error instanceof CsvError)) return error;
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new InputFileError('INPUT_UNCLOSED_QUOTE', 'a quoted field in the row starting on this line is never closed (a missing closing ")', {
      file,
      line,
      cause: error,
    });
  }
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    return new InputFileError(
      'INPUT_UNCLOSED_QUOTE',
      `a quoted field in the row starting on this line runs on past ${formatBytes(maxLineBytes)}: a closing " is missing`,
      { file, line, cause: error },
    );
  }
  return error;
}
