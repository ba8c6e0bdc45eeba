/**
 * Rows of a CSV/TXT file, streamed: file bytes (one descriptor) -> CheckedDecoder (text,
 * checked, as UTF-8 bytes) -> csv-parse's rules (lines without a quote split directly,
 * the rest by csv-parse itself: see RowParser) -> rows with their line numbers. Memory
 * stays constant: a physical line is at most `maxLineBytes` (the decoder), and so is a
 * record spanning lines, which is a quoted field (csv-parse's `max_record_size`).
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
 *   delimiter: it gets NUL, which the decoder guarantees never reaches it. (csv-parse's
 *   rules rather than a line reader of our own: the same line ends, last line, line
 *   limit and line numbers as CSV. With no quotes every line is a plain line, split by
 *   RowParser itself.)
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
  const parser = new RowParser(options.delimiter, options.maxLineBytes, stats, guard);
  try {
    for (;;) {
      const bytes = await source.next();
      const last = bytes === null;
      const utf8 = last ? decoder.end() : decoder.write(bytes);
      await parser.parse(utf8, last);
      for (let row = parser.nextRow(); row !== null; row = parser.nextRow()) yield row;
      if (last) return;
    }
  } catch (error) {
    throw asInputError(error, options.file, parser.nextLine, options.maxLineBytes);
  } finally {
    parser.destroy();
  }
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const EMPTY = Buffer.alloc(0);
/**
 * Outside a quoted field csv-parse decides nothing about a byte with fewer than 2 bytes
 * after it in the text it has (it waits for the next chunk: a CR may be the first half of
 * a CRLF). The plain-line path holds back the same bytes, so every row comes out with
 * the same chunk as it would from csv-parse alone, and an error in a chunk keeps the same
 * rows from being handed on.
 */
const CSV_PARSE_LOOKAHEAD = 2;

/**
 * Why `splitLine` made no row: `more`, the line's end is not in the text yet (or is within
 * csv-parse's lookahead), or the text is done; `quote`, the line holds a quote (csv-parse
 * reads it).
 */
type Stop = 'more' | 'quote';

/**
 * The rows of the decoded text, chunk by chunk, with their line numbers.
 *
 * Two paths, one result. csv-parse reads every byte one at a time through several
 * function calls, and on a million short rows that was the largest part of a read. But
 * a line with no quote (`"`) in it is, for csv-parse with the options above, simply its
 * bytes split at the delimiter: no field can be quoted, no line break can be inside a
 * field, and `max_record_size` cannot trip (the decoder has already refused a line over
 * `maxLineBytes`, and csv-parse counts a one-line record's size in no more units than
 * the line has bytes). Such lines, the common case, are split here, directly on the
 * bytes. Anything from a line with a quote onwards goes to csv-parse (`QuotedStretch`),
 * started at that line, which is the start of a record; it keeps the text until the end
 * of its last record in a chunk, and the lines after that come back here. A record still
 * open at the end of a chunk (a quoted field running on) stays with csv-parse.
 *
 * A chunk with no quote at all is split on demand, one row per `nextRow()` call, so a row
 * is made just before it is used and dies young (a chunk's 6,000 rows made at once
 * outlive a young-generation collection or two and get promoted: the bench's heap was
 * twice the size). A chunk holding a quote is parsed whole before any of its rows is
 * handed on, as csv-parse alone did: an error in the chunk stops the rows before it too.
 * A chunk with no quote cannot fail here (the decoder checked it first).
 *
 * Rows come out in the chunk, and with the lines, csv-parse alone gives them; the tests
 * compare the two on random text and random chunking. Lines are counted as records are
 * made, so when csv-parse fails, `nextLine` is the line where the failing row starts.
 *
 * A field holding a line break (from csv-parse: a quoted one) also goes through the
 * quote guard (quote-guard.ts). csv-parse's `push` cannot throw (it runs inside its
 * transform), so a refusal is kept in `failure`, the records after it are dropped, and
 * the parse rejects with it once csv-parse is done with the chunk.
 */
