/**
 * Reading a result file back, row by row in constant memory: csv-parse on the bytes
 * (UTF-8, a BOM skipped) or on iconv-lite's decoding of them (GB18030 and others).
 * Errors are csv-parse's own; callers add their context.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';

export interface CsvRow {
  row: string[];
  /** The line the row ends on, 1-based. */
  line: number;
}

export async function* readCsvRows(file: string, options: { encoding?: string; onBytes?: (chunk: Buffer) => void } = {}): AsyncGenerator<CsvRow> {
  const encoding = options.encoding ?? 'utf-8';
  const bytes = createReadStream(file);
  const { onBytes } = options;
  if (onBytes) bytes.on('data', (chunk) => onBytes(chunk as Buffer));
  const parser = parse({ bom: true, relax_column_count: true, info: true });
  // UTF-8 goes to the parser as bytes; only other encodings need decoding first.
  (encoding === 'utf-8' ? bytes : bytes.pipe(iconv.decodeStream(encoding))).pipe(parser);
  bytes.on('error', (err) => parser.destroy(err));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield { row: record, line: info.lines };
    }
  } finally {
    bytes.destroy();
  }
}
