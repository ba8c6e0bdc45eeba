/**
 * Reading the first rows of a list to decide its layout: is the first row a header,
 * which column holds the phone numbers, which one the dates. Applies to CSV/TXT and
 * XLSX alike, since both arrive here as rows of text.
 *
 * The first row is a header when `--header` says so, or when:
 * 1. it holds the name given to `--column` / `--date-column`, or a known phone or
 *    date column name (mobile, 手机号, 注册日期, ...); or
 * 2. none of its cells looks like a phone number, at least one holds letters, and the
 *    rows below have a column of mostly mobile numbers (labels over data).
 * A single row is never a header on the strength of rule 2 alone.
 */
import {
  columnByOption,
  dateColumnByName,
  findHeaderName,
  hasKnownColumnName,
  measureColumns,
  phoneColumnByContent,
  phoneColumnByName,
  type ColumnPick,
} from './columns.js';
import { InputFileError, InputOptionError } from './errors.js';
import { normalizeMobile } from './normalize.js';
import type { ColumnChoice, ResolvedInputOptions } from './options.js';
import type { RawRow } from './rows.js';

export type HeaderSource = 'detected' | 'option';

export interface RowLayout {
  /** The header row's fields, or null. */
  header: string[] | null;
  headerLine: number | null;
  headerSource: HeaderSource;
  phoneColumn: ColumnPick;
  dateColumn: ColumnPick | null;
}

const LETTER = /\p{L}/u;

/**
 * `sample` is the first rows of the file (blank lines left out); `ended` says whether it
 * is all of them. Throws INPUT_HEADER_ONLY, INPUT_NO_PHONE_COLUMN, INPUT_COLUMN_NOT_FOUND.
 */
export function detectRowLayout(
  sample: readonly RawRow[],
  ended: boolean,
  options: ResolvedInputOptions,
  file: string,
): RowLayout {
  const first = sample[0];
  if (!first) throw new InputFileError('INPUT_EMPTY', 'the file has no rows', { file });
  const { hasHeader, headerSource } = decideHeader(first, sample.slice(1), options);
  const header = hasHeader ? first.fields : null;
  const headerLine = hasHeader ? first.line : null;
  const dataRows = (hasHeader ? sample.slice(1) : sample).map((row) => row.fields);
  if (hasHeader && dataRows.length === 0 && ended) {
    throw new InputFileError('INPUT_HEADER_ONLY', 'the file has a header row and no data rows under it', {
      file,
      line: first.line,
    });
  }

  const width = sample.reduce((max, row) => Math.max(max, row.fields.length), 0);
  const content = measureColumns(dataRows);
  const phoneColumn = options.column
    ? chosenColumn(options.column, header, width, file, headerLine, 'phone')
    : ((header && phoneColumnByName(header, content)) ?? byContent(content, header));
  if (!phoneColumn) {
    const looked = `${dataRows.length} row${dataRows.length === 1 ? '' : 's'}`;
    throw new InputFileError(
      'INPUT_NO_PHONE_COLUMN',
      `no phone column found: no header names one (mobile, phone, 手机号, 电话, ...) and no column of the first ${looked} holds mostly mobile numbers; pass --column NAME or --column NUMBER`,
      { file, ...(headerLine !== null ? { line: headerLine } : {}) },
    );
  }

  let dateColumn: ColumnPick | null = null;
  if (options.dateColumn) {
    dateColumn = chosenColumn(options.dateColumn, header, width, file, headerLine, 'date');
    if (dateColumn.index === phoneColumn.index) {
      throw new InputOptionError('dateColumn', `column ${dateColumn.index + 1} is the phone column, not a date column`);
    }
  } else if (header) {
    const byName = dateColumnByName(header);
    if (byName && byName.index !== phoneColumn.index) dateColumn = byName;
  }
  return { header, headerLine, headerSource, phoneColumn, dateColumn };
}

function decideHeader(
  first: RawRow,
  rest: readonly RawRow[],
  options: ResolvedInputOptions,
): { hasHeader: boolean; headerSource: HeaderSource } {
  if (options.header !== 'auto') return { hasHeader: options.header === 'yes', headerSource: 'option' };
  const detected = (hasHeader: boolean) => ({ hasHeader, headerSource: 'detected' as const });
  const named = [options.column, options.dateColumn].filter(
    (choice): choice is Extract<ColumnChoice, { by: 'name' }> => choice?.by === 'name',
  );
  if (named.some((choice) => findHeaderName(first.fields, choice.name) !== -1)) return detected(true);
  if (hasKnownColumnName(first.fields)) return detected(true);
  if (rest.length === 0) return detected(false);
  if (first.fields.some(looksLikePhone)) return detected(false);
  if (!first.fields.some((cell) => LETTER.test(cell))) return detected(false);
  const below = measureColumns(rest.map((row) => row.fields));
  return detected(phoneColumnByContent(below) !== undefined);
}

function looksLikePhone(cell: string): boolean {
  const check = normalizeMobile(cell);
  return check.ok || check.reason === 'scientific_notation' || check.reason === 'unallocated_prefix';
}

function byContent(content: Parameters<typeof phoneColumnByContent>[0], header: readonly string[] | null): ColumnPick | undefined {
  const index = phoneColumnByContent(content);
  return index === undefined ? undefined : { index, name: header?.[index] ?? null, source: 'content' };
}

function chosenColumn(
  choice: ColumnChoice,
  header: readonly string[] | null,
  width: number,
  file: string,
  headerLine: number | null,
  what: 'phone' | 'date',
): ColumnPick {
  const found = columnByOption(choice, header, width);
  if ('missing' in found) {
    const flag = what === 'phone' ? '--column' : '--date-column';
    throw new InputFileError('INPUT_COLUMN_NOT_FOUND', `${flag}: ${found.missing}`, {
      file,
      ...(headerLine !== null ? { line: headerLine } : {}),
    });
  }
  return { index: found.index, name: header?.[found.index] ?? null, source: 'option' };
}
