/**
 * The options of the input layer: one typed object, a documented default for each,
 * and every check in one place (`resolveInputOptions`), so the command line, the job
 * runner and the tests all get the same answers and the same messages.
 */
import iconv from 'iconv-lite';
import { InputOptionError } from './errors.js';
import { parseDate } from './dates.js';

export type HeaderMode = 'auto' | 'yes' | 'no';

/** A field delimiter of CSV/TXT files; `none` reads each line as a single field. */
export const DELIMITERS = [',', '\t', ';', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

export interface InputOptions {
  /**
   * The text encoding of a CSV/TXT file. Default `auto`: detected from the bytes
   * (BOM, else UTF-8 if the first MiB is valid UTF-8 and does not read far better as
   * GB18030, else GB18030). A BOM of another encoding is refused. Any encoding
   * iconv-lite knows is accepted (`utf-8`, `utf-16le`, `utf-16be`, `utf-16`, `gb18030`,
   * `gbk`, `big5`, ...). Not for .xlsx.
   */
  encoding?: string;
  /**
   * The phone column: a header name, or a 1-based number (a number or a string of
   * digits). Default: found by name (mobile, 手机号, 电话, ...), else by content.
   */
  column?: string | number;
  /**
   * The date column of the resale check: a header name or a 1-based number, or `none`
   * for no date column even where a header names one. Default: found by name.
   */
  dateColumn?: string | number;
  /** The batch default date for rows without a usable date: YYYYMMDD (or YYYY-MM-DD, YYYY/M/D). Default: none. */
  since?: string;
  /** The sheet of an .xlsx workbook: its name or 1-based position. Default: the first sheet. Not for CSV/TXT. */
  sheet?: string | number;
  /** Whether the first row is a header: `auto`, `yes` or `no` (any case, as typed on a command line). Default `auto`: detected. */
  header?: HeaderMode | (string & {});
  /** The field delimiter of CSV/TXT: `,` `\t` `;` `|` (or comma, tab, semicolon, pipe) or `none`. Default: detected. */
  delimiter?: string;
  /** Files over this many bytes are refused before reading. Default 200 MiB. */
  maxFileBytes?: number;
  /** A physical line over this many bytes (decoded, as UTF-8) is refused. Default 1 MiB. */
  maxLineBytes?: number;
}

export type ColumnChoice = { by: 'name'; name: string } | { by: 'number'; index: number };
export type SheetChoice = { by: 'name'; name: string } | { by: 'number'; position: number };

export interface ResolvedInputOptions {
  /** iconv-lite encoding name, or null to detect. */
  encoding: string | null;
  /** Column `index` is 0-based here; users count from 1. */
  column: ColumnChoice | null;
  /** `'none'`: no date column, even where a header names one (no row then has a date of its own). */
  dateColumn: ColumnChoice | 'none' | null;
  /** yyyymmdd or null. */
  since: string | null;
  sheet: SheetChoice | null;
  header: HeaderMode;
  /** A delimiter, `none` for one field per line, or null to detect. */
  delimiter: Delimiter | 'none' | null;
  maxFileBytes: number;
  maxLineBytes: number;
}

export const MIB = 1024 * 1024;

export const INPUT_DEFAULTS = {
  encoding: 'auto',
  header: 'auto',
  maxFileBytes: 200 * MIB,
  maxLineBytes: 1 * MIB,
} as const satisfies Partial<InputOptions>;

const DELIMITER_WORDS: Record<string, Delimiter | 'none'> = {
  ',': ',',
  comma: ',',
  '\t': '\t',
  '\\t': '\t',
  tab: '\t',
  ';': ';',
  semicolon: ';',
  '|': '|',
  pipe: '|',
  none: 'none',
};

/** Spellings users type for the encodings riskscreen detects itself, mapped to iconv-lite names. */
const ENCODING_ALIASES: Record<string, string> = {
  utf8: 'utf-8',
  'utf-8': 'utf-8',
  utf16le: 'utf-16le',
  'utf-16le': 'utf-16le',
  ucs2: 'utf-16le',
  'ucs-2': 'utf-16le',
  utf16be: 'utf-16be',
  'utf-16be': 'utf-16be',
  utf16: 'utf-16',
  'utf-16': 'utf-16',
  unicode: 'utf-16',
  gb18030: 'gb18030',
  gbk: 'gbk',
  cp936: 'gbk',
  gb2312: 'gbk',
};

/** Checks every option and fills in the defaults. Throws `InputOptionError` naming the option. */
export function resolveInputOptions(options: InputOptions = {}): ResolvedInputOptions {
  return {
    encoding: resolveEncoding(options.encoding),
    column: resolveColumn('column', options.column),
    dateColumn: typeof options.dateColumn === 'string' && options.dateColumn.trim().toLowerCase() === 'none' ? 'none' : resolveColumn('dateColumn', options.dateColumn),
    since: resolveSince(options.since),
    sheet: resolveSheet(options.sheet),
    header: resolveHeader(options.header),
    delimiter: resolveDelimiter(options.delimiter),
    maxFileBytes: resolveLimit('maxFileBytes', options.maxFileBytes, INPUT_DEFAULTS.maxFileBytes),
    maxLineBytes: resolveLimit('maxLineBytes', options.maxLineBytes, INPUT_DEFAULTS.maxLineBytes),
  };
}

function resolveEncoding(value: string | undefined): string | null {
  if (value === undefined) return null;
  const name = value.trim().toLowerCase();
  if (name === '' || name === 'auto') return null;
  const alias = ENCODING_ALIASES[name];
  if (alias) return alias;
  if (iconv.encodingExists(name)) return name;
  throw new InputOptionError(
    'encoding',
    `unknown encoding "${value}" (try utf-8, utf-16le, utf-16be, gb18030, or auto)`,
  );
}

function resolveColumn(option: 'column' | 'dateColumn', value: string | number | undefined): ColumnChoice | null {
  if (value === undefined) return null;
  if (typeof value === 'number') return columnNumber(option, value, String(value));
  const text = value.trim();
  if (text === '') throw new InputOptionError(option, 'is empty: give a column name or a 1-based column number');
  // A whole number is a position, as users count columns in Excel: 1 is the first.
  if (/^\d+$/.test(text)) return columnNumber(option, Number(text), text);
  return { by: 'name', name: text };
}

function columnNumber(option: 'column' | 'dateColumn', value: number, text: string): ColumnChoice {
  if (!Number.isInteger(value) || value < 1) {
    throw new InputOptionError(option, `"${text}" is not a column: columns are numbered from 1`);
  }
  return { by: 'number', index: value - 1 };
}

function resolveSince(value: string | undefined): string | null {
  if (value === undefined) return null;
  const parsed = parseDate(value);
  if (!parsed.ok) {
    throw new InputOptionError('since', `"${value}" is not a date (expected YYYYMMDD, YYYY-MM-DD or YYYY/M/D)`);
  }
  return parsed.yyyymmdd;
}

function resolveSheet(value: string | number | undefined): SheetChoice | null {
  if (value === undefined) return null;
  const text = String(value).trim();
  if (text === '') throw new InputOptionError('sheet', 'is empty: give a sheet name or a 1-based sheet number');
  if (/^\d+$/.test(text)) {
    const position = Number(text);
    if (position < 1) throw new InputOptionError('sheet', `"${text}" is not a sheet: sheets are numbered from 1`);
    return { by: 'number', position };
  }
  return { by: 'name', name: text };
}

function resolveHeader(value: string | undefined): HeaderMode {
  if (value === undefined) return INPUT_DEFAULTS.header;
  const text = value.trim().toLowerCase();
  if (text === 'auto' || text === 'yes' || text === 'no') return text;
  throw new InputOptionError('header', `"${value}" is not one of auto, yes, no`);
}

function resolveDelimiter(value: string | undefined): Delimiter | 'none' | null {
  if (value === undefined || value === 'auto') return null;
  // Look up the value as given first: a tab must not be trimmed away.
  const delimiter = DELIMITER_WORDS[value] ?? DELIMITER_WORDS[value.trim().toLowerCase()];
  if (delimiter) return delimiter;
  throw new InputOptionError(
    'delimiter',
    `"${value}" is not a delimiter riskscreen reads (comma, tab, semicolon, pipe, none, or auto)`,
  );
}

function resolveLimit(option: 'maxFileBytes' | 'maxLineBytes', value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InputOptionError(option, `must be a whole number of bytes above 0, got ${value}`);
  }
  return value;
}

/** 209715200 -> "200 MiB", for messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= MIB && bytes % MIB === 0) return `${bytes / MIB} MiB`;
  if (bytes >= MIB) return `${(bytes / MIB).toFixed(1)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
