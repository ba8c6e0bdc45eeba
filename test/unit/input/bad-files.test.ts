import { mkdir, truncate, writeFile } from 'node:fs/promises';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeOf } from '../../../src/cli/exit-codes.js';
import { InputFileError } from '../../../src/input/errors.js';
import { readPhoneList, scanPhoneList } from '../../../src/input/reader.js';
import { rejection, useTempDir } from './fixtures.js';

describe('bad files: a clear error naming the file, the line and the problem', () => {
  const dir = useTempDir();

  async function expectError(file: string, code: string, line: number | undefined, message: RegExp, options = {}) {
    const error = await rejection(scanPhoneList(file, options));
    expect(error).toBeInstanceOf(InputFileError);
    // The command line prints errors that carry their exit code as one plain line.
    expect(exitCodeOf(error)).toBe(EXIT.input);
    expect(error).toMatchObject({ code, file, line });
    const prefix = line === undefined ? `${file}: ` : `${file}:${line}: `;
    expect(String(error.message).startsWith(prefix)).toBe(true);
    expect(String(error.message)).toMatch(message);
  }

  it('a missing file, a directory', async () => {
    await expectError(dir.path('nope.csv'), 'INPUT_NOT_FOUND', undefined, /no such file/);
    const folder = dir.path('a-folder');
    await mkdir(folder);
    await expectError(folder, 'INPUT_UNREADABLE', undefined, /a directory/);
  });

  it('empty files: no bytes, only a BOM, only blank lines', async () => {
    await expectError(await dir.bytes('zero.csv', new Uint8Array()), 'INPUT_EMPTY', undefined, /empty \(0 bytes\)/);
    await expectError(await dir.text('bom-only.csv', '', 'utf-8', true), 'INPUT_EMPTY', undefined, /no rows/);
    await expectError(await dir.text('bom-only-16.txt', '', 'utf-16le', true), 'INPUT_EMPTY', undefined, /no rows/);
    await expectError(await dir.text('blank.csv', '\r\n  \r\n,,,\r\n\t\n'), 'INPUT_EMPTY', undefined, /only blank lines/);
  });

  it('a header with no rows under it', async () => {
    await expectError(await dir.text('header-only.csv', '\n手机号,姓名\r\n\r\n'), 'INPUT_HEADER_ONLY', 2, /header row and no data rows/);
    await expectError(await dir.xlsx('header-only.xlsx', { S: [['mobile', 'name']] }), 'INPUT_HEADER_ONLY', 1, /no data rows/);
  });

  it('binary files: NUL bytes, control bytes, an old .xls, a PDF, a NUL deep in a text file', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x01, 0x00]);
    // CR LF, then LF: the first NUL is on line 3.
    await expectError(await dir.bytes('image.csv', png), 'INPUT_BINARY', 3, /binary file/);
    const controls = Buffer.from(Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? 0x01 : 0x41)));
    await expectError(await dir.bytes('controls.txt', controls), 'INPUT_BINARY', undefined, /control bytes/);
    const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512, 1)]);
    await expectError(await dir.bytes('old.xls', xls), 'INPUT_BINARY', undefined, /old Excel \.xls/);
    await expectError(await dir.bytes('doc.csv', Buffer.from('%PDF-1.7\n...')), 'INPUT_BINARY', undefined, /PDF/);

    const lines = ['mobile'];
    for (let i = 0; i < 100_000; i++) lines.push(String(13800000000 + i));
    const text = Buffer.from(lines.join('\n') + '\n');
    expect(text.length).toBeGreaterThan(1024 * 1024);
    const late = await dir.bytes('late-nul.csv', Buffer.concat([text, Buffer.from('139\u0000001\n')]));
    await expectError(late, 'INPUT_BINARY', 100_002, /NUL byte/);
  });

  it('undecodable bytes in a forced encoding', async () => {
    const file = await dir.bytes('gbk.csv', iconv.encode('mobile,name\n13800138000,Li\n13900139000,张三\n', 'gbk'));
    await expectError(file, 'INPUT_UNDECODABLE', 3, /cannot be decoded as utf-8 \(--encoding utf-8\)/, { encoding: 'utf-8' });
  });

  it('an unclosed quote, at the line of the row where it opens', async () => {
    await expectError(
      await dir.text('unclosed.csv', 'mobile,name\n13800138000,Wang\n18612345678,"Li\n13312345678,Zhao\n'),
      'INPUT_UNCLOSED_QUOTE',
      3,
      /never closed/,
    );
    // Left open early in a big file: stopped at the line limit, not read to the end into memory.
    const rows = ['mobile,name', '13800138000,"open'];
    for (let i = 0; i < 5000; i++) rows.push(`${13900000000 + i},name`);
    await expectError(await dir.text('runaway.csv', rows.join('\n')), 'INPUT_UNCLOSED_QUOTE', 2, /runs on past 1 KiB/, {
      maxLineBytes: 1024,
    });
  });

  it('a file over the size limit, checked before reading: 200 MiB by default', async () => {
    const huge = dir.path('huge.csv');
    await writeFile(huge, 'mobile\n13800138000\n');
    await truncate(huge, 200 * 1024 * 1024 + 1); // sparse: costs no disk
    await expectError(huge, 'INPUT_TOO_LARGE', undefined, /201 MiB|200\.0 MiB|over the limit of 200 MiB/);
    const small = await dir.text('small.csv', 'mobile\n13800138000\n');
    await expectError(small, 'INPUT_TOO_LARGE', undefined, /over the limit of 10 bytes/, { maxFileBytes: 10 });
  });

  it('a line over the line limit: 1 MiB by default, also in a file with no line ends at all', async () => {
    const long = await dir.text('long-line.csv', `mobile,note\n13800138000,short\n18612345678,${'x'.repeat(1024 * 1024)}\n`);
    await expectError(long, 'INPUT_LINE_TOO_LONG', 3, /longer than 1 MiB/);
    const endless = await dir.text('no-line-ends.txt', '1'.repeat(3 * 1024 * 1024));
    await expectError(endless, 'INPUT_LINE_TOO_LONG', 1, /longer than 1 MiB/);
    const wide = await dir.text('wide-chars.csv', `mobile,note\n13800138000,${'张'.repeat(400)}\n`);
    await expectError(wide, 'INPUT_LINE_TOO_LONG', 2, /longer than 1 KiB/, { maxLineBytes: 1024 });
  });

  it('no phone column, by name or by content', async () => {
    await expectError(await dir.text('no-phone.csv', 'name,city\nWang,Beijing\nLi,Shanghai\n'), 'INPUT_NO_PHONE_COLUMN', undefined, /no phone column found.*--column/);
    await expectError(await dir.text('landlines.csv', '座机\n010-12345678\n021-87654321\n'), 'INPUT_NO_PHONE_COLUMN', undefined, /no phone column found/);
    await expectError(await dir.text('named-nothing.csv', 'mobile_backup_note,x\nnone,1\nnone,2\n'), 'INPUT_NO_PHONE_COLUMN', undefined, /no phone column found/, { header: 'no' });
  });

  it('errors late in a file come from the pre-flight scan, before anything is queued', async () => {
    const rows = ['mobile,name'];
    for (let i = 0; i < 5000; i++) rows.push(`${13900000000 + i},name${i}`);
    rows.push('13800138000,"never closed');
    const file = await dir.text('late-error.csv', rows.join('\n'));
    // The layout is fine: a reader opens...
    const reader = await readPhoneList(file);
    expect(reader.layout.phoneColumn.name).toBe('mobile');
    await reader.close();
    // ...but the scan reads to the end and refuses the file.
    await expectError(file, 'INPUT_UNCLOSED_QUOTE', 5002, /never closed/);
  });
});
