import { writeFile } from 'node:fs/promises';
import { deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readPhoneList } from '../../../src/input/reader.js';
import { cellText, excelSerialToDate, isDateFormat } from '../../../src/input/xlsx.js';
import { readAll, rejection, useTempDir } from './fixtures.js';

describe('xlsx workbooks', () => {
  const dir = useTempDir();

  it('reads number cells as text without losing a digit, and refuses text in scientific notation', async () => {
    const file = dir.path('numbers.xlsx');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('名单');
    sheet.addRow(['手机号', '姓名', '注册日期']);
    sheet.addRow([13800138000, '张三', new Date(Date.UTC(2023, 0, 5))]);
    const shownScientific = sheet.addRow([18612345678, '李四', '2023/2/7']);
    // Excel shows this cell as 1.86E+10; the stored number is whole.
    shownScientific.getCell(1).numFmt = '0.00E+00';
    sheet.addRow(['1.38001E+10', '王五', 20230105]);
    sheet.addRow([13312345678.0, { richText: [{ text: '赵' }, { text: '六' }] }, '']);
    sheet.addRow([{ formula: '19212345678+0', result: 19212345678 }, true, new Date(Date.UTC(2023, 5, 1, 8, 30))]);
    await workbook.xlsx.writeFile(file);

    const { layout, records, counts } = await readAll(file);
    expect(layout).toMatchObject({
      format: 'xlsx',
      encoding: null,
      delimiter: null,
      sheet: { name: '名单', position: 1 },
      header: ['手机号', '姓名', '注册日期'],
      headerLine: 1,
      phoneColumn: { index: 0, name: '手机号', source: 'name' },
      dateColumn: { index: 2, name: '注册日期', source: 'name' },
    });
    expect(records.map((record) => record.fields)).toEqual([
      ['13800138000', '张三', '2023-01-05'],
      ['18612345678', '李四', '2023/2/7'],
      ['1.38001E+10', '王五', '20230105'],
      // A row ends at its last cell with a value: Excel does not store trailing empty cells.
      ['13312345678', '赵六'],
      ['19212345678', 'TRUE', '2023-06-01 08:30:00'],
    ]);
    expect(records.map((record) => [record.line, record.mobile, record.reason, record.date])).toEqual([
      [2, '13800138000', null, '20230105'],
      [3, '18612345678', null, '20230207'],
      [4, null, 'scientific_notation', '20230105'],
      [5, '13312345678', null, null],
      [6, '19212345678', null, '20230601'],
    ]);
    expect(counts).toMatchObject({ rows: 5, valid: 4, invalid: 1 });
  });

  it('reads a formula in a date-formatted cell as a date, not as a day number', async () => {
    const file = dir.path('formula-dates.xlsx');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('S');
    sheet.addRow(['手机号', '注册日期', '天数']);
    // =DATE(2023,1,5) is day 44931; =B2+30 with a date-time format.
    const first = sheet.addRow([13800138000, { formula: 'DATE(2023,1,5)', result: 44931 }, { formula: '1+1', result: 44931 }]);
    first.getCell(2).numFmt = 'yyyy-mm-dd';
    const second = sheet.addRow([18612345678, { formula: 'B2+30.5', result: 44961.5 }]);
    second.getCell(2).numFmt = 'yyyy/m/d h:mm';
    await workbook.xlsx.writeFile(file);

    const { layout, records } = await readAll(file);
    expect(layout.dateColumn).toMatchObject({ index: 1, name: '注册日期' });
    expect(records.map((record) => record.fields)).toEqual([
      // A formula in a cell without a date format stays a number.
      ['13800138000', '2023-01-05', '44931'],
      ['18612345678', '2023-02-04 12:00:00'],
    ]);
    expect(records.map((record) => [record.date, record.dateWarning])).toEqual([
      ['20230105', null],
      ['20230204', null],
    ]);
  });

  it('keeps sheet row numbers as lines and skips empty rows as blank', async () => {
    const file = dir.path('gaps.xlsx');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Sheet1');
    sheet.getRow(3).values = ['mobile'];
    sheet.getRow(4).values = [13800138000];
    const styledEmpty = sheet.getRow(5);
    styledEmpty.getCell(1).numFmt = '0';
    styledEmpty.getCell(1).value = null;
    sheet.getRow(7).values = [18612345678];
    await workbook.xlsx.writeFile(file);
    const { layout, records } = await readAll(file);
    expect(layout.headerLine).toBe(3);
    expect(records.map((record) => [record.line, record.mobile])).toEqual([
      [4, '13800138000'],
      [7, '18612345678'],
    ]);
  });

  it('reads the first sheet, or --sheet by name or 1-based number', async () => {
    const file = await dir.xlsx('sheets.xlsx', {
      First: [['mobile'], [13800138000]],
      'Second Sheet': [['mobile'], [18612345678]],
      Third: [['mobile'], [13312345678]],
    });
    expect((await readAll(file)).records[0]!.mobile).toBe('13800138000');
    const byName = await readAll(file, { sheet: 'second sheet' });
    expect(byName.layout.sheet).toEqual({ name: 'Second Sheet', position: 2 });
    expect(byName.records[0]!.mobile).toBe('18612345678');
    const byNumber = await readAll(file, { sheet: 3 });
    expect(byNumber.layout.sheet).toEqual({ name: 'Third', position: 3 });
    expect(byNumber.records[0]!.mobile).toBe('13312345678');
    const missing = await rejection(readPhoneList(file, { sheet: 'Fourth' }));
    expect(missing).toMatchObject({ code: 'INPUT_SHEET_NOT_FOUND', file });
    expect(String(missing.message)).toMatch(/no sheet named "Fourth" \(its sheets: "First", "Second Sheet", "Third"\)/);
    expect(await rejection(readPhoneList(file, { sheet: 4 }))).toMatchObject({ code: 'INPUT_SHEET_NOT_FOUND' });
  });

  it('reads a workbook whose xl/workbook.xml comes after its sheets (exceljs writes entries in any order)', async () => {
    const file = dir.path('late-workbook-xml.xlsx');
    await writeFile(file, workbookWithLateWorkbookXml());
    const first = await readAll(file);
    expect(first.layout.sheet).toEqual({ name: 'Alpha', position: 1 });
    expect(first.records.map((record) => record.mobile)).toEqual(['13800138000']);
    const beta = await readAll(file, { sheet: 'Beta' });
    expect(beta.layout).toMatchObject({ sheet: { name: 'Beta', position: 2 }, header: ['手机号'] });
    expect(beta.records.map((record) => record.mobile)).toEqual(['18612345678']);
  });

  it('refuses zip64 archives and encrypted parts as damaged workbooks, naming why', async () => {
    const zip64 = Buffer.from(workbookWithLateWorkbookXml());
    zip64.writeUInt16LE(0xffff, zip64.length - 22 + 10); // the entry count of the end record
    const file = dir.path('zip64.xlsx');
    await writeFile(file, zip64);
    const error = await rejection(readPhoneList(file));
    expect(error).toMatchObject({ code: 'INPUT_BAD_WORKBOOK' });
    expect(String(error.message)).toMatch(/damaged or incomplete \(a zip64 archive/);

    const encrypted = Buffer.from(workbookWithLateWorkbookXml());
    // Flag every entry of the central directory as encrypted.
    for (let at = encrypted.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at !== -1; at = encrypted.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)) {
      encrypted.writeUInt16LE(1, at + 8);
    }
    const locked = dir.path('encrypted.xlsx');
    await writeFile(locked, encrypted);
    expect(String((await rejection(readPhoneList(locked))).message)).toMatch(/is encrypted/);
  });

  it('is recognised by its bytes, whatever its name', async () => {
    const file = await dir.xlsx('really-a-workbook.csv', { S: [['手机'], [13800138000]] });
    expect((await readAll(file)).layout.format).toBe('xlsx');
  });

  it('refuses text-only options, an empty sheet, and a broken workbook', async () => {
    const file = await dir.xlsx('plain.xlsx', { S: [['mobile'], [13800138000]] });
    expect(await rejection(readPhoneList(file, { encoding: 'gbk' }))).toMatchObject({ code: 'INPUT_OPTION_INVALID', option: 'encoding' });
    expect(await rejection(readPhoneList(file, { delimiter: ',' }))).toMatchObject({ code: 'INPUT_OPTION_INVALID', option: 'delimiter' });

    const empty = await dir.xlsx('empty-sheet.xlsx', { Empty: [], Data: [['mobile'], [13800138000]] });
    const emptyError = await rejection(readPhoneList(empty));
    expect(emptyError).toMatchObject({ code: 'INPUT_EMPTY' });
    expect(String(emptyError.message)).toMatch(/sheet "Empty" has no rows/);

    const good = await import('node:fs/promises').then((fs) => fs.readFile(file));
    const broken = dir.path('truncated.xlsx');
    await writeFile(broken, good.subarray(0, Math.floor(good.length / 2)));
    const error = await rejection(readPhoneList(broken));
    expect(error).toMatchObject({ code: 'INPUT_BAD_WORKBOOK', file: broken });
    expect(String(error.message)).toMatch(/damaged or incomplete/);

    // A zip of CSVs is not a workbook. A stored (uncompressed) zip with one entry:
    const zip = dir.path('archive.zip');
    await writeFile(zip, storedZip([['list.csv', 'mobile\n13800138000\n']]));
    const notWorkbook = await rejection(readPhoneList(zip));
    expect(notWorkbook).toMatchObject({ code: 'INPUT_BAD_WORKBOOK' });
    expect(String(notWorkbook.message)).toMatch(/zip archive, not an \.xlsx workbook/);
  });
});

