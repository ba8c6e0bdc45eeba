/**
 * The columns of a result and how each is typed, one table for every format: the input's
 * columns are always text, exactly as read; the added columns have the types below.
 * docs/output-schema.md shows the table per format. Pure functions.
 */
import { ADDED_COLUMNS, type AddedColumn } from './result-row.js';

/**
 * `text`: a string. `integer`: a whole number. `decimal`: a number with two decimals.
 * `date`: a calendar day (the CSV cell is `yyyymmdd`).
 */
export type ColumnType = 'text' | 'integer' | 'decimal' | 'date';

/** Columns an export may add after the batch's own: the keyed hash (--mask) and the change (--compare). */
export type ExportColumn = AddedColumn | 'mobile_hash' | 'change';

/**
 * The added columns that are not text. Codes stay text: `03` must keep its zero, and a
 * code cell can hold a failure name (`JUHE_TRANSIENT`). Call minutes stay text too: the
 * service answers a bucket (`(5,10]`, `360+`), not a number of minutes.
 */
export const TYPED_COLUMNS: Partial<Record<ExportColumn, ColumnType>> = {
  risk_score: 'integer',
  risk_confidence: 'decimal',
  resale_date: 'date',
};

export interface ResultColumn {
  /** The name in the header (an input column's as the input had it). */
  name: string;
  /** 0-based position in the row. */
  index: number;
  /** `input`: one of the list's own columns; `added`: one riskscreen adds. */
  origin: 'input' | 'added';
  type: ColumnType;
}

/**
 * The columns of a header whose first `inputColumns` names are the input's. Added
 * columns are recognised by name, so a header with `mobile_hash` or `change` gets them
 * typed too; an input column is text whatever its name.
 */
export function resultColumns(header: readonly string[], inputColumns: number): ResultColumn[] {
  return header.map((name, index) => {
    if (index < inputColumns) return { name, index, origin: 'input', type: 'text' };
    return { name, index, origin: 'added', type: TYPED_COLUMNS[name as ExportColumn] ?? 'text' };
  });
}

/** An added column's name, checked: everything an export can add. */
export function isExportColumn(name: string): name is ExportColumn {
  return (ADDED_COLUMNS as readonly string[]).includes(name) || name === 'mobile_hash' || name === 'change';
}

/** A typed cell: `null` for an empty one. A date is a UTC midnight. */
export type TypedValue = string | number | Date | null;

export class CellTypeError extends Error {
  readonly code = 'RISKSCREEN_CELL_TYPE';
  constructor(
    readonly column: string,
    readonly value: string,
    readonly type: ColumnType,
  ) {
    super(`column ${column}: ${JSON.stringify(value)} is not ${type === 'integer' ? 'a whole number' : type === 'decimal' ? 'a number' : 'a yyyymmdd date'}`);
    this.name = 'CellTypeError';
  }
}

/**
 * A cell as its column's type holds it. Input columns are returned as they are (an empty
 * input cell is `''`, not null: it was read, and was empty). Added columns: empty is
 * null; a value that does not fit its type is a CellTypeError (a result file edited by
 * hand), never a silent wrong number.
 */
export function typedCell(column: ResultColumn, cell: string): TypedValue {
  if (column.origin === 'input') return cell;
  if (cell === '') return null;
  switch (column.type) {
    case 'text':
      return cell;
    case 'integer': {
      if (!/^-?\d{1,15}$/.test(cell)) throw new CellTypeError(column.name, cell, 'integer');
      return Number(cell);
    }
    case 'decimal': {
      if (!/^-?\d{1,15}(?:\.\d+)?$/.test(cell)) throw new CellTypeError(column.name, cell, 'decimal');
      return Number(cell);
    }
    case 'date':
      return dateOf(column.name, cell);
  }
}

/** `yyyymmdd` (what the resale question's date is) as a UTC midnight; also accepts `yyyy-mm-dd`. */
export function dateOf(column: string, cell: string): Date {
  const match = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(cell);
  if (!match) throw new CellTypeError(column, cell, 'date');
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw new CellTypeError(column, cell, 'date');
  return date;
}

/** A date as `yyyy-mm-dd` (JSON Lines writes dates so, as JSON Schema's `format: date` wants). */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The keys the input's columns go under where a format needs names that are present and
 * unique (JSON Lines' `input` object, Parquet's `input` group): a column's name as the
 * input had it; an empty name becomes `column_N`, and a name an earlier column already
 * has becomes `<name>_N` (again, until free), N being the column's 1-based position.
 * Names are compared ignoring case, as DuckDB, Spark and SQL compare them (DuckDB
 * would otherwise rename `name` beside `Name` itself, and the keys would disagree).
 */
export function inputKeys(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name, index) => {
    let key = name === '' ? `column_${index + 1}` : name;
    while (taken.has(key.toLowerCase())) key = `${key}_${index + 1}`;
    taken.add(key.toLowerCase());
    return key;
  });
}
