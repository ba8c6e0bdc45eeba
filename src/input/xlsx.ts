/**
 * Rows of an .xlsx workbook, streamed with exceljs's WorkbookReader: the first sheet in
 * tab order, or the one `--sheet` names (by name or 1-based position).
 *
 * Every cell becomes text, so the rest of the input layer treats a workbook exactly like
 * a CSV. A phone stored as a number cell (13800138000) must keep every digit: the
 * reader parses the cell with parseFloat, exact for any 15-digit number, and
 * `String(number)` writes it back in full. What Excel *shows* as 1.38E+10 is only a
 * display format; the stored number is complete. A cell that holds the text
 * "1.38001E+10" is another matter: those digits are gone, and normalization says so.
 */
import { createReadStream } from 'node:fs';
import { InputFileError, isInputFileError } from './errors.js';
import type { SheetChoice } from './options.js';
import { isBlankRow, type RawRow, type RowStats } from './rows.js';

export interface XlsxRowOptions {
  path: string;
  /** The path as the user gave it, for messages. */
  file: string;
  sheet: SheetChoice | null;
}

export interface SheetInfo {
  name: string;
  /** 1-based position in tab order. */
  position: number;
}

export interface XlsxRowStats extends RowStats {
  sheet?: SheetInfo;
}

interface SheetModel {
  name: string;
  id: number;
}

export async function* readXlsxRows(options: XlsxRowOptions, stats: XlsxRowStats): AsyncGenerator<RawRow> {
  const { file } = options;
  // Loaded on demand: exceljs is a large library and most lists are CSV.
  const { default: ExcelJS } = await import('exceljs');
  const stream = createReadStream(options.path);
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(stream, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    // Styles say which number cells are dates; without them a date is a day count.
    styles: 'cache',
    entries: 'ignore',
  });
  const wanted = options.sheet ?? { by: 'number', position: 1 };
  let found = false;
  try {
    for await (const worksheet of workbook) {
      const sheet = describeSheet(workbook, worksheet);
      if (found || !isWanted(sheet, wanted)) {
        // Every other sheet is read through and dropped. exceljs parks sheets that come
        // before the shared strings in temp files and deletes each once it is passed;
        // a sheet left unread races that deletion and fails with an unhandled ENOENT.
        await drain(worksheet);
        continue;
      }
      found = true;
      stats.sheet = sheet;
      let previousLine = 0;
      for await (const row of worksheet) {
        // `r` is optional in the file format; without it rows follow one another.
        const line = Number.isInteger(row.number) && row.number > 0 ? row.number : previousLine + 1;
        previousLine = line;
        const fields = rowFields(row.values);
        if (isBlankRow(fields)) {
          stats.blankLines++;
          continue;
        }
        yield { fields, line };
      }
    }
  } catch (error) {
    if (isInputFileError(error)) throw error;
    throw new InputFileError(
      'INPUT_BAD_WORKBOOK',
      `this .xlsx workbook is damaged or incomplete (${describeCause(error)}): open it in Excel and save it again`,
      { file, cause: error },
    );
  } finally {
    stream.destroy();
  }
  if (!found) {
    if (!hasWorkbookModel(workbook)) {
      throw new InputFileError('INPUT_BAD_WORKBOOK', 'this is a zip archive, not an .xlsx workbook (it has no xl/workbook.xml)', {
        file,
      });
    }
    const names = sheetModels(workbook).map((sheet) => `"${sheet.name}"`);
    if (names.length === 0) throw new InputFileError('INPUT_EMPTY', 'the workbook has no sheets', { file });
    const asked = wanted.by === 'name' ? `named "${wanted.name}"` : `number ${wanted.position}`;
    throw new InputFileError(
      'INPUT_SHEET_NOT_FOUND',
      `the workbook has no sheet ${asked} (its sheets: ${names.join(', ')})`,
      { file },
    );
  }
}

async function drain(worksheet: AsyncIterable<unknown>): Promise<void> {
  for await (const row of worksheet) void row;
}

function hasWorkbookModel(workbook: unknown): boolean {
  return (workbook as { model?: unknown }).model !== undefined;
}

function sheetModels(workbook: unknown): SheetModel[] {
  const model = (workbook as { model?: { sheets?: SheetModel[] } }).model;
  return model?.sheets ?? [];
}

function describeSheet(workbook: unknown, worksheet: unknown): SheetInfo {
  const reader = worksheet as { name?: string; id?: number | string };
  const sheets = sheetModels(workbook);
  const name = reader.name ?? `Sheet${reader.id ?? ''}`;
  const index = sheets.findIndex((sheet) => sheet.name === name);
  return { name, position: index !== -1 ? index + 1 : Number(reader.id) || 1 };
}

function isWanted(sheet: SheetInfo, wanted: SheetChoice): boolean {
  if (wanted.by === 'number') return sheet.position === wanted.position;
  return sheet.name === wanted.name || sheet.name.trim().toLowerCase() === wanted.name.trim().toLowerCase();
}

/** `row.values` is 1-based and sparse; fields are 0-based and dense up to the last cell. */
function rowFields(values: unknown): string[] {
  const cells = Array.isArray(values) ? values : [];
  const fields: string[] = [];
  for (let column = 1; column < cells.length; column++) fields.push(cellText(cells[column]));
  return fields;
}

/** A cell's value as text: what a CSV export of the cell would hold, digits in full. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return dateText(value);
  if (typeof value === 'object') {
    const cell = value as {
      richText?: { text?: string }[];
      text?: unknown;
      result?: unknown;
      formula?: string;
      sharedFormula?: string;
      error?: string;
    };
    if (Array.isArray(cell.richText)) return cell.richText.map((run) => run.text ?? '').join('');
    if ('formula' in cell || 'sharedFormula' in cell) return cellText(cell.result);
    if (cell.text !== undefined) return cellText(cell.text);
    if (typeof cell.error === 'string') return cell.error;
  }
  return String(value);
}

function numberText(value: number): string {
  // Whole numbers below 1e21 print in full; Number#toString would too, but saying so
  // is the point: a phone number in a number cell must not come out as 1.38E+10.
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return value.toFixed(0);
  return String(value);
}

/** Dates as exceljs gives them (UTC): `2023-01-05`, or with the time when there is one. */
function dateText(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  const iso = date.toISOString();
  const time = iso.slice(11, 19);
  return time === '00:00:00' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${time}`;
}

function describeCause(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // unzipper and sax messages are long and technical; the first line is enough.
  return message.split('\n')[0]!.slice(0, 200) || 'not a valid .xlsx file';
}
