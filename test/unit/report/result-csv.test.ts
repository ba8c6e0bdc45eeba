import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFormulaRisk } from '../../../src/report/csv-safety.js';
import { openResultCsv } from '../../../src/report/result-csv.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('openResultCsv', () => {
  it('utf8-bom: a byte order mark, then header and rows with CRLF line ends', async () => {
    const path = join(dir, 'result.csv');
    const file = await openResultCsv(path, ['name', 'mobile'], 'utf8-bom');
    await file.writeRows([['张三', '13800001111']]);
    await file.writeRows([['李四', '13900002222'], ['王五', '']]);
    await file.commit();
    const bytes = await readFile(path);
    expect(bytes.subarray(0, 3)).toEqual(BOM);
    expect(bytes.subarray(3).toString('utf8')).toBe('name,mobile\r\n张三,13800001111\r\n李四,13900002222\r\n王五,\r\n');
  });

  it('utf8: no byte order mark, same text', async () => {
    const path = join(dir, 'result.csv');
    const file = await openResultCsv(path, ['name', 'mobile'], 'utf8');
    await file.writeRows([['张三', '13800001111']]);
    await file.commit();
    const bytes = await readFile(path);
    expect(bytes[0]).toBe('n'.charCodeAt(0));
    expect(bytes.toString('utf8')).toBe('name,mobile\r\n张三,13800001111\r\n');
  });

  it('gb18030: GB18030 bytes, no byte order mark, decoding to the same text', async () => {
    const path = join(dir, 'result.csv');
    const file = await openResultCsv(path, ['姓名', 'mobile'], 'gb18030');
    await file.writeRows([['张三', '13800001111'], ['𠮷野家', '13900002222']]);
    await file.commit();
    const bytes = await readFile(path);
    expect(bytes.subarray(0, 3)).not.toEqual(BOM);
    expect(bytes.includes(iconv.encode('张三', 'gb18030'))).toBe(true);
    expect(bytes.includes(Buffer.from('张三', 'utf8'))).toBe(false);
    expect(iconv.decode(bytes, 'gb18030')).toBe('姓名,mobile\r\n张三,13800001111\r\n𠮷野家,13900002222\r\n');
  });

  it('neutralizes every cell, header cells included, and quotes what CSV needs quoted', async () => {
    const path = join(dir, 'result.csv');
    const header = ['=cmd', 'name', '+x'];
    const rows = [
      ['@SUM(A1)', '=HYPERLINK("http://x","y")', '-5'],
      ['\t=1', '\r=2', '+8613800138000'],
      ['a,b', 'line\nbreak', '-0.25'],
    ];
    const file = await openResultCsv(path, header, 'utf8-bom');
    await file.writeRows(rows);
    await file.commit();
    const text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
    expect(text.startsWith("'=cmd,name,'+x\r\n")).toBe(true);
    expect(text).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    const parsed = parse(text, { relax_column_count: true }) as string[][];
    expect(parsed).toEqual([
      ["'=cmd", 'name', "'+x"],
      ["'@SUM(A1)", `'=HYPERLINK("http://x","y")`, '-5'],
      ["'\t=1", "'\r=2", '+8613800138000'],
      ['a,b', 'line\nbreak', '-0.25'],
    ]);
    for (const cell of parsed.flat()) expect(isFormulaRisk(cell), JSON.stringify(cell)).toBe(false);
  });

  it("keeps a cell that already starts with ' and a trigger apart from the neutralized one (one more quote)", async () => {
    const path = join(dir, 'result.csv');
    const file = await openResultCsv(path, ['a'], 'utf8');
    await file.writeRows([["'=1+1"], ['=1+1']]);
    await file.commit();
    expect(await readFile(path, 'utf8')).toBe("a\r\n''=1+1\r\n'=1+1\r\n");
  });

  it.each(['utf8-bom', 'utf8', 'gb18030'] as const)('%s: commit returns the rows, bytes and sha256 of the file on disk', async (encoding) => {
    const path = join(dir, 'result.csv');
    const file = await openResultCsv(path, ['姓名', 'mobile', 'note'], encoding);
    await file.writeRows([['张三', '13800001111', '=1+1']]);
    await file.writeRows([]);
    await file.writeRows([['李四', '13900002222', 'x'], ['王五', '', 'y, z']]);
    const written = await file.commit();
    const bytes = await readFile(path);
    expect(written).toEqual({ path, name: 'result.csv', rows: 3, bytes: bytes.length, sha256: sha256(bytes) });
    expect(await readdir(dir)).toEqual(['result.csv']);
  });

  it('a header-only file has 0 rows', async () => {
    const path = join(dir, 'empty.csv');
    const file = await openResultCsv(path, ['a', 'b'], 'utf8-bom');
    const written = await file.commit();
    const bytes = await readFile(path);
    expect(written.rows).toBe(0);
    expect(written.bytes).toBe(bytes.length);
    expect(written.sha256).toBe(sha256(bytes));
    expect(bytes.subarray(3).toString('utf8')).toBe('a,b\r\n');
  });

  it('abort leaves no file and no temporary file; an existing file stays as it was', async () => {
    const path = join(dir, 'result.csv');
    const file = await openResultCsv(path, ['a', 'b'], 'utf8-bom');
    await file.writeRows([['1', '2']]);
    expect((await readdir(dir)).some((name) => name.endsWith('.tmp'))).toBe(true);
    await file.abort();
    expect(await readdir(dir)).toEqual([]);

    await writeFile(path, 'old');
    const again = await openResultCsv(path, ['a'], 'gb18030');
    await again.writeRows([['x']]);
    await again.abort();
    expect(await readdir(dir)).toEqual(['result.csv']);
    expect(await readFile(path, 'utf8')).toBe('old');
  });
});

describe('openResultCsv: line breaks inside cells', () => {
  it('quotes a cell with a lone LF or CR, so a reader that does not guess CRLF still sees one row per record', async () => {
    const path = join(dir, 'result.csv');
    const file = await openResultCsv(path, ['note', 'x'], 'utf8');
    await file.writeRows([['line one\nline two', 'a'], ['old mac\rline', 'b'], ['plain', 'c']]);
    await file.commit();
    const text = await readFile(path, 'utf8');
    expect(text).toBe('note,x\r\n"line one\nline two",a\r\n"old mac\rline",b\r\nplain,c\r\n');
    // Read back with LF as the record delimiter (as a naive reader would): still three rows of two cells.
    const rows = parse(text.replace(/\r\n/g, '\n'), { record_delimiter: '\n' }) as string[][];
    expect(rows.map((row) => row.length)).toEqual([2, 2, 2, 2]);
  });
});
