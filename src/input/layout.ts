/**
 * Reading the first rows of a list to decide its layout: is the first row a header,
 * which column holds the phone numbers, which one the dates. Applies to CSV/TXT and
 * XLSX alike, since both arrive here as rows of text.
 *
 * The first row is a header when `--header yes` says so, or when it holds the name given
 * to `--column` / `--date-column`. Otherwise (auto):
 * 1. A row holding a phone number (a valid one, or one damaged by Excel) is data.
 * 2. A known phone or date column name (mobile, 手机号, 注册日期, ...) makes it a header,
 *    unless that same text comes again in its column below: then it is a value (a
 *    type column of 手机/座机), not a name.
 * 3. Otherwise the first row is a header when the rows below have a phone column (by
 *    content), the first row's cell above it is a label (letters, not a phone number,
 *    not repeated below), and the row looks like labels over the columns rather than
 *    like the rows under it (see `looksLikeLabels`).
 * A single row is never a header on the strength of rule 3 alone.
 */
import {
  choosePhoneColumn,
  columnByOption,
  dateColumnByName,
  dateNameTier,
  findHeaderName,
  measureColumns,
  phoneNameTier,
  rankPhoneColumnsByContent,
  type ColumnCandidate,
  type ColumnPick,
} from './columns.js';
import { InputFileError, InputOptionError } from './errors.js';
import { normalizeMobile } from './normalize.js';
import type { ColumnChoice, Delimiter, ResolvedInputOptions } from './options.js';
import type { RawRow } from './rows.js';
import type { EncodingSource } from './encoding.js';
import type { InputFormat } from './format.js';
import type { SheetInfo } from './xlsx.js';

export type HeaderSource = 'detected' | 'option';

/** Every decision about how a list is read, as a read made it (shown by inspect, kept in fingerprints). */
export interface InputLayout {
  /** The path as given. */
  file: string;
  /** Size when opened (the fingerprint has it too). */
  bytes: number;
  /** Modification time when opened (the fingerprint has it too). */
  mtimeMs: number;
  format: InputFormat;
  /** Text files only: the iconv-lite encoding name and how it was chosen. */
  encoding: string | null;
  encodingSource: EncodingSource | null;
  /**
   * Detected UTF-8 only: `gb18030` when the bytes also read as plausible GB18030 and the
   * call was close (names may be wrong, numbers are not; `--encoding` settles it), else null.
   */
  encodingAlternative: string | null;
  /** Text files only: the delimiter (`none`: one field per line) and how it was chosen. */
  delimiter: Delimiter | 'none' | null;
  delimiterSource: 'detected' | 'option' | null;
  /** XLSX only: the sheet read. */
  sheet: SheetInfo | null;
  header: string[] | null;
  headerLine: number | null;
  headerSource: HeaderSource;
  phoneColumn: ColumnPick;
  dateColumn: ColumnPick | null;
  /** The batch default date (yyyymmdd), or null. */
  since: string | null;
}

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
 * is all of them. Throws INPUT_HEADER_ONLY, INPUT_NO_PHONE_COLUMN, INPUT_AMBIGUOUS_PHONE_COLUMN,
 * INPUT_COLUMN_NOT_FOUND.
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
  let phoneColumn: ColumnPick;
  if (options.column) {
    phoneColumn = chosenColumn(options.column, header, width, file, headerLine, 'phone');
  } else {
    const choice = choosePhoneColumn(header, content);
    const at = headerLine !== null ? { line: headerLine } : {};
    if (choice.kind === 'none') {
      const looked = `${dataRows.length} row${dataRows.length === 1 ? '' : 's'}`;
      throw new InputFileError(
        'INPUT_NO_PHONE_COLUMN',
        `no phone column found: no header names one (mobile, phone, 手机号, 电话, ...) and no column of the first ${looked} holds mostly mobile numbers; pass --column NAME or --column NUMBER`,
        { file, ...at },
      );
    }
    if (choice.kind === 'ambiguous') {
      throw new InputFileError(
        'INPUT_AMBIGUOUS_PHONE_COLUMN',
        `more than one column could be the phone column: ${choice.candidates.map((column) => describeCandidate(column, dataRows.length)).join('; ')}. ` +
          'Say which with --column NAME or --column NUMBER (ids such as order or member numbers can look like mobile numbers)',
        { file, ...at },
      );
    }
    phoneColumn = choice.pick;
  }

  let dateColumn: ColumnPick | null = null;
  if (options.dateColumn === 'none') {
    dateColumn = null;
  } else if (options.dateColumn) {
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
    (choice): choice is Extract<ColumnChoice, { by: 'name' }> => typeof choice === 'object' && choice?.by === 'name',
  );
  if (named.some((choice) => findHeaderName(first.fields, choice.name) !== -1)) return detected(true);
  // A row with a phone number in it is data, whatever else it holds (手机 in a type column).
  if (first.fields.some(looksLikePhone)) return detected(false);
  const below = rest.map((row) => row.fields);
  const repeated = (index: number) => repeatsBelow(first.fields[index] ?? '', index, below);
  const knownName = first.fields.some(
    (cell, index) => (phoneNameTier(cell) !== undefined || dateNameTier(cell) !== undefined) && !repeated(index),
  );
  if (knownName) return detected(true);
  if (rest.length === 0) return detected(false);
  if (!first.fields.some((cell) => LETTER.test(cell))) return detected(false);
  const phone = rankPhoneColumnsByContent(measureColumns(below), first.fields).best;
  if (!phone) return detected(false);
  // The cell above the phone column must be its label: 张三,,北京 is a row with an empty phone.
  if (!isLabel(first.fields[phone.index] ?? '') || repeated(phone.index)) return detected(false);
  return detected(looksLikeLabels(first.fields, below));
}

