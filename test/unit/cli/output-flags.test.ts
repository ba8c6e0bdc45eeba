/**
 * The result-file flags shared by `run` and `result`: --format and --lang (with the
 * format taken from --out's extension when --format is absent), the command that
 * writes a result again after a failed write, and the rubric handed to the export.
 */
import { parseArgs } from 'node:util';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../src/cli/io.js';
import { exportCommand, OUTPUT_FLAGS, OUTPUT_FLAGS_HELP, outputOptionsFrom, writeResultFiles, type PreparedExport } from '../../../src/cli/output-flags.js';
import { DEFAULT_OPTIONS, type Options } from '../../../src/config/options.js';
import { emptyCounters, type BatchView } from '../../../src/engine/batch.js';
import { exportResult } from '../../../src/report/export.js';
import type { OutputOptions } from '../../../src/report/manifest.js';
import { ResultFormatError } from '../../../src/report/result-format.js';
import { ResultWriteError } from '../../../src/report/result-write-error.js';
import { DEFAULT_RUBRIC, DEFAULT_RUBRIC_JSON, parseRubric } from '../../../src/risk/index.js';

vi.mock('../../../src/report/export.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../src/report/export.js')>()),
  exportResult: vi.fn(),
}));

const options = (report: Partial<Options['report']> = {}): Options => ({ ...DEFAULT_OPTIONS, report: { ...DEFAULT_OPTIONS.report, ...report } });

/** The flags as parseArgs gives them for `argv`. */
const flags = (argv: string[]) => parseArgs({ args: argv, options: OUTPUT_FLAGS }).values;

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (err) {
    return err as Error;
  }
  throw new Error('nothing was thrown');
}

