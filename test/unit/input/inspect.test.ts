import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { runInspectCommand } from '../../../src/cli/inspect.js';
import { main } from '../../../src/cli/main.js';
import { useTempDir } from './fixtures.js';

function capture(): { io: { stdout: Writable; stderr: Writable }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  return {
    io: { stdout: sink((text) => (out += text)), stderr: sink((text) => (err += text)) },
    out: () => out,
    err: () => err,
  };
}

/** Through `main`, which prints a failure and picks its exit code as for a user. */
async function inspect(argv: string[]) {
  const { io, out, err } = capture();
  const code = await main(['inspect', ...argv], io);
  return { code, stdout: out(), stderr: err() };
}

const LIST = [
  '手机号,姓名,注册日期',
  '13800138000,张三,2023-01-05',
  '138 0013 8000,重复,',
  '1.38001E+10,科学,bad',
  ',空,',
  '13912345678999,长,',
  '19212345678,广电,2023/2/3',
  '',
].join('\r\n');

describe('riskscreen inspect', () => {
  const dir = useTempDir();

  it('prints what was detected, the counts and the first invalid rows, numbers masked', async () => {
    const file = await dir.text('list.csv', LIST, 'gbk');
    const { code, stdout, stderr } = await inspect([file]);
    expect(code).toBe(EXIT.ok);
    expect(stderr).toBe('');
    expect(stdout).toContain('encoding      gb18030 (detected)');
    expect(stdout).toContain('delimiter     comma (detected)');
    expect(stdout).toContain('header        line 1: 手机号 | 姓名 | 注册日期 (detected)');
    expect(stdout).toContain('phone column  1 "手机号" (by name)');
    expect(stdout).toContain('date column   3 "注册日期" (by name)');
    expect(stdout).toMatch(/rows\s+6\n/);
    expect(stdout).toMatch(/valid\s+3  unique 2, duplicates 1/);
    expect(stdout).toMatch(/invalid\s+3\n/);
    expect(stdout).toMatch(/scientific_notation\s+1  Excel scientific notation/);
    expect(stdout).toMatch(/too_long\s+1  more than 11 digits/);
    expect(stdout).toMatch(/cmcc China Mobile\s+1/);
    expect(stdout).toMatch(/cbn China Broadnet\s+1/);
    expect(stdout).toMatch(/line 6\s+139\*\*\*\*8999\s+too_long/);
    expect(stdout).toMatch(/line 5\s+\(empty\)\s+empty/);
    expect(stdout).toContain('first date warnings on lines 4');
    // No whole number of a refused or accepted row is printed.
    expect(stdout).not.toContain('13912345678999');
    expect(stdout).not.toContain('13800138000');
  });

  it('prints JSON with --json, and passes the options through', async () => {
    const file = await dir.text('list.txt', LIST.replace(/,/g, '\t'), 'utf-16le', true);
    const { code, stdout } = await inspect([file, '--json', '--since', '2022-12-01', '--column', '1']);
    expect(code).toBe(EXIT.ok);
    const report = JSON.parse(stdout);
    expect(report.layout).toMatchObject({
      encoding: 'utf-16le',
      encodingSource: 'bom',
      delimiter: '\t',
      phoneColumn: { index: 0, source: 'option' },
      since: '20221201',
    });
    expect(report.counts).toMatchObject({ rows: 6, valid: 3, invalid: 3, unique: 2, duplicates: 1 });
    expect(report.firstInvalid).toEqual([
      { index: 2, line: 4, value: '1.3****E+10', reason: 'scientific_notation' },
      { index: 3, line: 5, value: '(empty)', reason: 'empty' },
      { index: 4, line: 6, value: '139****8999', reason: 'too_long' },
    ]);
    expect(report.firstDateWarnings).toEqual([{ index: 2, line: 4 }]);
  });

  it('masks numbers in the header it prints, as text and as JSON', async () => {
    const file = await dir.text('numbers-header.csv', '13900139000,张三\n13800138000,李四\n');
    const text = await inspect([file, '--header', 'yes', '--column', '1']);
    expect(text.code).toBe(EXIT.ok);
    expect(text.stdout).toContain('header        line 1: 139****9000 | 张三 (from the option)');
    expect(text.stdout).toContain('phone column  1 "139****9000" (from the option)');
    expect(text.stdout).not.toContain('13900139000');
    const json = await inspect([file, '--header', 'yes', '--column', '1', '--json']);
    const report = JSON.parse(json.stdout);
    expect(report.layout.header).toEqual(['139****9000', '张三']);
    expect(report.layout.phoneColumn).toEqual({ index: 0, name: '139****9000', source: 'option' });
    expect(json.stdout).not.toContain('13900139000');
    expect(report.fingerprint).toMatchObject({ rows: 1, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('warns, and exits 0, when no row has a valid mobile number', async () => {
    const file = await dir.text('no-valid.csv', '手机号,姓名\n1.38001E+10,张三\n,李四\n');
    const { code, stdout, stderr } = await inspect([file]);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/valid\s+0/);
    expect(stderr).toBe(
      `riskscreen: warning: ${file}: no row has a valid mobile number: nothing would be screened (phone column 1 "手机号" (by name); pass --column to choose another)\n`,
    );
    const json = JSON.parse((await inspect([file, '--json'])).stdout);
    expect(json.warnings).toHaveLength(1);
  });

  it('reports a bad file in one line naming file and line, no stack trace, exit 3', async () => {
    const file = await dir.text('unclosed.csv', 'mobile,name\n13800138000,"open\n');
    const { code, stdout, stderr } = await inspect([file]);
    expect(code).toBe(EXIT.input);
    expect(stdout).toBe('');
    expect(stderr).toBe(`riskscreen: ${file}:2: a quoted field in the row starting on this line is never closed (a missing closing ")\n`);

    const missing = await inspect([dir.path('missing.csv')]);
    expect(missing.code).toBe(EXIT.input);
    expect(missing.stderr).toBe(`riskscreen: ${dir.path('missing.csv')}: no such file\n`);
  });

  it('answers a bad command line or option with exit 2', async () => {
    const file = await dir.text('ok.csv', 'mobile\n13800138000\n');
    const none = await inspect([]);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toBe('riskscreen inspect: which file? Give the path of a phone list (see riskscreen inspect --help)\n');
    expect((await inspect([file, file])).code).toBe(EXIT.usage);
    const unknown = await inspect([file, '--colum', 'x']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toMatch(/Unknown option '--colum'/);
    const since = await inspect([file, '--since', '2023-02-30']);
    expect(since.code).toBe(EXIT.usage);
    expect(since.stderr).toBe('riskscreen: --since: "2023-02-30" is not a date (expected YYYYMMDD, YYYY-MM-DD or YYYY/M/D)\n');
    const sheet = await inspect([file, '--sheet', '2']);
    expect(sheet.code).toBe(EXIT.usage);
    expect(sheet.stderr).toMatch(/^riskscreen: --sheet: applies to \.xlsx workbooks only/);
  });

  it('throws an unexpected error for the main command to report (stack only with --debug)', async () => {
    const { io, err } = capture();
    await expect(runInspectCommand(['bad\u0000path.csv'], io)).rejects.toThrow(TypeError);
    expect(err()).toBe('');
  });

  it('has a real --help', async () => {
    const { code, stdout } = await inspect(['--help']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/^Usage: riskscreen inspect \[options\] <file \| batch>/);
    for (const option of ['--encoding', '--column', '--date-column', '--since', '--sheet', '--json']) expect(stdout).toContain(option);
    expect(stdout).toMatch(/3\s+the file cannot be read as a phone list/);
  });
});