class RowParser {
  /** The line the next record starts on: the previous one's, plus one, plus the line breaks inside its fields. */
  nextLine = 1;
  /** A row the quote guard refused: the read fails with it once csv-parse is done with the chunk. */
  failure: InputFileError | null = null;
  /** Rows made ahead (a chunk holding a quote), waiting for `nextRow()`. */
  private made: RawRow[] = [];
  private madeNext = 0;
  /** Text with no quote, split on demand by `nextRow()` from `plainAt`; `plainLast`: it is the end of the file. */
  private plain: Buffer = EMPTY;
  private plainAt = 0;
  private plainLast = false;
  /** The start of a line the last chunk ended in (from a record's start), for the next chunk. */
  private carry: Buffer | null = null;
  /** csv-parse, holding a record that started in an earlier chunk. */
  private stretch: QuotedStretch | null = null;
  /** Fields of the first row that is not blank (the header, when the file has one); 0 before it. */
  private width = 0;
  private readonly delimiterByte: number;
  /** `"`, or -1 with no delimiter (quotes are text). */
  private readonly quoteByte: number;
  /** Set by `splitLine`: where the next line starts, or why there was no row. */
  private lineEnd = 0;
  private stop: Stop = 'more';

  constructor(
    private readonly delimiter: Delimiter | 'none',
    private readonly maxLineBytes: number,
    private readonly stats: RowStats,
    /** The quote guard's settings; null with no delimiter (quotes are text, no field holds a line break). */
    private readonly guard: GuardSettings | null,
  ) {
    this.delimiterByte = (delimiter === 'none' ? NO_DELIMITER : delimiter).charCodeAt(0);
    this.quoteByte = delimiter === 'none' ? -1 : QUOTE;
  }

  /**
   * Takes the next chunk of text (UTF-8 bytes; `last`: the end of the file). A chunk
   * holding a quote is parsed here, whole; rejects with the quote guard's refusal or
   * csv-parse's error. Then `nextRow()` until null.
   */
  async parse(utf8: Buffer, last: boolean): Promise<void> {
    let text = utf8;
    const stretch = this.stretch;
    if (stretch) {
      if (text.length > 0) await stretch.parseText(text);
      if (last) {
        await stretch.parseEnd();
        this.destroy();
        return;
      }
      const rest = text.length > 0 ? stretch.rest() : null;
      if (rest === null) return;
      this.destroy();
      text = rest;
    } else if (this.carry) {
      text = text.length > 0 ? Buffer.concat([this.carry, text]) : this.carry;
      this.carry = null;
    }
    if (this.quoteByte === -1 || text.indexOf(this.quoteByte) === -1) {
      this.plain = text;
      this.plainAt = 0;
      this.plainLast = last;
      return;
    }
    await this.parseQuoted(text, last);
  }

  /** The next row, or null when the chunk is done. */
  nextRow(): RawRow | null {
    if (this.madeNext < this.made.length) {
      const row = this.made[this.madeNext++]!;
      if (this.madeNext === this.made.length) {
        this.made = [];
        this.madeNext = 0;
      }
      return row;
    }
    const text = this.plain;
    while (text.length > 0) {
      const fields = this.splitLine(text, this.plainAt, this.plainLast);
      if (fields === null) {
        // No quote here: the rest is the start of a line whose end is in the next chunk.
        if (!this.plainLast && this.plainAt < text.length) this.carry = text.subarray(this.plainAt);
        this.plain = EMPTY;
        this.plainAt = 0;
        return null;
      }
      this.plainAt = this.lineEnd;
      const row = this.plainRow(fields);
      if (row) return row;
    }
    return null;
  }

  destroy(): void {
    this.stretch?.destroy();
    this.stretch = null;
  }

