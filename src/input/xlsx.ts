/**
 * Rows of an .xlsx workbook: the first sheet in tab order, or the one `--sheet` names
 * (by name or 1-based position).
 *
 * The archive is read through its central directory (zip.ts), from the read's one file
 * descriptor, in the order the parts are needed: the workbook's relationships and
 * xl/workbook.xml (sheet names and order, the date system), the shared strings, the
 * styles (which number cells are dates), then the one sheet wanted, streamed row by row
 * by exceljs's worksheet parser (exceljs-parts.ts says why not its public reader). Other
 * sheets are never read.
 *
 * Every cell becomes text, so the rest of the input layer treats a workbook exactly like
 * a CSV. A phone stored as a number cell (13800138000) must keep every digit: the
 * reader parses the cell with parseFloat, exact for any 15-digit number, and
 * `String(number)` writes it back in full. What Excel *shows* as 1.38E+10 is only a
 * display format; the stored number is complete. A cell that holds the text
 * "1.38001E+10" is another matter: those digits are gone, and normalization says so.
 */
import { InputFileError, isInputFileError } from './errors.js';
import { ExceljsInternalsError, openWorkbookParts, type Relationship, type SheetRow } from './exceljs-parts.js';
import type { SheetChoice } from './options.js';
import { isBlankRow, type RawRow, type RowStats } from './rows.js';
import { ZipDirectory, type RandomAccess } from './zip.js';
import { partOfType, partPath } from './workbook-parts.js';

export interface XlsxRowOptions {
  /** The workbook's bytes, by position (the read's one file descriptor). */
  source: RandomAccess;
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


export async function* readXlsxRows(options: XlsxRowOptions, stats: XlsxRowStats): AsyncGenerator<RawRow> {
  const { file } = options;
  let rows: AsyncIterable<SheetRow>;
  let date1904: boolean;
  try {
    ({ rows, date1904 } = await openSheet(options, stats));
  } catch (error) {
    throw asWorkbookError(error, file);
  }
  let previousLine = 0;
  try {
    for await (const row of rows) {
      // `r` is optional in the file format; without it rows follow one another.
      const line = Number.isInteger(row.number) && row.number > 0 ? row.number : previousLine + 1;
      previousLine = line;
      const fields = rowFields(row, date1904);
      if (isBlankRow(fields)) {
        stats.blankLines++;
        continue;
      }
      yield { fields, line };
    }
  } catch (error) {
    throw asWorkbookError(error, file);
  }
}

async function openSheet(options: XlsxRowOptions, stats: XlsxRowStats): Promise<{ rows: AsyncIterable<SheetRow>; date1904: boolean }> {
  const { file } = options;
  const zip = await ZipDirectory.read(options.source);
  const workbookPart = zip.entry('xl/workbook.xml');
  if (!workbookPart) {
    throw new InputFileError('INPUT_BAD_WORKBOOK', 'this is a zip archive, not an .xlsx workbook (it has no xl/workbook.xml)', {
      file,
    });
  }
  const parts = await openWorkbookParts();
  const relationshipsPart = zip.entry('xl/_rels/workbook.xml.rels');
  const relationships = relationshipsPart ? await parts.readRelationships(await zip.open(relationshipsPart)) : [];
  const { sheets, date1904 } = await parts.readWorkbook(await zip.open(workbookPart));
  if (sheets.length === 0) throw new InputFileError('INPUT_EMPTY', 'the workbook has no sheets', { file });

  const wanted = options.sheet ?? { by: 'number', position: 1 };
  const index =
    wanted.by === 'number'
      ? wanted.position - 1
      : findIndex(sheets, (sheet) => sheet.name === wanted.name) ??
        findIndex(sheets, (sheet) => sheet.name.trim().toLowerCase() === wanted.name.trim().toLowerCase());
  const sheet = index === undefined ? undefined : sheets[index];
  if (index === undefined || !sheet) {
    const asked = wanted.by === 'name' ? `named "${wanted.name}"` : `number ${wanted.position}`;
    const names = sheets.map((model) => `"${model.name}"`).join(', ');
    throw new InputFileError('INPUT_SHEET_NOT_FOUND', `the workbook has no sheet ${asked} (its sheets: ${names})`, { file });
  }
  const target = relationships.find((relationship) => relationship.Id === sheet.rId)?.Target;
  const sheetPart = target === undefined ? undefined : zip.entry(partPath(target));
  if (!sheetPart) {
    throw new InputFileError('INPUT_BAD_WORKBOOK', `the sheet "${sheet.name}" is missing from this .xlsx workbook: open it in Excel and save it again`, {
      file,
    });
  }

  const stringsPart = zip.entry(partOfType(relationships, 'sharedStrings') ?? 'xl/sharedStrings.xml');
  if (stringsPart) await parts.readSharedStrings(await zip.open(stringsPart));
  const stylesPart = zip.entry(partOfType(relationships, 'styles') ?? 'xl/styles.xml');
  if (stylesPart) await parts.readStyles(await zip.open(stylesPart));

  stats.sheet = { name: sheet.name, position: index + 1 };
  const sheetNo = /sheet(\d+)\.xml$/.exec(sheetPart.name)?.[1] ?? String(sheet.id);
  return { rows: parts.sheetRows(await zip.open(sheetPart), sheetNo), date1904 };
}

function findIndex<T>(items: readonly T[], test: (item: T) => boolean): number | undefined {
  const index = items.findIndex(test);
  return index === -1 ? undefined : index;
}


function asWorkbookError(error: unknown, file: string): unknown {
  if (isInputFileError(error) || error instanceof ExceljsInternalsError) return error;
  // A read error of the file itself is not a damaged workbook.
  if ((error as NodeJS.ErrnoException | undefined)?.syscall !== undefined) return error;
  return new InputFileError(
    'INPUT_BAD_WORKBOOK',
    `this .xlsx workbook is damaged or incomplete (${describeCause(error)}): open it in Excel and save it again`,
    { file, cause: error },
  );
}

/**
 * `row.values` is 1-based and sparse; fields are 0-based and dense up to the last cell.
 * A formula's number result in a cell formatted as a date is a date: exceljs converts
 * plain date cells itself, but leaves formula results (`=DATE(2023,1,5)`, `=A2+30`) as
 * Excel day numbers.
 */
function rowFields(row: SheetRow, date1904: boolean): string[] {
  const cells = Array.isArray(row.values) ? (row.values as unknown[]) : [];
  const fields: string[] = [];
  for (let column = 1; column < cells.length; column++) {
    const value = cells[column];
    const result = formulaNumber(value);
    if (result !== undefined) {
      const format = row.getCell(column).numFmt;
      if (typeof format === 'string' && isDateFormat(format)) {
        fields.push(dateText(excelSerialToDate(result, date1904)));
        continue;
      }
    }
    fields.push(cellText(value));
  }
  return fields;
}

function formulaNumber(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const cell = value as { formula?: unknown; sharedFormula?: unknown; result?: unknown };
  if (!('formula' in cell) && !('sharedFormula' in cell)) return undefined;
  return typeof cell.result === 'number' && Number.isFinite(cell.result) ? cell.result : undefined;
}

/** A number format that shows a date or time (what exceljs itself checks for plain cells). */
export function isDateFormat(format: string): boolean {
  const bare = format.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '');
  return /[ymdhMsb]/.test(bare);
}

/** An Excel day number (serial) as a UTC date, as exceljs converts date cells. */
export function excelSerialToDate(serial: number, date1904: boolean): Date {
  return new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * 86_400_000));
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
export function dateText(date: Date): string {
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
