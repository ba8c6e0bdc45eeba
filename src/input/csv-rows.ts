/**
 * Rows of a CSV/TXT file, streamed: file bytes (one descriptor) -> CheckedDecoder (text,
 * checked, as UTF-8 bytes) -> csv-parse -> rows with their line numbers. Memory stays
 * constant: a physical line is at most `maxLineBytes` (the decoder), and so is a record
 * spanning lines, which is a quoted field (csv-parse's `max_record_size`).
 *
 * The loop pulls: one chunk of the file is read, decoded, parsed, and its rows handed
 * on before the next chunk is read, never ahead. So an error stops the read in the chunk
 * where it is found (a quoted field left open is refused soon after the limit, not at the
 * end of the file), and what comes out does not depend on read timing. csv-parse keeps
 * the state of a record cut between chunks (a CRLF, a `""`, a quoted field), so the rows
 * are the same for any chunking.
 *
 * csv-parse (its Node stream `Parser`, written to chunk by chunk) settings, and why:
 * - `record_delimiter` CRLF, LF and CR all at once: files pasted together mix them, and
 *   auto-discovery would lock onto the first one seen. CRLF comes first, so it is one
 *   line end; csv-parse waits for the next chunk when a chunk ends on a CR.
 * - `quote` `"` with `relax_quotes`: a field that starts with `"` is quoted, as in RFC
 *   4180 (delimiters, doubled quotes `""` and line breaks inside it are text); a quote
 *   anywhere else (`138"0013`, `O"Brien`) is text instead of an error. A quoted field
 *   ends at a quote followed by the delimiter, a line end or the end of the file; a quote
 *   followed by anything else (`"Li" Wei`) ends the quoting there and the field goes on
 *   as text, the quotes kept. A stray opening quote (`"Li` with no quote after it on its
 *   line) runs on over the next lines up to the next quote. csv-parse cannot tell that
 *   from a cell with line breaks; the quote guard (quote-guard.ts) refuses the file when
 *   a line inside such a field reads like a row of the file (INPUT_UNCLOSED_QUOTE, at the
 *   line where the field starts); docs/input.md has the rule and the cases it cannot
 *   see.
 * - With no delimiter (a TXT list) `quote` null: quotes are plain text, each line is its
 *   field as written, and the number's cleaning strips the quotes. csv-parse wants some
 *   delimiter: it gets NUL, which the decoder guarantees never reaches it. (csv-parse
 *   rather than a line reader of our own: the same line ends, last line, line limit and
 *   line numbers as CSV, from one tokenizer, at the same speed.)
 * - `relax_column_count`: ragged rows come out as they are; the phone cell of a short
 *   row is empty, not a reason to drop the row.
 * - `skip_empty_lines` off: empty lines come through, and a row whose fields are all
 *   blank (also `,,,` and spaces) is counted here in `blankLines`, not handed on.
 * - `max_record_size` = `maxLineBytes`. csv-parse checks it before adding each character
 *   to a field, against the characters of the record's finished fields plus the UTF-8
 *   bytes of the field being read (delimiters and quotes not counted). That is never
 *   more than a line's UTF-8 bytes, so a single long line always trips the decoder's
 *   exact limit (INPUT_LINE_TOO_LONG) first; csv-parse's limit trips on a record spanning
 *   lines, which is a quoted field left open (INPUT_UNCLOSED_QUOTE, at the line where
 *   its row starts), whether or not a closing quote comes later.
 * - `bom` off: the BOM was skipped before (encoding.ts). No `columns`, `cast`, `trim`,
 *   `info`, `raw` or `on_record`: fields stay the text as decoded, and line numbers are
 *   counted here, as each record is made: the previous record's line, plus one, plus the
 *   line breaks inside its fields (csv-parse's own `info.lines` counts a CRLF inside a
 *   quoted field as two lines; `on_record` and `info` build a context object per
 *   record, which doubles csv-parse's time on the bench's million rows).
 */
import { CsvError, Parser, type Options } from 'csv-parse';
import { CheckedDecoder } from './decoder.js';
import type { EncodingChoice } from './encoding.js';
import { InputFileError } from './errors.js';
import type { Delimiter } from './options.js';
import { formatBytes } from './options.js';
import { findSwallowedRow, type SwallowedRow } from './quote-guard.js';
import { isBlankRow, type RawRow, type RowStats } from './rows.js';
import type { InputSource } from './source.js';

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
export async function* readCsvRows(source: InputSource, options: CsvRowOptions, stats: RowStats): AsyncGenerator<RawRow> {
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
