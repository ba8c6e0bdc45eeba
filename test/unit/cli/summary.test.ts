/**
 * The summary `run` and `result` print once the files are written (and `status` prints
 * at any time): every path, and for a workbook whose rows run past one Excel sheet, the
 * sheets they continue on; the plan, and the calls staging saved by API.
 */
import { describe, expect, it } from 'vitest';
import { summaryText } from '../../../src/cli/summary.js';
import { emptyCounters, type BatchView, type Counters } from '../../../src/engine/batch.js';
import type { Exported } from '../../../src/report/export.js';
import type { ManifestFile, ResultManifest } from '../../../src/report/manifest.js';

const view = {
  id: 'b20240501-080000-ab12',
  status: 'done',
  reason: null,
  options: { profile: 'standard', apis: ['status', 'tenure', 'resale', 'callDuration'], input: {}, maxCalls: null, rates: {}, plan: 'all' },
  counts: emptyCounters(),
  errorsByCode: {},
  exhausted: {},
} as unknown as BatchView;

const zeroByLevel = { low: 0, medium: 0, high: 0, unscored: 0 };
const rows = {
  total: 2_000_000,
  by_status: { screened: 2_000_000, partial: 0, not_screened: 0, invalid: 0 },
  by_level: { ...zeroByLevel, low: 2_000_000 },
  by_status_and_level: {
    screened: { ...zeroByLevel, low: 2_000_000 },
    partial: zeroByLevel,
    not_screened: zeroByLevel,
    invalid: zeroByLevel,
  },
};

function exported(result: ManifestFile, levels: Record<string, ManifestFile> = {}): Exported {
  const manifest = { rows, result: { ...result, encoding: 'utf8-bom', masked: false }, files: { levels } } as unknown as ResultManifest;
  const paths = [result, ...Object.values(levels)].map((file) => `/x/${file.file}`);
  return { manifest, manifestPath: '/x/r.xlsx.manifest.json', paths: [...paths, '/x/r.xlsx.manifest.json'], warnings: [] };
}

describe('summaryText: the files written', () => {
  it('lists every file; a workbook on one sheet needs no note', () => {
    const text = summaryText(view, '/x/r.xlsx', exported({ file: 'r.xlsx', rows: 10, bytes: 1, sha256: '', sheets: [{ name: '结果', rows: 10 }] }));
    expect(text).toMatch(/files written\n {4}\/x\/r\.xlsx\n {4}\/x\/r\.xlsx\.manifest\.json\n/);
    expect(text).not.toMatch(/sheets/);
  });

  it('says where the rows continue when a workbook needed more than one sheet, for the result and a level file', () => {
    const sheets = [
      { name: '结果', rows: 1_048_575 },
      { name: '结果 2', rows: 951_425 },
    ];
    const text = summaryText(
      view,
      '/x/r.xlsx',
      exported({ file: 'r.xlsx', rows: 2_000_000, bytes: 1, sha256: '', sheets }, { low: { file: 'r.low.xlsx', rows: 2_000_000, bytes: 1, sha256: '', sheets } }),
    );
    const note = 'rows continue over 2 sheets (Excel holds 1,048,575 a sheet): 结果 1,048,575, 结果 2 951,425';
    expect(text).toContain(`    /x/r.xlsx\n      ${note}\n`);
    expect(text).toContain(`    /x/r.low.xlsx\n      ${note}\n`);
    expect(text).toContain('    /x/r.xlsx.manifest.json\n');
  });

  it('a CSV result reads as before', () => {
    const text = summaryText(view, '/x/r.csv', exported({ file: 'r.csv', rows: 10, bytes: 1, sha256: '' }));
    expect(text).toContain('files written\n    /x/r.csv\n');
  });
});

describe('summaryText: the plan and the calls staging saved', () => {
  const staged = (counts: Partial<Counters>, plan?: 'staged' | 'all') =>
    ({ ...view, options: { ...view.options, plan }, counts: { ...emptyCounters(), ...counts } }) as BatchView;

  it('under staged: the questions decided, and the calls saved with each API that saved any', () => {
    const text = summaryText(
      staged(
        {
          tasks: 400,
          answered: 350,
          decided: 50,
          billed: 350,
          'decided.tenure': 20,
          'decided.resale': 18,
          'decided.callDuration': 12,
        },
        'staged',
      ),
      null,
    );
    expect(text).toContain('  questions             400   answered 350, no record 0, failed 0, skipped 0, decided 50\n');
    expect(text).toContain('  billed calls          350   from cache 0\n');
    expect(text).toContain('  plan               staged   saved 50 calls (tenure 20, resale 18, callDuration 12): not asked, line status had decided the level\n');
  });

  it('under staged with nothing decided (yet): saved no call, and says why', () => {
    expect(summaryText(staged({ tasks: 10, answered: 4 }, 'staged'), null)).toContain('  plan               staged   saved no call: no line status answer decided a level (or the rubric lets none)\n');
  });

  it('under all, and for a batch made before plans: all, and no decided count', () => {
    for (const plan of ['all', undefined] as const) {
      const text = summaryText(staged({ tasks: 10, answered: 10, billed: 10 }, plan), null);
      expect(text).toContain('  plan                  all   every API asked at once\n');
      expect(text).toContain('skipped 0\n');
      expect(text).not.toContain('decided');
    }
  });
});
