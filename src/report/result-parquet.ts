/**
 * Writing one result as Parquet, with hyparquet-writer (pure JavaScript, no native
 * build). The layout:
 *
 * - `input`: a REQUIRED group with one REQUIRED UTF8 string column per input column,
 *   named by inputKeys (an input cell is never null: an empty one is ''). Nested, not
 *   flat `input__<key>` columns: the input's names then never clash with the added
 *   columns' (an input column may itself be called `mobile`), and readers see it as
 *   one struct. Tested: DuckDB reads it as STRUCT(...) and `input.<key>` (quoted where
 *   the key needs it, `input."手机号"`), hyparquet reads it back as objects. (A header
 *   with no input column gets no group: Parquet has no empty groups.)
 * - then the added columns in header order, OPTIONAL (an empty cell is null): text as
 *   UTF8 strings, integers as INT32, decimals as DOUBLE, the date as INT32 DATE (days
 *   since 1970-01-01).
 * - key-value metadata: `riskscreen.schema_version`, `riskscreen.columns` (JSON: each
 *   column's header name, key, origin and type) and `riskscreen.batch` (the batch id).
 *
 * Rows are buffered column-wise and written a row group at a time (ROW_GROUP_ROWS), the
 * group's bytes then written out to the temporary file and forgotten: a million rows
 * never sit in memory at once. The footer (row groups, schema, metadata) is written on
 * commit, then the file is renamed into place. Zero rows give a valid file with the
 * schema and no row group.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { KeyValue, SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter, type ColumnSource } from 'hyparquet-writer';
import { openAtomicFile } from '../shared/atomic-file.js';
import { inputKeys, typedCell, type ColumnType, type ResultColumn, type TypedValue } from './result-columns.js';
import { RESULT_SCHEMA_VERSION } from './result-row.js';
import { withCommit, type ResultSink, type SinkOptions } from './result-sink.js';

/**
 * Rows a row group holds. Measured writing a million rows of 30 columns (8 input, the
 * 22 added) in batches of 1,000: the process's peak RSS rose over the same run writing
 * nothing by about 50 MB at 10,000 rows a group, 90-140 MB at 20,000, 290 MB at 50,000
 * (hyparquet-writer encodes every string of a group's column to its own Uint8Array at
 * once, and V8 lets that garbage pile up). The file is about 15% larger than with
 * 50,000-row groups (19.7 MB against 17.2 MB), and a reader still loads little at once.
 */
export const ROW_GROUP_ROWS = 10_000;

/** Bytes a buffer of the file holds before a new one is started (written out after each row group). */
const CHUNK_BYTES = 1 << 20;

export interface ParquetLimits {
  rowGroupRows?: number;
}

/** The Parquet schema of a result: the root, the `input` group and its leaves, the added columns. */
export function resultParquetSchema(columns: readonly ResultColumn[]): SchemaElement[] {
  const inputs = columns.filter((column) => column.origin === 'input');
  const added = columns.filter((column) => column.origin === 'added');
  const schema: SchemaElement[] = [{ name: 'root', num_children: (inputs.length > 0 ? 1 : 0) + added.length }];
  if (inputs.length > 0) {
    schema.push({ name: 'input', repetition_type: 'REQUIRED', num_children: inputs.length });
    for (const key of inputKeys(inputs.map((column) => column.name))) schema.push(leaf(key, 'text', 'REQUIRED'));
  }
  for (const column of added) schema.push(leaf(column.name, column.type, 'OPTIONAL'));
  return schema;
}

function leaf(name: string, type: ColumnType, repetition_type: 'REQUIRED' | 'OPTIONAL'): SchemaElement {
  switch (type) {
    case 'text':
      return { name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'integer':
      return { name, repetition_type, type: 'INT32' };
    case 'decimal':
      return { name, repetition_type, type: 'DOUBLE' };
    case 'date':
      return { name, repetition_type, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } };
  }
}

/**
 * hyparquet-writer's ByteWriter, never growing past a chunk: when a write does not fit,
 * the full buffer is set aside and a new one started (hyparquet-writer only appends, it
 * never writes back into bytes already written). flush(), which ParquetWriter calls
 * after each row group, and finish() hand what was set aside to `out`, in order.
 */
class ChunkedWriter extends ByteWriter {
  private full: Uint8Array[] = [];

  constructor(private readonly out: (chunk: Uint8Array) => Promise<void>) {
    super(CHUNK_BYTES);
  }

  override ensure(size: number): void {
    if (this.index + size <= this.buffer.byteLength) return;
    if (this.index === 0) return super.ensure(size);
    this.full.push(new Uint8Array(this.buffer, 0, this.index));
    this.fresh(size);
  }

  async flush(): Promise<void> {
    if (this.index > 0) {
      this.full.push(new Uint8Array(this.buffer, 0, this.index));
      this.fresh(0);
    }
    const chunks = this.full;
    this.full = [];
    for (const chunk of chunks) await this.out(chunk);
  }

