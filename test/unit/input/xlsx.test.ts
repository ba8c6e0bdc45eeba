import { writeFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readPhoneList } from '../../../src/input/reader.js';
import { cellText } from '../../../src/input/xlsx.js';
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
    await writeFile(zip, storedZip('list.csv', 'mobile\n13800138000\n'));
    const notWorkbook = await rejection(readPhoneList(zip));
    expect(notWorkbook).toMatchObject({ code: 'INPUT_BAD_WORKBOOK' });
    expect(String(notWorkbook.message)).toMatch(/zip archive, not an \.xlsx workbook/);
  });
});

/** A zip archive holding one uncompressed file: enough to test format detection. */
function storedZip(name: string, text: string): Buffer {
  const data = Buffer.from(text);
  const fileName = Buffer.from(name);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(local.length + fileName.length + data.length, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
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
});
