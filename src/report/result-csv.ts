/**
 * Writing one result CSV: header and rows, every cell neutralized against formula
 * injection, CRLF line ends, in the chosen encoding, to a temporary file renamed into
 * place on commit. Counts rows and hashes the bytes on the way, for the manifest.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import iconv from 'iconv-lite';
import { openAtomicFile, type AtomicFile } from '../shared/atomic-file.js';
import { neutralizeCell } from './csv-safety.js';
import type { OutputEncoding } from './output-encoding.js';
import { withCommit, type ResultSink, type SinkOptions, type WrittenFile } from './result-sink.js';

export type { WrittenFile } from './result-sink.js';

export interface ResultCsv {
  /** The input's cells as read: neutralized here. */
  writeRows(rows: readonly (readonly string[])[]): Promise<void>;
  /** finish() then publish(). */
  commit(): Promise<WrittenFile>;
  /** Flushed to disk in its temporary place. */
  finish(): Promise<WrittenFile>;
  /** Renamed into place. */
  publish(): Promise<void>;
  abort(): Promise<void>;
}

export async function openResultCsv(path: string, header: readonly string[], encoding: OutputEncoding): Promise<ResultCsv> {
  const file: AtomicFile = await openAtomicFile(path);
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  const put = async (text: string) => {
    const chunk = encoding === 'gb18030' ? iconv.encode(text, 'gb18030') : Buffer.from(text, 'utf8');
    hash.update(chunk);
    bytes += chunk.length;
    await file.write(chunk);
  };
  const csv = (records: readonly (readonly string[])[]) =>
    stringify(
      records.map((record) => record.map(neutralizeCell)),
      // Lines end in CRLF; a lone CR or LF inside a cell (an Alt+Enter line break from
      // Excel) must be quoted too, or readers that do not guess the line end split the row.
      { record_delimiter: 'windows', quoted_match: /[\r\n]/ },
    );
  try {
    await put((encoding === 'utf8-bom' ? '\uFEFF' : '') + csv([header]));
  } catch (err) {
    await file.abort();
    throw err;
  }
  const written = (): WrittenFile => ({ path, name: basename(path), rows, bytes, sha256: hash.digest('hex') });
  return {
    async writeRows(records) {
      if (records.length === 0) return;
      rows += records.length;
      await put(csv(records));
    },
    async commit() {
      await file.finish();
      await file.publish();
      return written();
    },
    async finish() {
      await file.finish();
      return written();
    },
    publish: () => file.publish(),
    abort: () => file.abort(),
  };
}

/** The CSV as one of the export's result files. */
export async function openCsvSink(options: SinkOptions): Promise<ResultSink> {
  const csv = await openResultCsv(options.path, options.columns.map((column) => column.name), options.encoding);
  return withCommit({ format: 'csv', writeRows: (rows) => csv.writeRows(rows), finish: () => csv.finish(), publish: () => csv.publish(), abort: () => csv.abort() });
}