/**
 * A zip archive of the files, in the order given: format detection, and entry orders.
 * Stored, or deflated as Excel does (`deflate`).
 */
function storedZip(entries: [name: string, text: string][], deflate = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const raw = Buffer.from(text);
    const data = deflate ? deflateRawSync(raw) : raw;
    const fileName = Buffer.from(name);
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const centralBytes = centrals.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const RELS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const WORKSHEET = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet';

/** A minimal two-sheet workbook, xl/workbook.xml placed after the sheets. */
function workbookWithLateWorkbookXml(): Buffer {
  const sheet = (header: number, phone: number) =>
    `<worksheet xmlns="${MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>${header}</v></c></row>` +
    `<row r="2"><c r="A2"><v>${phone}</v></c></row></sheetData></worksheet>`;
  return storedZip([
    ['[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'],
    ['xl/_rels/workbook.xml.rels', `<Relationships xmlns="${RELS}"><Relationship Id="rId1" Type="${WORKSHEET}" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${WORKSHEET}" Target="worksheets/sheet2.xml"/></Relationships>`],
    ['xl/sharedStrings.xml', `<sst xmlns="${MAIN}" count="2" uniqueCount="2"><si><t>mobile</t></si><si><t>手机号</t></si></sst>`],
    ['xl/worksheets/sheet1.xml', sheet(0, 13800138000)],
    ['xl/worksheets/sheet2.xml', sheet(1, 18612345678)],
    ['xl/workbook.xml', `<workbook xmlns="${MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Alpha" sheetId="1" r:id="rId1"/><sheet name="Beta" sheetId="2" r:id="rId2"/></sheets></workbook>`],
  ], true);
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('cellText', () => {
  it('writes every kind of cell value as text', () => {
    expect(cellText(null)).toBe('');
    expect(cellText(undefined)).toBe('');
    expect(cellText('x')).toBe('x');
    expect(cellText(13800138000)).toBe('13800138000');
    expect(cellText(1.5)).toBe('1.5');
    expect(cellText(false)).toBe('FALSE');
    expect(cellText(new Date(Date.UTC(2023, 0, 5)))).toBe('2023-01-05');
    expect(cellText({ richText: [{ text: 'a' }, { text: 'b' }] })).toBe('ab');
    expect(cellText({ formula: 'A1', result: 13800138000 })).toBe('13800138000');
    expect(cellText({ sharedFormula: 'A1', result: 'x' })).toBe('x');
    expect(cellText({ formula: 'A1' })).toBe('');
    expect(cellText({ text: 'link', hyperlink: 'http://example.invalid' })).toBe('link');
    expect(cellText({ error: '#N/A' })).toBe('#N/A');
  });

  it('tells date formats and converts day numbers (1900 and 1904 systems)', () => {
    for (const format of ['yyyy-mm-dd', 'm/d/yy', '[$-804]yyyy"年"m"月"d"日"', 'h:mm:ss', 'mmm-yy']) expect(isDateFormat(format)).toBe(true);
    for (const format of ['0', '0.00', '#,##0', '@', 'General', '0.00E+00', '"Day"0']) expect(isDateFormat(format)).toBe(false);
    expect(excelSerialToDate(44931, false).toISOString()).toBe('2023-01-05T00:00:00.000Z');
    expect(excelSerialToDate(43469, true).toISOString()).toBe('2023-01-05T00:00:00.000Z');
  });
});
