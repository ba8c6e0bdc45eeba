/**
 * Errors of the input layer. Two kinds, because a user acts on them differently:
 *
 * - `InputFileError` (kind `input`): the file cannot be read as a phone list. It names
 *   the file and, where known, the line and column, and its message is one plain
 *   sentence a user can act on.
 * - `InputOptionError` (kind `usage`): an input option is wrong. It names the option.
 *
 * Both carry a stable `code`: scripts, tests and the job runner branch on it, never
 * on the wording.
 */

export const INPUT_FILE_ERROR_CODES = [
  /** The path does not exist. */
  'INPUT_NOT_FOUND',
  /** The path exists but cannot be read as a file (a directory, no permission). */
  'INPUT_UNREADABLE',
  /** Zero bytes, only a byte order mark, only blank lines, or an empty sheet. */
  'INPUT_EMPTY',
  /** A header row and no data row under it. */
  'INPUT_HEADER_ONLY',
  /** Not text and not an .xlsx workbook (NUL bytes, control bytes, an old .xls, a zip). */
  'INPUT_BINARY',
  /** Bytes that the chosen or detected encoding cannot decode. */
  'INPUT_UNDECODABLE',
  /**
   * A quoted field that is never closed, runs on past the line limit, or seems to swallow
   * the rows below it (a line inside it reads like a row of the file: a stray opening quote).
   */
  'INPUT_UNCLOSED_QUOTE',
  /** The file is over the size limit (`maxFileBytes`). */
  'INPUT_TOO_LARGE',
  /** One physical line is over the line limit (`maxLineBytes`). */
  'INPUT_LINE_TOO_LONG',
  /** No column could be identified as the phone column, by name or by content. */
  'INPUT_NO_PHONE_COLUMN',
  /**
   * Several columns hold mobile numbers and nothing says which is the phone column (the
   * message lists them): `--column` must say.
   */
  'INPUT_AMBIGUOUS_PHONE_COLUMN',
  /** `--column` or `--date-column` names a column the file does not have. */
  'INPUT_COLUMN_NOT_FOUND',
  /** `--sheet` names a sheet the workbook does not have. */
  'INPUT_SHEET_NOT_FOUND',
  /** A .xlsx file that cannot be opened as a workbook (corrupt, truncated, encrypted). */
  'INPUT_BAD_WORKBOOK',
  /**
   * The file is not the one an earlier read described (`expect`): other size, time,
   * bytes, rows or layout; or it changed while it was being read.
   */
  'INPUT_CHANGED',
] as const;

export type InputFileErrorCode = (typeof INPUT_FILE_ERROR_CODES)[number];

export interface InputFileErrorContext {
  /** The path as the user gave it. */
  file: string;
  /** 1-based physical line (CSV/TXT) or sheet row number (XLSX), where known. */
  line?: number;
  /** 1-based column, where known. */
  column?: number;
  cause?: unknown;
}

export class InputFileError extends Error {
  override readonly name = 'InputFileError';
  readonly code: InputFileErrorCode;
  /** A user's problem, shown as one line (src/shared/error-kind.ts). */
  readonly kind = 'input';
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** The problem alone, without the file and line (the message has both). */
  readonly problem: string;

  constructor(code: InputFileErrorCode, problem: string, context: InputFileErrorContext) {
    super(formatLocation(context.file, context.line) + problem, { cause: context.cause });
    this.code = code;
    this.file = context.file;
    this.line = context.line;
    this.column = context.column;
    this.problem = problem;
  }
}

export class InputOptionError extends Error {
  override readonly name = 'InputOptionError';
  readonly code = 'INPUT_OPTION_INVALID' as const;
  readonly kind = 'usage';
  /** The option as the library names it (`dateColumn`); `flag` is the command-line spelling. */
  readonly option: string;
  readonly flag: string;
  readonly problem: string;

  constructor(option: string, problem: string) {
    const flag = `--${option.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    super(`${flag}: ${problem}`);
    this.option = option;
    this.flag = flag;
    this.problem = problem;
  }
}

/** `file:line: ` or `file: `, the prefix compilers use, so editors can jump to it. */
function formatLocation(file: string, line: number | undefined): string {
  return line === undefined ? `${file}: ` : `${file}:${line}: `;
}

export function isInputFileError(error: unknown): error is InputFileError {
  return error instanceof InputFileError;
}

export function isInputOptionError(error: unknown): error is InputOptionError {
  return error instanceof InputOptionError;
}
