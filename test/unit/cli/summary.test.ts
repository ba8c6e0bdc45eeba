/**
 * The summary `run` and `result` print once the files are written: every path, and for
 * a workbook whose rows run past one Excel sheet, the sheets they continue on.
 */
import { describe, expect, it } from 'vitest';
import { summaryText } from '../../../src/cli/summary.js';
import { emptyCounters, type BatchView } from '../../../src/engine/batch.js';
import type { Exported } from '../../../src/report/export.js';
import type { ManifestFile, ResultManifest } from '../../../src/report/manifest.js';

const view = {
  id: 'b20240501-080000-ab12',
  status: 'done',
  reason: null,
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