  /** A record csv-parse made: its line, blank rows counted, the quote guard on fields holding a line break. */
  addRecord(fields: string[]): void {
    if (this.failure) return;
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
          return;
        }
      }
      breaks += lineBreaksIn(field);
    }
    this.nextLine = line + 1 + breaks;
    if (blank) this.stats.blankLines++;
    else this.made.push({ fields, line });
  }

  /** A chunk holding a quote: plain lines split here, from the first line with a quote on csv-parse. */
  private async parseQuoted(chunk: Buffer, last: boolean): Promise<void> {
    let text = chunk;
    let at = 0;
    for (;;) {
      const fields = this.splitLine(text, at, last);
      if (fields !== null) {
        at = this.lineEnd;
        const row = this.plainRow(fields);
        if (row) this.made.push(row);
        continue;
      }
      if (this.stop === 'more') {
        if (!last && at < text.length) this.carry = text.subarray(at);
        return;
      }
      const stretch = new QuotedStretch(csvParseOptions(this.delimiter, this.maxLineBytes), this);
      this.stretch = stretch;
      await stretch.parseText(text.subarray(at));
      if (last) {
        await stretch.parseEnd();
        this.destroy();
        return;
      }
      // Null: a record still open at the end of the chunk, which csv-parse keeps.
      const rest = stretch.rest();
      if (rest === null) return;
      this.destroy();
      text = rest;
      at = 0;
    }
  }

  /**
   * The fields of the line starting at `start` of `text`, split at the delimiter, and
   * `lineEnd` where the next line starts; or null, with `stop`: the line holds a quote
   * (csv-parse reads it), or its end is not in `text` (or within csv-parse's lookahead),
   * or `text` is done.
   */
  private splitLine(text: Buffer, start: number, last: boolean): string[] | null {
    const delimiter = this.delimiterByte;
    const quote = this.quoteByte;
    const end = text.length;
    const limit = last ? end : end - CSV_PARSE_LOOKAHEAD;
    const fields: string[] = [];
    let fieldStart = start;
    for (let i = start; i < end; i++) {
      const byte = text[i]!;
      if (byte === delimiter) {
        fields.push(text.toString('utf8', fieldStart, i));
        fieldStart = i + 1;
      } else if (byte === LF || byte === CR) {
        if (i >= limit) break;
        fields.push(text.toString('utf8', fieldStart, i));
        this.lineEnd = byte === CR && text[i + 1] === LF ? i + 2 : i + 1;
        return fields;
      } else if (byte === quote) {
        this.stop = 'quote';
        return null;
      }
    }
    // The last line of the file, without a line end (an empty rest is no line).
    if (last && start < end) {
      fields.push(text.toString('utf8', fieldStart, end));
      this.lineEnd = end;
      return fields;
    }
    this.stop = 'more';
    return null;
  }

  /** A plain line's row (no field holds a line break), or null for a blank one (counted). */
  private plainRow(fields: string[]): RawRow | null {
    const line = this.nextLine++;
    const blank = isBlankRow(fields);
    if (this.width === 0 && !blank) this.width = fields.length;
    if (!blank) return { fields, line };
    this.stats.blankLines++;
    return null;
  }
}

/**
 * csv-parse's Parser from a record's start (a line with a quote), written to one chunk at
 * a time. Every record it makes goes to `RowParser.addRecord` (not through the stream's
 * readable side, so a write is done as soon as csv-parse has parsed the chunk).
 * `rest()` gives back the text after the last record made by a write, where the plain
 * path can go on; csv-parse's `info.bytes`, when it makes a record, is where that record
 * ends.
 */
class QuotedStretch extends Parser {
  /** Bytes written so far. */
  private written = 0;
  /** The last write, and up to REST_BACK bytes of the ones before (csv-parse may finish a record in bytes it held back). */
  private current: Buffer = EMPTY;
  private before: Buffer = EMPTY;
  /** Where the last record made in the current write ends (csv-parse's byte count), or -1. */
  private recordEnd = -1;

  constructor(
    options: Options,
    private readonly rows: RowParser,
  ) {
    super(options);
    // Errors come back through the write and end callbacks (parseText, parseEnd); without a
    // listener the stream's own 'error' event would be an uncaught exception.
    this.on('error', () => undefined);
  }

  override push(record: unknown, encoding?: BufferEncoding): boolean {
    if (record === null) return super.push(null, encoding);
    this.recordEnd = this.info.bytes;
    this.rows.addRecord(record as string[]);
    return true;
  }

  /** Parses the next chunk of text (UTF-8 bytes); rejects with the quote guard's refusal or csv-parse's error. */
  parseText(utf8: Buffer): Promise<void> {
    const previous = this.current;
    this.before =
      previous.length >= REST_BACK ? previous.subarray(previous.length - REST_BACK) : Buffer.concat([this.before, previous]).subarray(-REST_BACK);
    this.current = utf8;
    this.written += utf8.length;
    this.recordEnd = -1;
    return new Promise((resolve, reject) => {
      this.write(utf8, (error) => (this.rows.failure ? reject(this.rows.failure) : error ? reject(error) : resolve()));
    });
  }

  /** Parses the end of the text (the last record, an unclosed quote); rejects with the quote guard's refusal or csv-parse's error. */
  parseEnd(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.end((error?: Error | null) => (this.rows.failure ? reject(this.rows.failure) : error ? reject(error) : resolve()));
    });
  }

  /** The text after the last record the last write made, or null when it made none. */
  rest(): Buffer | null {
    if (this.recordEnd < 0) return null;
    const start = this.written - this.current.length;
    if (this.recordEnd >= start) return this.current.subarray(this.recordEnd - start);
    const back = start - this.recordEnd;
    if (back > this.before.length) throw new Error(`csv-parse ended a record ${back} bytes before the last chunk it was given`);
    return Buffer.concat([this.before.subarray(this.before.length - back), this.current]);
  }
}

/** csv-parse holds back at most 3 bytes of a chunk (a quote, then a CRLF) for the next one. */
const REST_BACK = 8;

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
