/**
 * Reading a Parquet result back (`--compare` against an earlier result written as
 * Parquet), with hyparquet, a row group at a time: the footer first, then each group's
 * column chunks, so a big file never sits in memory whole. It yields what reading the
 * CSV result would: first a header (the keys of the `input` group's columns, then the
 * other columns' names, in the file's order), then each row as text: null as '', whole
 * numbers as digits, other numbers with two decimals (`0.80`), dates as `yyyymmdd`.
 *
 * Columns are read leaf by leaf (hyparquet's onPage), never assembled into objects: an
 * input column may be called `__proto__`, and its cells must still come back.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type FileMetaData, type SchemaTree } from 'hyparquet';
import type { ColumnType } from './result-columns.js';
import { cellText, ResultReadError, type ResultFileRow } from './result-jsonl-read.js';

const UTF8 = new TextDecoder();

interface Leaf {
  /** The leaf's path, as hyparquet names it in a page (`['input', '手机号']`, `['risk_score']`). */
  path: string[];
  type: ColumnType;
}

export async function* readParquetResult(file: string): AsyncGenerator<ResultFileRow> {
  const fail = (where: string | null, err: unknown) => (err instanceof ResultReadError ? err : new ResultReadError(file, where, (err as Error).message));
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: FileMetaData;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw fail(null, err);
  }
  let leaves: Leaf[];
  try {
    leaves = leavesOf(parquetSchema(metadata));
  } catch (err) {
    throw fail('schema', err);
  }
  yield { row: leaves.map((leaf) => leaf.path.at(-1)!), line: 0 };

  const index = new Map(leaves.map((leaf, i) => [pathKey(leaf.path), i]));
  let groupStart = 0;
  for (const [g, group] of metadata.row_groups.entries()) {
    const groupRows = Number(group.num_rows);
    const where = `row group ${g + 1}`;
    const columns: unknown[][] = leaves.map(() => new Array(groupRows));
    try {
      await parquetRead({
        file: buffer,
        metadata,
        rowStart: groupStart,
        rowEnd: groupStart + groupRows,
        onPage: ({ pathInSchema, columnData, rowStart }) => {
          const column = columns[index.get(pathKey(pathInSchema))!];
          if (!column) return;
          for (let i = 0; i < columnData.length; i++) {
            const at = rowStart - groupStart + i;
            if (at >= 0 && at < groupRows) column[at] = columnData[i];
          }
        },
      });
    } catch (err) {
      throw fail(where, err);
    }
    for (let r = 0; r < groupRows; r++) {
      const row = new Array<string>(leaves.length);
      for (let c = 0; c < leaves.length; c++) {
        const value = columns[c]![r];
        const text = cellText(value instanceof Uint8Array ? UTF8.decode(value) : value, leaves[c]!.type);
        if (text === null) throw new ResultReadError(file, `row ${groupStart + r + 1}`, `${leaves[c]!.path.join('.')} holds ${String(value)}, which is not ${leaves[c]!.type}`);
        row[c] = text;
      }
      yield { row, line: groupStart + r + 1 };
    }
    groupStart += groupRows;
  }
}

/**
 * The columns a result's schema has: the `input` group's leaves (strings), then the
 * other top-level leaves, typed by their Parquet type. Anything else nested is not a
 * riskscreen result.
 */
function leavesOf(root: SchemaTree): Leaf[] {
  const input: Leaf[] = [];
  const added: Leaf[] = [];
  for (const child of root.children) {
    const { element } = child;
    if (element.repetition_type === 'REPEATED') throw new Error(`column ${element.name} is repeated; a result's columns are not`);
    if (child.children.length === 0) {
      added.push({ path: [element.name], type: typeOf(child) });
      continue;
    }
    if (element.name !== 'input' || input.length > 0) throw new Error(`column ${element.name} is a group; a result has one group, "input"`);
    for (const cell of child.children) {
      if (cell.children.length > 0 || cell.element.repetition_type === 'REPEATED' || cell.element.type !== 'BYTE_ARRAY') {
        throw new Error(`input.${cell.element.name} is not a string column`);
      }
      input.push({ path: ['input', cell.element.name], type: 'text' });
    }
  }
  return [...input, ...added];
}

function typeOf({ element }: SchemaTree): ColumnType {
  if (element.converted_type === 'DATE' || element.logical_type?.type === 'DATE') return 'date';
  switch (element.type) {
    case 'INT32':
    case 'INT64':
      return 'integer';
    case 'FLOAT':
    case 'DOUBLE':
      return 'decimal';
    case 'BYTE_ARRAY':
      return 'text';
    default:
      throw new Error(`column ${element.name} is ${element.type}, which a result does not hold`);
  }
}

function pathKey(path: readonly string[]): string {
  return path.join('\u0000');
}
