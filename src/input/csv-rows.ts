/**
 * Rows of a CSV/TXT file, streamed: file bytes -> DecodeStream (UTF-8, checked) ->
 * csv-parse -> rows with their line numbers. Memory stays constant: a line is at most
 * `maxLineBytes`, and so is a quoted field running over several lines (csv-parse's
 * `max_record_size`).
 *
 * csv-parse settings, and why:
 * - `record_delimiter` CRLF, LF and CR all at once: files pasted together mix them, and
 *   auto-discovery would lock onto the first one seen.
 * - `relax_quotes`: a quote inside an unquoted field (`138"0013`) is text, not an error.
 *   A field that starts with a quote is quoted, as in RFC 4180, and must be closed.
 * - `relax_column_count`: ragged rows come out as they are; the phone cell of a short
 *   row is empty, not a reason to drop the row.
 * - `skip_empty_lines` off: empty lines come through and are counted here, which also
 *   keeps line numbers exact without csv-parse's own counter (it counts a CRLF inside a
 *   quoted field as two lines).
 * - `max_record_size` = `maxLineBytes`. csv-parse counts characters of finished fields
 *   plus bytes of the current one, never more than the line's bytes, so a single long
 *   line always trips DecodeStream's exact byte limit first; csv-parse's limit only
 *   trips on a record spanning lines, which is a quoted field left open.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { CsvError, Parser, type Options } from 'csv-parse';
import { DecodeStream } from './decode-stream.js';
import type { EncodingChoice } from './encoding.js';
import { InputFileError, isInputFileError } from './errors.js';
import type { Delimiter } from './options.js';
import { formatBytes } from './options.js';
import { isBlankRow, type RawRow, type RowStats } from './rows.js';

export interface CsvRowOptions {
  path: string;
  /** The path as the user gave it, for messages. */
  file: string;
  encoding: EncodingChoice;
  delimiter: Delimiter | 'none';
  maxLineBytes: number;
}

/**
 * With no delimiter every line is one field. csv-parse needs some delimiter, so it gets
 * NUL, which DecodeStream guarantees never reaches it.
 */
const NO_DELIMITER = '\u0000';
const READ_CHUNK_BYTES = 256 * 1024;

export async function* readCsvRows(options: CsvRowOptions, stats: RowStats): AsyncGenerator<RawRow> {
  const { file, maxLineBytes } = options;
  const source = createReadStream(options.path, { start: options.encoding.bomLength, highWaterMark: READ_CHUNK_BYTES });
  const decode = new DecodeStream({
    file,
    encoding: options.encoding.encoding,
    source: options.encoding.source,
    maxLineBytes,
  });
  const parser = new RowParser(
    {
      delimiter: options.delimiter === 'none' ? NO_DELIMITER : options.delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      quote: '"',
      escape: '"',
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: false,
      bom: false,
      max_record_size: maxLineBytes,
    },
    stats,
  );
  // Errors reach the loop below through the parser, which pipeline destroys with them.
  pipeline(source, decode, parser, () => {});

  try {
    for await (const row of parser as AsyncIterable<RawRow>) yield row;
  } catch (error) {
    throw asInputError(error, file, parser.nextLine, maxLineBytes);
  } finally {
    source.destroy();
    decode.destroy();
    parser.destroy();
  }
}

/**
 * csv-parse with line numbers. Lines are counted as csv-parse makes each record (every
 * record goes out through `push`), not as the consumer takes them: when the parser
 * fails, records it made but had not yet handed on are dropped, and the failing row's
 * line must still be right. (csv-parse's `on_record` hook would do the same, but builds
 * a context object per record: a third of the parse time on a million rows.)
 */
class RowParser extends Parser {
  /** The line the next record starts on: the previous one's start, plus one, plus the line breaks inside its quoted fields. */
  nextLine = 1;

  constructor(
    options: Options,
    private readonly stats: RowStats,
  ) {
    super(options);
  }

  override push(record: unknown, encoding?: BufferEncoding): boolean {
    if (record === null) return super.push(null, encoding);
    const fields = record as string[];
    const line = this.nextLine;
    this.nextLine = line + 1 + lineBreaksIn(fields);
    if (isBlankRow(fields)) {
      this.stats.blankLines++;
      return true;
    }
    const row: RawRow = { fields, line };
    return super.push(row, encoding);
  }
}

function lineBreaksIn(fields: readonly string[]): number {
  let breaks = 0;
  for (const field of fields) {
    if (field.indexOf('\n') === -1 && field.indexOf('\r') === -1) continue;
    for (let i = 0; i < field.length; i++) {
      const code = field.charCodeAt(i);
      if (code === 0x0a) breaks++;
      else if (code === 0x0d && field.charCodeAt(i + 1) !== 0x0a) breaks++;
    }
  }
  return breaks;
}

function asInputError(error: unknown, file: string, pendingLine: number, maxLineBytes: number): unknown {
  if (isInputFileError(error)) return error;
  if (error instanceof CsvError) {
    if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
      return new InputFileError(
        'INPUT_UNCLOSED_QUOTE',
        'a quoted field in the row starting on this line is never closed (a missing closing ")',
        { file, line: pendingLine, cause: error },
      );
    }
    if (error.code === 'CSV_MAX_RECORD_SIZE') {
      return new InputFileError(
        'INPUT_UNCLOSED_QUOTE',
        `a quoted field in the row starting on this line runs on past ${formatBytes(maxLineBytes)}: a closing " is missing`,
        { file, line: pendingLine, cause: error },
      );
    }
    return error;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new InputFileError('INPUT_NOT_FOUND', 'no such file', { file, cause: error });
  if (code === 'EISDIR' || code === 'EACCES' || code === 'EPERM') {
    return new InputFileError('INPUT_UNREADABLE', `cannot read the file (${code})`, { file, cause: error });
  }
  return error;
}
