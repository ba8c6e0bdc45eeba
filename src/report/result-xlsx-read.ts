/**
 * Reading back a result workbook that result-xlsx.ts wrote (for `--compare` against an
 * earlier XLSX result): the rows of its results sheets, every cell as the string the CSV
 * result holds.
 *
 * Results sheets are recognised by name: `结果` or `Results`, then their spills
 * (`结果 2`, `Results 2`, ...), in tab order; the summary and any other sheet are never
 * read. The first results sheet's header comes first; a spill sheet's repeated header
 * is checked and skipped.
 *
 * Cells: text as written, its `_xHHHH_` escapes decoded (result-xlsx.ts escapes control
 * characters and the like so, and Excel does the same when it saves); whole numbers as
 * `String(n)`; risk_confidence with two decimals (`0.50`); a date as `yyyymmdd`; a
 * missing cell as ''.
 *
 * How it reads: as the input layer reads a workbook (src/input/xlsx.ts), through the zip's
 * central directory (src/input/zip.ts) and exceljs's part parsers in the order they are
 * needed (src/input/exceljs-parts.ts): relationships, workbook, shared strings (Excel's
 * own saves have them), styles, then each results sheet, streamed row by row. Not
 * exceljs's public `stream.xlsx.WorkbookReader`: it reads the archive front to back, and
 * exceljs writes xl/workbook.xml after the sheets, so it parks every sheet in a
 * temporary file first (a million-row result written to disk again, uncompressed) and,
 * doing so, loses entries that come after the last sheet when the zip parser runs ahead
 * of it (unzipper emits `end` with entries still buffered; exceljs issue #3064): on a
 * workbook with spill sheets it lost xl/workbook.xml in every run tried, giving the sheets
 * no names and failing on the first number cell.
 */
import { open } from 'node:fs/promises';
import { ExceljsInternalsError, openWorkbookParts, type Relationship, type SheetRow } from '../input/exceljs-parts.js';
import { ZipDirectory, ZipFormatError, type RandomAccess } from '../input/zip.js';
import { partOfType, partPath } from '../input/workbook-parts.js';
import { TYPED_COLUMNS, type ColumnType, type ExportColumn } from './result-columns.js';
import { ResultReadError, type ResultFileRow } from './result-jsonl-read.js';
import { SHEET_NAMES, unescapeXlsxText } from './result-xlsx.js';

export interface XlsxResultRow extends ResultFileRow {
  /** The row's number in its sheet (1 for the header). */
  line: number;
  /** The results sheet it is on. */
  sheet: string;
}

const RESULTS_SHEET = new RegExp(`^(?:${Object.values(SHEET_NAMES).map((names) => names.results).join('|')})(?: [1-9]\\d*)?$`);

/** Whether a sheet name is a results sheet's (`结果`, `Results 3`). */
export function isResultsSheet(name: string): boolean {
  return RESULTS_SHEET.test(name);
}

