import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KnownNumbersError, loadKnownNumbers, parseNumberBytes, parseNumbersBody } from '../../../src/emulator/known-numbers.js';
import { EmulatorFileError, EmulatorOptionError } from '../../../src/emulator/options.js';

const dir = mkdtempSync(join(tmpdir(), 'riskscreen-known-numbers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('known numbers', () => {
  it('reads one number a line from a file, as doubles, tolerating a BOM, CRLF, blanks and empty lines', async () => {
    const file = join(dir, 'numbers.txt');
    writeFileSync(file, '\uFEFF13800138000\r\n\n  18912345678 \r\n\t13012345678');
    expect([...(await loadKnownNumbers(file))]).toEqual([13800138000, 18912345678, 13012345678]);
    expect([...parseNumberBytes(Buffer.from(''))]).toEqual([]);
    const many = Array.from({ length: 50_000 }, (_, i) => String(13_800_000_000 + i)).join('\n');
    expect(parseNumberBytes(Buffer.from(many)).length).toBe(50_000);
  });

  it.each([
    ['13800138000\n1380013800\n', /line 2: "138\*\*\*\*3800" is not an allocated/],
    ['13800138000\n10012345678\n', /line 2: "100\*\*\*\*5678" is not an allocated/],
    ['138 0013 8000\n', /line 1/],
    ['13800138000,18912345678\n', /line 1/],
    ['phone\n13800138000\n', /line 1: "\*\*\*\*\*"/],
    ['138001380001\n', /line 1/],
  ])('refuses a file with %j, naming --numbers and the line', async (text, message) => {
    const file = join(dir, 'bad.txt');
    writeFileSync(file, text);
    const err = await loadKnownNumbers(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmulatorFileError);
    expect((err as EmulatorFileError).option).toBe('--numbers');
    expect((err as Error).message).toMatch(message);
  });

  it('names the file it cannot read', async () => {
    const err = await loadKnownNumbers(join(dir, 'missing.txt')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmulatorFileError);
    expect((err as Error).message).toMatch(/^--numbers: cannot read .*missing\.txt \(ENOENT\)/);
  });

  it('checks an array given in code', async () => {
    expect([...(await loadKnownNumbers(['13800138000']))]).toEqual([13800138000]);
    const err = await loadKnownNumbers(['13800138000', 'x']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmulatorOptionError);
    expect((err as Error).message).toBe('--numbers: knownNumbers index 1: "*" is not an allocated 11-digit mobile number');
  });

  it('reads a POST body as a JSON array or one number a line', () => {
    expect(parseNumbersBody('["13800138000", 18912345678]')).toEqual(['13800138000', '18912345678']);
    expect(parseNumbersBody('13800138000\r\n18912345678\n')).toEqual(['13800138000', '18912345678']);
    expect(() => parseNumbersBody('[1, 2')).toThrow(KnownNumbersError);
    expect(() => parseNumbersBody('{"numbers": []}')).toThrow(/line 1/);
    expect(() => parseNumbersBody('["13800138000", null]')).toThrow(/index 1: null/);
  });
});
