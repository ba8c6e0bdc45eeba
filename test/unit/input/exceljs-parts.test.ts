/**
 * What the workbook reader relies on in exceljs's internals (src/input/exceljs-parts.ts):
 * the pinned version is the one installed, and its part parsers, called one part at a
 * time in the order riskscreen chooses, give the relationships, the sheets in tab order,
 * the date system, shared strings resolved in cells, date formats from the styles, and
 * rows streamed with their numbers. An exceljs upgrade that changes any of this fails
 * here, not in a user's nightly run.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { EXCELJS_VERSION, openWorkbookParts, type SheetRow } from '../../../src/input/exceljs-parts.js';
import { ZipDirectory, type RandomAccess } from '../../../src/input/zip.js';

const require = createRequire(import.meta.url);

function bufferSource(bytes: Buffer): RandomAccess {
  return { size: bytes.length, readAt: async (position, length) => bytes.subarray(position, position + length) };
}

async function sampleWorkbook(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.properties.date1904 = true;
  const first = workbook.addWorksheet('名单');
  first.addRow(['手机号', '注册日期']);
  first.addRow(['13800138000', new Date(Date.UTC(2023, 0, 5))]);
  first.getCell('B2').numFmt = 'yyyy-mm-dd';
  const second = workbook.addWorksheet('Second');
  second.addRow(['mobile']);
  second.addRow([18612345678]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

async function rows(iterable: AsyncIterable<SheetRow>): Promise<SheetRow[]> {
  const out: SheetRow[] = [];
  for await (const row of iterable) out.push(row);
  return out;
}

describe("exceljs's part parsers", () => {
  it('are those of the exact exceljs version package.json pins', () => {
    const pinned = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }).dependencies.exceljs;
    expect(pinned).toBe(EXCELJS_VERSION);
    expect((require('exceljs/package.json') as { version: string }).version).toBe(EXCELJS_VERSION);
  });

  it('read relationships, sheets in tab order, the date system, strings, date styles and rows, one part at a time', async () => {
    const zip = await ZipDirectory.read(bufferSource(await sampleWorkbook()));
    const parts = await openWorkbookParts();

    const relationships = await parts.readRelationships(await zip.open(zip.entry('xl/_rels/workbook.xml.rels')!));
    expect(relationships.length).toBeGreaterThanOrEqual(2);
    expect(relationships.every((r) => typeof r.Id === 'string' && typeof r.Target === 'string')).toBe(true);
    expect(relationships.some((r) => r.Type?.endsWith('/sharedStrings'))).toBe(true);

    const { sheets, date1904 } = await parts.readWorkbook(await zip.open(zip.entry('xl/workbook.xml')!));
    expect(sheets.map((sheet) => sheet.name)).toEqual(['名单', 'Second']);
    expect(date1904).toBe(true);
    const target = relationships.find((r) => r.Id === sheets[0]!.rId)!.Target;
    expect(target).toMatch(/worksheets\/sheet1\.xml$/);

    await parts.readSharedStrings(await zip.open(zip.entry('xl/sharedStrings.xml')!));
    await parts.readStyles(await zip.open(zip.entry('xl/styles.xml')!));
    const read = await rows(parts.sheetRows(await zip.open(zip.entry('xl/worksheets/sheet1.xml')!), '1'));
    expect(read.map((row) => row.number)).toEqual([1, 2]);
    // values is 1-based; shared strings come back as text, the date cell as a Date.
    expect((read[0]!.values as unknown[]).slice(1)).toEqual(['手机号', '注册日期']);
    const [phone, date] = (read[1]!.values as unknown[]).slice(1);
    expect(phone).toBe('13800138000');
    expect(date).toBeInstanceOf(Date);
    expect(read[1]!.getCell(2).numFmt).toBe('yyyy-mm-dd');
  });

  it('stream only the sheet asked for: the second sheet read alone', async () => {
    const zip = await ZipDirectory.read(bufferSource(await sampleWorkbook()));
    const parts = await openWorkbookParts();
    await parts.readSharedStrings(await zip.open(zip.entry('xl/sharedStrings.xml')!));
    const read = await rows(parts.sheetRows(await zip.open(zip.entry('xl/worksheets/sheet2.xml')!), '2'));
    expect(read.map((row) => (row.values as unknown[]).slice(1))).toEqual([['mobile'], [18612345678]]);
  });
});
