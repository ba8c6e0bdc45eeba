/** The input-layer flags every command that reads a list accepts, and their help text. */
import type { ParseArgsConfig } from 'node:util';
import type { InputOptions } from '../input/index.js';

export const INPUT_FLAGS = {
  encoding: { type: 'string' },
  column: { type: 'string' },
  'date-column': { type: 'string' },
  since: { type: 'string' },
  sheet: { type: 'string' },
  header: { type: 'string' },
  delimiter: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const INPUT_FLAGS_HELP = `Reading the list (see docs/input.md):
  --encoding NAME        utf-8, utf-16le, utf-16be, gb18030, gbk, ... (default: detected)
  --column NAME|NUMBER   the phone column (default: found by name, else by content)
  --date-column NAME|NUMBER|none
                         the date column of the resale check (default: found by name;
                         none: no date column, even where a header names one)
  --since YYYYMMDD       date for rows without one (default: none; such rows get no resale check)
  --sheet NAME|NUMBER    the sheet of an .xlsx workbook (default: the first)
  --header auto|yes|no   whether the first row is a header (default: auto)
  --delimiter D          comma, tab, semicolon, pipe or none (default: detected)`;

export function inputOptionsFrom(values: { [K in keyof typeof INPUT_FLAGS]?: string | undefined }): InputOptions {
  const options: InputOptions = {};
  if (values.encoding !== undefined) options.encoding = values.encoding;
  if (values.column !== undefined) options.column = values.column;
  if (values['date-column'] !== undefined) options.dateColumn = values['date-column'];
  if (values.since !== undefined) options.since = values.since;
  if (values.sheet !== undefined) options.sheet = values.sheet;
  if (values.header !== undefined) options.header = values.header;
  if (values.delimiter !== undefined) options.delimiter = values.delimiter;
  return options;
}