  override finish(): Promise<void> {
    return this.flush();
  }

  /** A new buffer (never the old one: its bytes may still be on their way to the file). */
  private fresh(size: number): void {
    this.buffer = new ArrayBuffer(Math.max(CHUNK_BYTES, size));
    this.view = new DataView(this.buffer);
    this.index = 0;
  }
}

export async function openParquetSink(options: SinkOptions, limits: ParquetLimits = {}): Promise<ResultSink> {
  const { path, columns } = options;
  const rowGroupRows = limits.rowGroupRows ?? ROW_GROUP_ROWS;
  if (!Number.isInteger(rowGroupRows) || rowGroupRows < 1) throw new Error(`rowGroupRows must be a whole number above 0, not ${rowGroupRows}`);
  const inputs = columns.filter((column) => column.origin === 'input');
  const keys = inputKeys(inputs.map((column) => column.name));
  const added = columns.filter((column) => column.origin === 'added');
  const schema = resultParquetSchema(columns);

  const file = await openAtomicFile(path);
  const hash = createHash('sha256');
  let bytes = 0;
  const writer = new ChunkedWriter(async (chunk) => {
    hash.update(chunk);
    bytes += chunk.length;
    await file.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  // The constructor writes the leading magic bytes (into the buffer, not yet the file).
  const parquet = new ParquetWriter({ writer, schema });

  // The row group being gathered, a column at a time.
  let inputCells: string[][] = inputs.map(() => []);
  let addedCells: TypedValue[][] = added.map(() => []);
  let buffered = 0;
  let rows = 0;

  const writeGroup = async () => {
    if (buffered === 0) return;
    const columnData: ColumnSource[] = [];
    if (inputs.length > 0) columnData.push({ name: 'input', data: inputObjects(keys, inputCells, buffered) });
    added.forEach((column, i) => columnData.push({ name: column.name, data: addedCells[i]! }));
    inputCells = inputs.map(() => []);
    addedCells = added.map(() => []);
    const count = buffered;
    buffered = 0;
    await parquet.write({ columnData, rowGroupSize: count });
    rows += count;
  };

  return withCommit({
    format: 'parquet',
    async writeRows(records) {
      for (const record of records) {
        let typed = 0;
        try {
          for (; typed < added.length; typed++) addedCells[typed]!.push(parquetValue(added[typed]!, record[added[typed]!.index] ?? ''));
        } catch (err) {
          // A cell that does not fit its type: the row is not kept, not even in part.
          for (let i = 0; i < typed; i++) addedCells[i]!.pop();
          throw err;
        }
        for (let i = 0; i < inputs.length; i++) inputCells[i]!.push(record[inputs[i]!.index] ?? '');
        if (++buffered >= rowGroupRows) await writeGroup();
      }
    },
    async finish(facts) {
      await writeGroup();
      parquet.kvMetadata = metadataOf(columns, keys, facts.manifest.batch.id);
      await parquet.finish();
      await file.finish();
      return { path, name: basename(path), rows, bytes, sha256: hash.digest('hex') };
    },
    publish: () => file.publish(),
    abort: () => file.abort(),
  });
}

/** A row group's input cells as the objects ParquetWriter takes for a group column. */
function inputObjects(keys: readonly string[], cells: readonly string[][], count: number): Record<string, string>[] {
  const objects: Record<string, string>[] = new Array(count);
  for (let row = 0; row < count; row++) {
    const object: Record<string, string> = {};
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      // An own property even for `__proto__`, which assignment would take as the prototype.
      if (key === '__proto__') Object.defineProperty(object, key, { value: cells[i]![row], enumerable: true, writable: true, configurable: true });
      else object[key] = cells[i]![row]!;
    }
    objects[row] = object;
  }
  return objects;
}

const INT32_MAX = 2 ** 31 - 1;

function parquetValue(column: ResultColumn, cell: string): TypedValue {
  const value = typedCell(column, cell);
  if (column.type === 'integer' && typeof value === 'number' && (value > INT32_MAX || value < -INT32_MAX - 1)) {
    throw new Error(`column ${column.name}: ${cell} is too large for the Parquet file's 32-bit integers`);
  }
  return value;
}

function metadataOf(columns: readonly ResultColumn[], keys: readonly string[], batch: string): KeyValue[] {
  let input = 0;
  const described = columns.map((column) =>
    column.origin === 'input' ? { name: column.name, key: keys[input++]!, origin: column.origin, type: column.type } : { name: column.name, key: column.name, origin: column.origin, type: column.type },
  );
  return [
    { key: 'riskscreen.schema_version', value: RESULT_SCHEMA_VERSION },
    { key: 'riskscreen.columns', value: JSON.stringify(described) },
    { key: 'riskscreen.batch', value: batch },
  ];
}
