/**
 * exceljs's part parsers, the only place riskscreen touches exceljs internals.
 *
 * Why not its public streaming reader (`stream.xlsx.WorkbookReader`)? It reads the
 * archive front to back and must see the shared strings before it can parse a sheet.
 * Excel writes `xl/sharedStrings.xml` *after* the sheets, so on Excel's own files the
 * public reader copies every sheet (wanted or not) to a temporary file first and parses
 * it from there: the whole workbook is written to disk again before the first row, and a
 * sheet cannot be chosen without copying the others. Reading the zip's central directory
 * instead (zip.ts) and calling the reader's part parsers in the order they are needed
 * (relationships, workbook, shared strings, styles, then the one sheet) streams only the
 * wanted sheet, from the same file descriptor the fingerprint hashes.
 *
 * The price: these are private methods (`_parseRels`, `_parseWorkbook`,
 * `_parseSharedStrings`, `_parseStyles`, `_parseWorksheet`). So package.json pins
 * exceljs to exactly EXCELJS_VERSION, `openWorkbookParts` refuses to run on a reader
 * without them (a plain error naming the version, not a crash deep in a sheet), and
 * test/unit/input/exceljs-parts.test.ts checks the behaviour relied on here.
 */
import { Readable } from 'node:stream';

/** The exceljs release these internals were read from; package.json pins it exactly. */
export const EXCELJS_VERSION = '4.4.0';

export interface SheetModel {
  name: string;
  id: number;
  rId: string;
}

export interface Relationship {
  Id: string;
  Type?: string;
  Target: string;
}

export interface SheetRow {
  number: number;
  values: unknown;
  getCell(column: number): { numFmt?: unknown };
}

/** The private surface used, as exceljs 4.4.0 has it (lib/stream/xlsx/workbook-reader.js). */
interface PrivateWorkbookReader {
  model?: { sheets?: SheetModel[] };
  workbookRels?: Relationship[];
  properties?: { model?: { date1904?: boolean } };
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncIterable<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(iterator: AsyncIterable<unknown>, sheetNo: string): Iterable<{ eventType: string; value: AsyncIterable<SheetRow> }>;
}

const PRIVATE_METHODS = ['_parseRels', '_parseWorkbook', '_parseSharedStrings', '_parseStyles', '_parseWorksheet'] as const;

/** One workbook's parts, parsed in the order the caller chooses; state (strings, styles) carries over. */
export interface WorkbookParts {
  /** `xl/_rels/workbook.xml.rels`: which part each sheet is. */
  readRelationships(part: Readable): Promise<Relationship[]>;
  /** `xl/workbook.xml`: sheets in tab order, and whether dates count from 1904. */
  readWorkbook(part: Readable): Promise<{ sheets: SheetModel[]; date1904: boolean }>;
  /** The shared strings, kept for the sheet that follows. */
  readSharedStrings(part: Readable): Promise<void>;
  /** The styles, kept so number cells formatted as dates come out as dates. */
  readStyles(part: Readable): Promise<void>;
  /** One sheet's rows, streamed; `sheetNo` is the number in `sheetN.xml`. */
  sheetRows(part: Readable, sheetNo: string): AsyncIterable<SheetRow>;
}

export class ExceljsInternalsError extends Error {
  readonly code = 'RISKSCREEN_EXCELJS_INTERNALS';
  constructor(missing: string) {
    super(`the installed exceljs has no ${missing}: riskscreen reads workbooks with exceljs ${EXCELJS_VERSION} exactly (package.json pins it); run npm ci`);
    this.name = 'ExceljsInternalsError';
  }
}

export async function openWorkbookParts(): Promise<WorkbookParts> {
  // Loaded on demand: exceljs is a large library and most lists are CSV.
  const { default: ExcelJS } = await import('exceljs');
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([]), {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    // Styles say which number cells are dates; without them a date is a day count.
    styles: 'cache',
    entries: 'ignore',
  }) as unknown as PrivateWorkbookReader;
  for (const method of PRIVATE_METHODS) if (typeof reader[method] !== 'function') throw new ExceljsInternalsError(`WorkbookReader.${method}`);

  return {
    async readRelationships(part) {
      await reader._parseRels(part);
      return reader.workbookRels ?? [];
    },
    async readWorkbook(part) {
      await reader._parseWorkbook(part);
      return { sheets: reader.model?.sheets ?? [], date1904: Boolean(reader.properties?.model?.date1904) };
    },
    async readSharedStrings(part) {
      // With sharedStrings: 'cache' it yields nothing; the strings stay on the reader.
      for await (const event of reader._parseSharedStrings(part)) void event;
    },
    async readStyles(part) {
      await reader._parseStyles(part);
    },
    sheetRows(part, sheetNo) {
      const [event] = [...reader._parseWorksheet(part, sheetNo)];
      if (!event) throw new ExceljsInternalsError('worksheet reader from WorkbookReader._parseWorksheet');
      return event.value;
    },
  };
}
