/**
 * Writing one result as JSON Lines: one JSON object a row, UTF-8 without a BOM, `\n`
 * line ends, described by docs/result.schema.json. A line holds the input's cells as
 * strings under `input` (keyed by inputKeys), then the added columns in header order,
 * typed (result-columns.ts): numbers as numbers, the date as `yyyy-mm-dd`, an empty
 * cell as null. Nothing is neutralized: JSON is not a spreadsheet, and a reader gets
 * the cells as the input had them.
 *
 * Written to a temporary file renamed into place on commit; rows counted and bytes
 * hashed on the way, for the manifest.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { openAtomicFile } from '../shared/atomic-file.js';
import { inputKeys, isoDay, typedCell, type ResultColumn, type TypedValue } from './result-columns.js';
import { withCommit, type ResultSink, type SinkOptions } from './result-sink.js';

/** A line's text, without its `\n`, for a row aligned with `columns`. */
export function jsonlLineWriter(columns: readonly ResultColumn[]): (row: readonly string[]) => string {
  const inputs = columns.filter((column) => column.origin === 'input');
  const added = columns.filter((column) => column.origin === 'added');
  // Keys are written as text, never set on an object: an input column may be called
  // `__proto__`, and its key must come out as it is.
  const inputPrefixes = inputKeys(inputs.map((column) => column.name)).map((key, i) => `${i === 0 ? '' : ','}${JSON.stringify(key)}:`);
  const addedPrefixes = added.map((column) => `,${JSON.stringify(column.name)}:`);
  return (row) => {
    let line = '{"input":{';
    for (let i = 0; i < inputs.length; i++) line += inputPrefixes[i]! + JSON.stringify(row[inputs[i]!.index] ?? '');
    line += '}';
    for (let i = 0; i < added.length; i++) {
      const column = added[i]!;
      line += addedPrefixes[i]! + jsonValue(typedCell(column, row[column.index] ?? ''));
    }
    return line + '}';
  };
}

function jsonValue(value: TypedValue): string {
  if (value === null) return 'null';
  if (value instanceof Date) return `"${isoDay(value)}"`;
  return JSON.stringify(value);
}

export async function openJsonlSink(options: SinkOptions): Promise<ResultSink> {
  const { path } = options;
  const line = jsonlLineWriter(options.columns);
  const file = await openAtomicFile(path);
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  return withCommit({
    format: 'jsonl',
    async writeRows(records) {
      if (records.length === 0) return;
      let text = '';
      for (const record of records) text += line(record) + '\n';
      const chunk = Buffer.from(text, 'utf8');
      hash.update(chunk);
      bytes += chunk.length;
      rows += records.length;
      await file.write(chunk);
    },
    async finish() {
      await file.finish();
      return { path, name: basename(path), rows, bytes, sha256: hash.digest('hex') };
    },
    publish: () => file.publish(),
    abort: () => file.abort(),
  });
}
