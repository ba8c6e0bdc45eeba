/**
 * Reading a JSON Lines result back (`--compare` against an earlier result written as
 * JSON Lines), line by line in constant memory. It yields what reading the CSV result
 * would: first a header (the input's keys, then the added columns' names, as the first
 * line has them), then each row as text: null as '', numbers as the CSV writes them
 * (`73`, `0.80`), the date as `yyyymmdd`. The input's cells come back as the input had
 * them (JSON Lines neutralizes nothing).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { dateOf, TYPED_COLUMNS, type ColumnType, type ExportColumn } from './result-columns.js';

export interface ResultFileRow {
  row: string[];
  /** JSON Lines: the row's line, 1-based (the header's is the first line's). Parquet: the row's 1-based number (the header's is 0). */
  line: number;
}

/** A result file that cannot be read back: says which file, and where. */
export class ResultReadError extends Error {
  readonly code = 'RISKSCREEN_RESULT_READ';
  readonly kind = 'input';
  constructor(
    readonly file: string,
    readonly where: string | null,
    /** What is wrong, without the file and place (the message has them). */
    readonly problem: string,
  ) {
    super(`${file}${where ? `, ${where}` : ''}: ${problem}`);
    this.name = 'ResultReadError';
  }
}

/**
 * The CSV text of a typed value, what the result CSV holds for it; null when the value
 * is not of the column's type (a string in a number column, 0.5 in a whole-number one).
 */
export function cellText(value: unknown, type: ColumnType): string | null {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString().slice(0, 10).replaceAll('-', '');
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    if (type === 'decimal') return value.toFixed(2);
    return type === 'integer' && Number.isInteger(value) ? String(value) : null;
  }
  if (typeof value === 'bigint') return type === 'integer' ? String(value) : type === 'decimal' ? Number(value).toFixed(2) : null;
  if (typeof value === 'string') return type === 'text' ? value : null;
  return null;
}

export async function* readJsonlResult(file: string): AsyncGenerator<ResultFileRow> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let number = 0;
  let shape: { inputKeys: string[]; added: string[]; types: ColumnType[] } | null = null;
  try {
    for await (let text of lines) {
      number++;
      if (number === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
      if (text.trim() === '') continue;
      const bad = (problem: string) => new ResultReadError(file, `line ${number}`, problem);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw bad(`not JSON (${(err as Error).message})`);
      }
      if (!isObject(value)) throw bad('not a JSON object');
      // Own properties only, read with entries: a key `__proto__` is a key like any other.
      const fields = new Map(Object.entries(value));
      const input = fields.get('input');
      if (!isObject(input)) throw bad('no "input" object (the input\'s cells)');
      fields.delete('input');
      const cells = new Map(Object.entries(input));
      if (!shape) {
        const added = [...fields.keys()];
        shape = { inputKeys: [...cells.keys()], added, types: added.map((name) => TYPED_COLUMNS[name as ExportColumn] ?? 'text') };
        yield { row: [...shape.inputKeys, ...added], line: number };
      }
      const row: string[] = [];
      for (const key of shape.inputKeys) {
        if (!cells.has(key)) throw bad(`"input" has no ${JSON.stringify(key)}, which the first line has`);
        const cell = cells.get(key);
        if (typeof cell !== 'string') throw bad(`input ${JSON.stringify(key)} is ${describe(cell)}, not a string`);
        row.push(cell);
      }
      if (cells.size !== shape.inputKeys.length) throw bad(`"input" has ${JSON.stringify(unexpected(cells, shape.inputKeys))}, which the first line has not`);
      shape.added.forEach((name, i) => {
        if (!fields.has(name)) throw bad(`no ${JSON.stringify(name)}, which the first line has`);
        const cell = fields.get(name);
        const type = shape!.types[i]!;
        const text = type === 'date' && typeof cell === 'string' ? dateText(cell) : cellText(cell, type);
        if (text === null) throw bad(`${name} is ${describe(cell)}, not ${TYPE_WORDS[type]}`);
        row.push(text);
      });
      if (fields.size !== shape.added.length) throw bad(`${JSON.stringify(unexpected(fields, shape.added))} is not in the first line`);
      yield { row, line: number };
    }
  } catch (err) {
    if (err instanceof ResultReadError) throw err;
    throw new ResultReadError(file, number > 0 ? `line ${number}` : null, (err as Error).message);
  } finally {
    lines.close();
    stream.destroy();
  }
}

const TYPE_WORDS: Record<ColumnType, string> = { text: 'a string or null', integer: 'a whole number or null', decimal: 'a number or null', date: 'a yyyy-mm-dd date or null' };

/** `2024-01-31` -> `20240131`; null for anything else. */
function dateText(cell: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(cell)) return null;
  try {
    dateOf('', cell);
  } catch {
    return null;
  }
  return cell.replaceAll('-', '');
}

/** The first key of `fields` that `expected` lacks. */
function unexpected(fields: Map<string, unknown>, expected: readonly string[]): string {
  const known = new Set(expected);
  return [...fields.keys()].find((key) => !known.has(key)) ?? '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const text = JSON.stringify(value);
  return typeof value === 'object' ? 'an object' : text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
