import { describe, expect, it } from 'vitest';
import { chooseFormat, formatOfPath, RESULT_FORMATS, resultFormat, ResultFormatError, siblingPath, stemOf } from '../../../src/report/result-format.js';

describe('choosing a result format', () => {
  it('takes it from --out when --format is absent, CSV for a name with no format extension', () => {
    expect(chooseFormat('/x/r.csv', undefined)).toBe('csv');
    expect(chooseFormat('/x/r.XLSX', undefined)).toBe('xlsx');
    expect(chooseFormat('/x/r.jsonl', undefined)).toBe('jsonl');
    expect(chooseFormat('/x/r.ndjson', undefined)).toBe('jsonl');
    expect(chooseFormat('/x/r.parquet', undefined)).toBe('parquet');
    expect(chooseFormat('/x/r.txt', undefined)).toBe('csv');
    expect(chooseFormat('/x/result', undefined)).toBe('csv');
  });

  it('lets --format name it for a name without a format extension', () => {
    expect(chooseFormat('/x/result', 'xlsx')).toBe('xlsx');
    expect(chooseFormat('/x/r.dat', 'Parquet')).toBe('parquet');
    expect(chooseFormat('/x/r.xlsx', 'xlsx')).toBe('xlsx');
  });

  it('refuses an unknown format, listing the formats, with a stable code and the usage kind (exit 2)', () => {
    const error = (() => {
      try {
        chooseFormat('/x/r.out', 'xls');
      } catch (err) {
        return err as ResultFormatError;
      }
      throw new Error('no error');
    })();
    expect(error).toBeInstanceOf(ResultFormatError);
    expect(error.code).toBe('RISKSCREEN_RESULT_FORMAT');
    expect(error.kind).toBe('usage');
    expect(error.message).toBe('--format: "xls" is not a result format; use one of csv, xlsx, jsonl, parquet');
    expect(() => resultFormat('format', '')).toThrow(/^format: "" is not a result format/);
  });

  it('refuses --format against an --out extension naming another format, suggesting the name', () => {
    expect(() => chooseFormat('/x/r.csv', 'xlsx')).toThrow('--out: r.csv ends in .csv, which is csv, but --format is xlsx; name the file r.xlsx or drop --format');
  });

  it('refuses the look-alikes instead of writing a CSV under their name', () => {
    expect(() => chooseFormat('/x/r.xls', undefined)).toThrow(/--out: r\.xls: riskscreen writes \.xlsx/);
    expect(() => chooseFormat('/x/r.json', undefined)).toThrow(/JSON Lines/);
    // Whatever --format says: a file named .xls or .json is not what it claims to be.
    expect(() => chooseFormat('/x/r.json', 'jsonl')).toThrow(/--out: r\.json: the JSON format is JSON Lines/);
    expect(() => chooseFormat('/x/r.xls', 'xlsx')).toThrow(/--out: r\.xls/);
  });

  it('names the level and changes files in the result format', () => {
    expect(siblingPath('/x/r.csv', 'high')).toBe('/x/r.high.csv');
    expect(siblingPath('/x/r.xlsx', 'changes')).toBe('/x/r.changes.xlsx');
    expect(siblingPath('/x/r.parquet', 'low')).toBe('/x/r.low.parquet');
    expect(siblingPath('/x/r.ndjson', 'low')).toBe('/x/r.low.ndjson');
    expect(siblingPath('/x/r.ndjson', 'low', 'xlsx')).toBe('/x/r.low.xlsx');
    expect(siblingPath('/x/r.txt', 'high')).toBe('/x/r.txt.high.csv');
    expect(siblingPath('/x/result', 'high', 'xlsx')).toBe('/x/result.high.xlsx');
    expect(stemOf('/x/a.b.xlsx')).toBe('a.b');
  });

  it('knows every format by an extension', () => {
    for (const format of RESULT_FORMATS) expect(formatOfPath(`r.${format === 'xlsx' ? 'xlsx' : format}`)).toBe(format);
  });
});