describe('--format and --lang', () => {
  it('are output flags, and the help says how a format is chosen and that a finished batch is re-exported without a call', () => {
    expect(flags(['--format', 'xlsx', '--lang', 'en'])).toMatchObject({ format: 'xlsx', lang: 'en' });
    expect(OUTPUT_FLAGS_HELP).toMatch(/--format FORMAT\s+csv, xlsx, jsonl, parquet/);
    expect(OUTPUT_FLAGS_HELP).toContain("--out's extension decides");
    expect(OUTPUT_FLAGS_HELP).toContain('riskscreen result BATCH --format xlsx --out r.xlsx');
    expect(OUTPUT_FLAGS_HELP).toMatch(/--lang zh\|en/);
    expect(OUTPUT_FLAGS_HELP).toContain('r.high.xlsx');
    expect(OUTPUT_FLAGS_HELP).toContain('r.changes.xlsx');
    for (const line of OUTPUT_FLAGS_HELP.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it('take the format from --out when --format is absent, CSV for any other name', () => {
    const format = (out: string, argv: string[] = []) => outputOptionsFrom(flags(argv), options(), out).format;
    expect(format('/x/r.csv')).toBe('csv');
    expect(format('/x/r.xlsx')).toBe('xlsx');
    expect(format('/x/r.jsonl')).toBe('jsonl');
    expect(format('/x/r.ndjson')).toBe('jsonl');
    expect(format('/x/r.parquet')).toBe('parquet');
    expect(format('/x/r.txt')).toBe('csv');
    expect(format('/x/result', ['--format', 'xlsx'])).toBe('xlsx');
    expect(format('/x/r.xlsx', ['--format', 'XLSX'])).toBe('xlsx');
  });

  it('refuse an unknown format listing the formats, and a --format the extension contradicts naming both (usage: exit 2)', () => {
    const unknown = thrown(() => outputOptionsFrom(flags(['--format', 'xls']), options(), '/x/r.out'));
    expect(unknown).toBeInstanceOf(ResultFormatError);
    expect(unknown).toMatchObject({ kind: 'usage', code: 'RISKSCREEN_RESULT_FORMAT' });
    expect(unknown.message).toBe('--format: "xls" is not a result format; use one of csv, xlsx, jsonl, parquet');
    const contradicted = thrown(() => outputOptionsFrom(flags(['--format', 'xlsx']), options(), '/x/r.csv'));
    expect(contradicted).toMatchObject({ kind: 'usage', code: 'RISKSCREEN_RESULT_FORMAT' });
    expect(contradicted.message).toMatch(/r\.csv/);
    expect(contradicted.message).toMatch(/--format is xlsx/);
    expect(contradicted.message).toMatch(/r\.xlsx/);
    expect(thrown(() => outputOptionsFrom(flags([]), options(), '/x/r.xls')).message).toMatch(/^--out: r\.xls: riskscreen writes \.xlsx/);
  });

  it('--lang: zh or en, else RISKSCREEN_LANGUAGE / report.language (zh by default); another is a usage error', () => {
    expect(outputOptionsFrom(flags([]), options(), '/x/r.xlsx').language).toBe('zh');
    expect(outputOptionsFrom(flags([]), options({ language: 'en' }), '/x/r.xlsx').language).toBe('en');
    expect(outputOptionsFrom(flags(['--lang', 'EN']), options(), '/x/r.xlsx').language).toBe('en');
    expect(outputOptionsFrom(flags(['--lang', 'zh']), options({ language: 'en' }), '/x/r.xlsx').language).toBe('zh');
    const bad = thrown(() => outputOptionsFrom(flags(['--lang', 'fr']), options(), '/x/r.xlsx'));
    expect(bad).toBeInstanceOf(UsageError);
    expect(bad.message).toBe('--lang: must be one of zh, en (got "fr")');
  });

  it('keep the other output options as they were', () => {
    expect(outputOptionsFrom(flags(['--out-encoding', 'gb18030', '--mask', '--split']), options(), '/x/r.csv')).toEqual({
      encoding: 'gb18030',
      mask: true,
      split: true,
      compare: null,
      format: 'csv',
      language: 'zh',
    });
  });
});

describe('exportCommand: the command that writes the same files again', () => {
  const output = (over: Partial<OutputOptions> = {}): OutputOptions => ({ encoding: 'utf8-bom', mask: false, split: false, compare: null, format: 'csv', language: 'zh', ...over });

  it('adds --format only when --out does not say it, and always the workbook language or the CSV encoding (the defaults may differ where it is run)', () => {
    expect(exportCommand('b1', '/x/r.csv', output())).toBe('riskscreen result b1 --out /x/r.csv --out-encoding utf8-bom');
    expect(exportCommand('b1', '/x/r.xlsx', output({ format: 'xlsx' }))).toBe('riskscreen result b1 --out /x/r.xlsx --lang zh');
    expect(exportCommand('b1', '/x/result', output({ format: 'xlsx' }))).toBe('riskscreen result b1 --out /x/result --format xlsx --lang zh');
    expect(exportCommand('b1', '/x/r.dat', output({ format: 'parquet', split: true }))).toBe('riskscreen result b1 --out /x/r.dat --format parquet --split');
    expect(exportCommand('b1', '/x/r.xlsx', output({ format: 'xlsx', language: 'en' }))).toBe('riskscreen result b1 --out /x/r.xlsx --lang en');
    expect(exportCommand('b1', '/x/r.csv', output({ encoding: 'gb18030', mask: true }))).toBe('riskscreen result b1 --out /x/r.csv --out-encoding gb18030 --mask');
    // An output recorded before formats: a CSV.
    expect(exportCommand('b1', '/x/r.csv', { encoding: 'utf8-bom', mask: false, split: false, compare: null })).toBe('riskscreen result b1 --out /x/r.csv --out-encoding utf8-bom');
  });
});

describe('writeResultFiles', () => {
  const exported = vi.mocked(exportResult);
  beforeEach(() => {
    exported.mockReset();
  });

  const view = (rubric?: BatchView['options']['rubric']): BatchView => ({
    id: 'b20240501-080000-ab12',
    status: 'done',
    reason: null,
    input: {
      path: '/data/input.csv',
      name: 'list.csv',
      sha256: 'f'.repeat(64),
      bytes: 10,
      fingerprint: { bytes: 10, mtimeMs: 0, ino: 1, sha256: 'f'.repeat(64), rows: 1, layoutKey: 'k' },
    },
    options: { profile: 'standard', apis: ['status'], input: {}, maxCalls: null, rates: {}, ...(rubric ? { rubric } : {}) },
    times: { created: '2024-05-01T08:00:00.000Z' },
    resultPath: '/data/batches/b20240501-080000-ab12/result.csv',
    submittedBy: undefined,
    counts: emptyCounters(),
    errorsByCode: {},
    exhausted: {},
    progressAt: 0,
    holds: {},
    keyChecks: {},
  });
  const prepared = (out: string, over: Partial<OutputOptions> = {}): PreparedExport => ({
    out,
    output: { encoding: 'utf8-bom', mask: false, split: false, compare: null, format: 'xlsx', language: 'en', ...over },
    earlier: null,
    joinKey: () => Buffer.alloc(32),
  });

  it("hands the batch's rubric to the export (a workbook's summary lists its rules), the default one for a batch made before rubrics", async () => {
    const strict = parseRubric({ ...DEFAULT_RUBRIC_JSON, name: 'strict', levels: { medium: 5, high: 20 } }, 'strict.json');
    await writeResultFiles(view(strict), prepared('/x/r.xlsx'));
    expect(exported.mock.calls[0]![0]).toMatchObject({ out: '/x/r.xlsx', rubric: strict, output: { format: 'xlsx', language: 'en' } });
    await writeResultFiles(view(), prepared('/x/r.xlsx'));
    expect(exported.mock.calls[1]![0].rubric).toBe(DEFAULT_RUBRIC);
  });

  it('a refused write names the command that writes it again, with the format when the name does not say it', async () => {
    exported.mockRejectedValue(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    const error = await writeResultFiles(view(), prepared('/x/result', { split: true })).then(
      () => new Error('written'),
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(ResultWriteError);
    expect(error.message).toContain('riskscreen result b20240501-080000-ab12 --out /x/result --format xlsx --lang en --split');
  });
});