/** A phone number, valid or damaged by Excel (scientific notation, unallocated prefix). */
function looksLikePhone(cell: string): boolean {
  const check = normalizeMobile(cell);
  return check.ok || check.reason === 'scientific_notation' || check.reason === 'unallocated_prefix';
}

/** A header label: some letters, and not a phone number. */
function isLabel(cell: string): boolean {
  return cell.trim() !== '' && LETTER.test(cell) && !looksLikePhone(cell);
}

/** Whether `cell` (trimmed) comes again in column `index` of `rows`: values repeat, names do not. */
function repeatsBelow(cell: string, index: number, rows: readonly (readonly string[])[]): boolean {
  const text = cell.trim();
  if (text === '') return false;
  return rows.some((fields) => (fields[index] ?? '').trim() === text);
}

/**
 * Whether the first row reads as labels over the rows below rather than as one of them
 * (the vote of Python's csv.Sniffer.has_header, on the shape of the text). Each column
 * whose first cell is not empty votes: "data" when that cell comes again below, or has
 * the shape most cells below share (R00001 over R00002, R00003: letters then digits);
 * "header" when the column below has a shape most of its cells share and the first cell
 * has another (Contact over 13800138000). Columns without a common shape do not vote.
 * A header needs at least as many header votes as data votes.
 */
function looksLikeLabels(first: readonly string[], below: readonly (readonly string[])[]): boolean {
  let header = 0;
  let data = 0;
  first.forEach((cell, index) => {
    if (cell.trim() === '') return;
    if (repeatsBelow(cell, index, below)) {
      data++;
      return;
    }
    const shapes = new Map<string, number>();
    let nonEmpty = 0;
    for (const fields of below) {
      const value = fields[index] ?? '';
      if (value.trim() === '') continue;
      nonEmpty++;
      const shape = shapeOf(value);
      shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
    }
    let common = '';
    let count = 0;
    for (const [shape, seen] of shapes) {
      if (seen > count) {
        common = shape;
        count = seen;
      }
    }
    if (nonEmpty === 0 || count * 2 <= nonEmpty) return;
    if (shapeOf(cell) === common) data++;
    else header++;
  });
  return header >= data;
}

/** The shape of a cell: runs of digits as 9, of Han characters as 汉, of other letters as a. */
function shapeOf(cell: string): string {
  let shape = '';
  let last = '';
  for (const char of cell.trim().normalize('NFKC')) {
    const kind = /\p{Nd}/u.test(char) ? '9' : /\p{Script=Han}/u.test(char) ? '汉' : /\p{L}/u.test(char) ? 'a' : /\s/.test(char) ? ' ' : char;
    if (kind !== last || (kind !== '9' && kind !== '汉' && kind !== 'a' && kind !== ' ')) shape += kind;
    last = kind;
  }
  return shape;
}

function describeCandidate(column: ColumnCandidate, rows: number): string {
  const name = column.name !== null && column.name.trim() !== '' ? ` "${column.name}"` : '';
  const damaged = column.valid === 0 && column.damaged > 0 ? `, ${column.damaged} damaged (like 1.38E+10)` : '';
  return `column ${column.index + 1}${name} (${column.valid} valid mobile number${column.valid === 1 ? '' : 's'}${damaged} in the first ${rows} row${rows === 1 ? '' : 's'})`;
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
