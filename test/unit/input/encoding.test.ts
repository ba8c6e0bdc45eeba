import { describe, expect, it } from 'vitest';
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { InputOptionError } from '../../../src/input/errors.js';
import { readPhoneList } from '../../../src/input/reader.js';
import { completeUtf8Length, firstInvalidUtf8Offset } from '../../../src/input/encoding.js';
import { readAll, rejection, useTempDir } from './fixtures.js';

const ROWS = [
  ['手机号码', '姓名', '备注'],
  ['13800138000', '张三', '北京·朝阳'],
  ['18612345678', '李四', '€ 欧元'],
  ['13312345678', '王五', ''],
];

function csv(rows: string[][], delimiter = ',', eol = '\r\n'): string {
  return rows.map((row) => row.join(delimiter)).join(eol) + eol;
}

describe('encodings, detected from the bytes', () => {
  const dir = useTempDir();

  it.each([
    ['utf-8', false, 'utf-8', 'detected'],
    ['utf-8', true, 'utf-8', 'bom'],
    ['utf-16le', true, 'utf-16le', 'bom'],
    ['utf-16be', true, 'utf-16be', 'bom'],
    ['utf-16le', false, 'utf-16le', 'detected'],
    ['utf-16be', false, 'utf-16be', 'detected'],
    ['gbk', false, 'gb18030', 'detected'],
    ['gb18030', false, 'gb18030', 'detected'],
    ['utf-32le', true, 'utf-32le', 'bom'],
  ])('%s (BOM: %s) reads as %s (%s), fields exact', async (encoding, bom, detected, source) => {
    // Named .txt whatever the encoding: the name decides nothing.
    const file = await dir.text(`list-${encoding}-${bom}.txt`, csv(ROWS), encoding, bom);
    const { layout, records } = await readAll(file);
    expect(layout.encoding).toBe(detected);
    expect(layout.encodingSource).toBe(source);
    expect(layout.header).toEqual(ROWS[0]);
    expect(records.map((record) => record.fields)).toEqual(ROWS.slice(1));
    expect(records.map((record) => record.mobile)).toEqual(['13800138000', '18612345678', '13312345678']);
    expect(records.map((record) => record.line)).toEqual([2, 3, 4]);
  });

  it('reads Excel "Unicode text": UTF-16 LE with BOM, tab-delimited', async () => {
    const file = await dir.text('unicode-text.txt', csv(ROWS, '\t'), 'utf-16le', true);
    const { layout, records } = await readAll(file);
    expect(layout).toMatchObject({ encoding: 'utf-16le', encodingSource: 'bom', delimiter: '\t' });
    expect(records[1]!.fields).toEqual(['18612345678', '李四', '€ 欧元']);
  });

  it('reads GB18030 characters outside GBK (four-byte sequences)', async () => {
    const rows = [['手机号', '姓名'], ['13800138000', '𠀀𪚥'], ['13900139000', '䶮']];
    const file = await dir.text('gb18030-4byte.csv', csv(rows), 'gb18030');
    const { layout, records } = await readAll(file);
    expect(layout.encoding).toBe('gb18030');
    expect(records.map((record) => record.fields)).toEqual(rows.slice(1));
  });

  it('keeps characters whole across read chunks (multi-MiB UTF-8 and GBK files)', async () => {
    const rows = [['手机号', '姓名地址']];
    for (let i = 0; i < 40_000; i++) rows.push([String(13800000000 + i), `客户${i}号·北京市朝阳区建国路${i % 97}号院`]);
    for (const encoding of ['utf-8', 'gbk', 'utf-16le']) {
      const file = await dir.text(`big-${encoding}.csv`, csv(rows), encoding, encoding === 'utf-16le');
      const { records, counts } = await readAll(file);
      expect(counts.rows).toBe(40_000);
      expect(counts.valid).toBe(40_000);
      const broken = records.filter((record, i) => record.fields[1] !== rows[i + 1]![1]);
      expect(broken).toEqual([]);
    }
  });

  it('takes --encoding over detection, and skips that encoding\'s BOM', async () => {
    const gbk = await dir.text('forced-gbk.csv', csv(ROWS), 'gbk');
    const forced = await readAll(gbk, { encoding: 'gbk' });
    expect(forced.layout).toMatchObject({ encoding: 'gbk', encodingSource: 'option' });
    expect(forced.records[0]!.fields).toEqual(ROWS[1]);

    const bom = await dir.text('forced-utf8-bom.csv', csv(ROWS), 'utf-8', true);
    const utf8 = await readAll(bom, { encoding: 'utf-8' });
    expect(utf8.layout.header).toEqual(ROWS[0]);

    const big5 = await dir.text('big5.csv', csv([['電話', '姓名'], ['13800138000', '陳大文']]), 'big5');
    const read = await readAll(big5, { encoding: 'big5' });
    expect(read.records[0]!.fields).toEqual(['13800138000', '陳大文']);
  });

  it('reads GBK that happens to be valid UTF-8 (a few names) as GB18030', async () => {
    // 郑伟 in GBK is D6 A3 CE B0, 谢英 D0 BB D3 A2: both valid UTF-8 (Hebrew, Greek, Cyrillic).
    const text = 'mobile,name\n13800138000,郑伟\n13900139000,谢英\n';
    const bytes = iconv.encode(text, 'gbk');
    expect(isUtf8(bytes)).toBe(true);
    const file = await dir.bytes('gbk-valid-utf8.csv', bytes);
    const { layout, records } = await readAll(file);
    expect(layout).toMatchObject({ encoding: 'gb18030', encodingSource: 'detected', encodingAlternative: null });
    expect(records.map((record) => record.fields[1])).toEqual(['郑伟', '谢英']);
  });

  it('keeps UTF-8 when it reads well: accented names, Chinese, Cyrillic', async () => {
    for (const [name, names] of [
      ['latin', ['José', 'Zoë', 'Ångström']],
      ['chinese', ['郑伟', '阿依古丽·买买提']],
      ['cyrillic', ['Иван', 'Мария']],
    ] as const) {
      const text = `mobile,name\n${names.map((value, i) => `${13800138000 + i},${value}`).join('\n')}\n`;
      const file = await dir.text(`utf8-${name}.csv`, text);
      const { layout, records } = await readAll(file);
      expect(layout).toMatchObject({ encoding: 'utf-8', encodingSource: 'detected', encodingAlternative: null });
      expect(records.map((record) => record.fields[1])).toEqual(names);
    }
  });

  it('keeps UTF-8 when the call is close, and says GB18030 would also read', async () => {
    // "é" alone reads as a common hanzi in GBK (C3 A9); José and Zoë are plausible UTF-8.
    const file = await dir.text('utf8-close.csv', 'mobile,name\n13800138000,José\n18612345678,Zoë\n13312345678,é\n');
    const { layout, records } = await readAll(file);
    expect(layout).toMatchObject({ encoding: 'utf-8', encodingSource: 'detected', encodingAlternative: 'gb18030' });
    expect(records.map((record) => record.mobile)).toEqual(['13800138000', '18612345678', '13312345678']);
  });

  it('refuses --encoding contradicted by the byte order mark', async () => {
    const utf8 = await dir.text('bom-utf8.csv', csv(ROWS), 'utf-8', true);
    const error = await rejection(readPhoneList(utf8, { encoding: 'gbk' }));
    expect(error).toBeInstanceOf(InputOptionError);
    expect(error).toMatchObject({ code: 'INPUT_OPTION_INVALID', option: 'encoding', flag: '--encoding' });
    expect(String(error.message)).toMatch(/^--encoding: the file starts with a UTF-8 byte order mark, so it is not gbk/);
    const utf16 = await dir.text('bom-utf16.csv', csv(ROWS), 'utf-16le', true);
    expect(await rejection(readPhoneList(utf16, { encoding: 'utf-8' }))).toMatchObject({ option: 'encoding' });
    expect(String((await rejection(readPhoneList(utf16, { encoding: 'utf-8' }))).message)).toMatch(/UTF-16 LE byte order mark/);
    // The same encoding, or UTF-16 without a byte order, is fine.
    expect((await readAll(utf16, { encoding: 'utf-16' })).layout.encoding).toBe('utf-16le');
    expect((await readAll(utf16, { encoding: 'utf-16le' })).records[0]!.fields).toEqual(ROWS[1]);
  });

  it('refuses bytes a forced encoding cannot decode, naming the line', async () => {
    const gbk = await dir.text('gbk-forced-utf8.csv', csv([['mobile', 'name'], ['13800138000', 'Li'], ['13900139000', '张三']]), 'gbk');
    const error = await rejection(readPhoneList(gbk, { encoding: 'utf-8' }));
    expect(error).toMatchObject({ code: 'INPUT_UNDECODABLE', line: 3, file: gbk });
    expect(String(error.message)).toBe(`${gbk}:3: bytes on this line cannot be decoded as utf-8 (--encoding utf-8)`);

    const bytes = Buffer.concat([
      iconv.encode('手机号,姓名\n13800138000,张三\n', 'gbk'),
      Buffer.from([0x31, 0x33, 0x39, 0x30, 0x30, 0x31, 0x33, 0x39, 0x30, 0x30, 0x30, 0x2c, 0xff, 0x0a]),
    ]);
    const file = await dir.bytes('bad-gbk.csv', bytes);
    expect(await rejection(readPhoneList(file, { encoding: 'gbk' }))).toMatchObject({ code: 'INPUT_UNDECODABLE', line: 3 });
  });

  it('refuses invalid UTF-8 after a valid first MiB, naming the line and suggesting gb18030', async () => {
    const head = ['手机号,姓名'];
    for (let i = 0; i < 60_000; i++) head.push(`${13800000000 + i},客户`);
    const text = Buffer.from(head.join('\n') + '\n', 'utf-8');
    expect(text.length).toBeGreaterThan(1024 * 1024);
    const file = await dir.bytes('late-gbk.csv', Buffer.concat([text, iconv.encode('13900139000,张三\n', 'gbk')]));
    const reader = await readPhoneList(file);
    expect(reader.layout.encoding).toBe('utf-8');
    const error = await rejection((async () => {
      for await (const record of reader) void record;
    })());
    expect(error).toMatchObject({ code: 'INPUT_UNDECODABLE', line: 60_002 });
    expect(String(error.message)).toMatch(/--encoding gb18030/);
  });

  it('refuses UTF-16 cut in the middle of a character, and unpaired surrogates', async () => {
    const odd = Buffer.concat([iconv.encode('mobile\r\n13800138000\r\n1', 'utf-16le', { addBOM: true }), Buffer.from([0x33])]);
    const oddFile = await dir.bytes('odd.txt', odd);
    const error = await rejection(readPhoneList(oddFile));
    expect(error).toMatchObject({ code: 'INPUT_UNDECODABLE', line: 3 });

    const lone = Buffer.concat([
      iconv.encode('mobile\r\n13800138000\r\n', 'utf-16be', { addBOM: true }),
      Buffer.from([0xd8, 0x3d, 0x00, 0x41, 0x00, 0x0d, 0x00, 0x0a]),
    ]);
    const loneFile = await dir.bytes('lone.txt', lone);
    expect(await rejection(readPhoneList(loneFile))).toMatchObject({ code: 'INPUT_UNDECODABLE', line: 3 });
  });
});

describe('UTF-8 helpers', () => {
  it('finds where a sample cuts a character', () => {
    const bytes = Buffer.from('ab张', 'utf-8');
    expect(completeUtf8Length(bytes)).toBe(5);
    expect(completeUtf8Length(bytes.subarray(0, 4))).toBe(2);
    expect(completeUtf8Length(bytes.subarray(0, 3))).toBe(2);
    expect(completeUtf8Length(Buffer.from('😀', 'utf-8').subarray(0, 3))).toBe(0);
  });

  it('finds the first invalid byte', () => {
    expect(firstInvalidUtf8Offset(Buffer.from('abc张三', 'utf-8'))).toBe(-1);
    expect(firstInvalidUtf8Offset(Buffer.from([0x61, 0xff, 0x62]))).toBe(1);
    expect(firstInvalidUtf8Offset(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong
    expect(firstInvalidUtf8Offset(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(firstInvalidUtf8Offset(Buffer.from([0x61, 0xe5, 0xbc]))).toBe(1); // cut short
  });
});