export async function* readXlsxResult(file: string): AsyncGenerator<XlsxResultRow> {
  const handle = await open(file, 'r');
  let where: string | null = null;
  try {
    const size = (await handle.stat()).size;
    const source: RandomAccess = {
      size,
      async readAt(position, length) {
        const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        return buffer.subarray(0, bytesRead);
      },
    };
    let zip: ZipDirectory;
    try {
      zip = await ZipDirectory.read(source);
    } catch (err) {
      if (err instanceof ZipFormatError) throw new ResultReadError(file, null, `not an XLSX workbook (${err.message})`);
      throw err;
    }
    const workbookPart = zip.entry('xl/workbook.xml');
    if (!workbookPart) throw new ResultReadError(file, null, 'not an XLSX workbook (a zip archive with no xl/workbook.xml)');

    const parts = await openWorkbookParts();
    const relationshipsPart = zip.entry('xl/_rels/workbook.xml.rels');
    const relationships = relationshipsPart ? await parts.readRelationships(await zip.open(relationshipsPart)) : [];
    const { sheets, date1904 } = await parts.readWorkbook(await zip.open(workbookPart));
    const results = sheets.filter((sheet) => isResultsSheet(sheet.name));
    if (results.length === 0) {
      const names = sheets.length ? sheets.map((sheet) => `"${sheet.name}"`).join(', ') : 'none';
      throw new ResultReadError(file, null, `not a riskscreen XLSX result: it has no results sheet (${SHEET_NAMES.zh.results} or ${SHEET_NAMES.en.results}); its sheets: ${names}`);
    }
    const stringsPart = zip.entry(partOfType(relationships, 'sharedStrings') ?? 'xl/sharedStrings.xml');
    if (stringsPart) await parts.readSharedStrings(await zip.open(stringsPart));
    const stylesPart = zip.entry(partOfType(relationships, 'styles') ?? 'xl/styles.xml');
    if (stylesPart) await parts.readStyles(await zip.open(stylesPart));

    let header: string[] | null = null;
    for (const sheet of results) {
      where = `sheet "${sheet.name}"`;
      const target = relationships.find((relationship) => relationship.Id === sheet.rId)?.Target;
      const part = target === undefined ? undefined : zip.entry(partPath(target));
      if (!part) throw new ResultReadError(file, where, 'missing from the workbook');
      const sheetNo = /sheet(\d+)\.xml$/.exec(part.name)?.[1] ?? String(sheet.id);
      let first = true;
      for await (const row of parts.sheetRows(await zip.open(part), sheetNo)) {
        where = `sheet "${sheet.name}", row ${row.number}`;
        if (first) {
          first = false;
          if (header === null) {
            header = cellsOf(row, null, date1904);
            yield { row: [...header], line: row.number, sheet: sheet.name };
            continue;
          }
          if (row.number === 1) {
            const repeated = cellsOf(row, null, date1904);
            if (repeated.join('\u0000') !== header.join('\u0000')) throw new ResultReadError(file, where, 'not the header of the first results sheet');
            continue;
          }
        }
        yield { row: cellsOf(row, header, date1904), line: row.number, sheet: sheet.name };
      }
    }
    if (header === null) throw new ResultReadError(file, null, 'its results sheet is empty (no header)');
  } catch (err) {
    if (err instanceof ResultReadError || err instanceof ExceljsInternalsError) throw err;
    // A read error of the file itself is not a damaged workbook.
    if ((err as NodeJS.ErrnoException | undefined)?.syscall !== undefined) throw err;
    throw new ResultReadError(file, where, `this XLSX workbook is damaged (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  } finally {
    await handle.close();
  }
}

/** A row's cells as strings, as many as the header has (more when the row has more). */
function cellsOf(row: SheetRow, header: readonly string[] | null, date1904: boolean): string[] {
  const values = Array.isArray(row.values) ? (row.values as unknown[]) : [];
  const width = Math.max(header?.length ?? 0, values.length - 1);
  const cells: string[] = [];
  for (let i = 0; i < width; i++) {
    const column = header?.[i];
    cells.push(cellText(values[i + 1], column === undefined ? 'text' : (TYPED_COLUMNS[column as ExportColumn] ?? 'text'), date1904));
  }
  return cells;
}

function cellText(value: unknown, type: ColumnType, date1904: boolean): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return unescapeXlsxText(value);
  if (typeof value === 'number') {
    if (type === 'decimal') return value.toFixed(2);
    if (type === 'date') return yyyymmdd(new Date(Math.round((value - 25569 + (date1904 ? 1462 : 0)) * 86_400_000)));
    return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toFixed(0) : String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return yyyymmdd(value);
  if (typeof value === 'object') {
    const cell = value as { richText?: { text?: string }[]; formula?: unknown; sharedFormula?: unknown; result?: unknown; text?: unknown; error?: unknown };
    if (Array.isArray(cell.richText)) return unescapeXlsxText(cell.richText.map((run) => run.text ?? '').join(''));
    if ('formula' in cell || 'sharedFormula' in cell) return cellText(cell.result, type, date1904);
    if (cell.text !== undefined) return cellText(cell.text, type, date1904);
    if (typeof cell.error === 'string') return cell.error;
  }
  return String(value);
}

function yyyymmdd(date: Date): string {
  return `${date.getUTCFullYear()}${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCDate()).padStart(2, '0')}`;
}

