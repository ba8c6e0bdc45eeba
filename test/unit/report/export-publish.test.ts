/**
 * The export's files land together: every file is finished (written, flushed to disk)
 * before any is renamed into place, so one that fails at its finish (a full disk, a
 * workbook's zip) leaves every file of the export as it was. The sinks are the real
 * ones; one is made to fail at its finish.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_IDS, type ApiId } from '../../../src/juhe/catalogue.js';
import { DEFAULT_OUTPUT, exportResult } from '../../../src/report/export.js';
import { MANIFEST_KIND, manifestFile, manifestPathOf, RowTally, writeManifest } from '../../../src/report/manifest.js';
import { openResultCsv } from '../../../src/report/result-csv.js';
import { ADDED_COLUMNS, RESULT_SCHEMA_VERSION, type AddedColumn } from '../../../src/report/result-row.js';

const failing = vi.hoisted(() => ({ path: null as string | null }));
vi.mock('../../../src/report/open-sink.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/report/open-sink.js')>();
  return {
    openSink: async (...args: Parameters<typeof real.openSink>) => {
      const sink = await real.openSink(...args);
      if (args[1].path !== failing.path) return sink;
      return {
        ...sink,
        finish: async () => {
          await sink.abort();
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
      };
    },
  };
});

const ORIGINAL = ['phone'];
const HEADER = [...ORIGINAL, ...ADDED_COLUMNS];
const T0 = '2024-05-01T08:00:00.000Z';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-export-publish-'));
});
afterEach(async () => {
  failing.path = null;
  await rm(dir, { recursive: true, force: true });
});

async function makeSource(): Promise<string> {
  const path = join(dir, 'batch', 'result.csv');
  const file = await openResultCsv(path, HEADER, 'utf8-bom');
  const tally = new RowTally();
  const rows: Array<[string, 'high' | 'low']> = [
    ['13800001111', 'high'],
    ['13900002222', 'low'],
  ];
  for (const [, level] of rows) tally.add('screened', level);
  await file.writeRows(
    rows.map(([mobile, level]) => {
      const cells: Partial<Record<AddedColumn, string>> = { mobile, row_status: 'screened', risk_score: level === 'high' ? '80' : '5', risk_level: level, risk_confidence: '1.00' };
      return [mobile, ...ADDED_COLUMNS.map((column) => cells[column] ?? '')];
    }),
  );
  const written = await file.commit();
  const zeros = Object.fromEntries(API_IDS.map((api) => [api, 0])) as Record<ApiId, number>;
  await writeManifest(manifestPathOf(path), {
    kind: MANIFEST_KIND,
    schema_version: RESULT_SCHEMA_VERSION,
    batch: { id: 'b-publish', status: 'done', reason: null, profile: 'status', apis: ['status'], max_calls: null },
    input: { name: 'list.csv', sha256: 'a'.repeat(64), bytes: 30, columns: 1, phone_column: { number: 1, name: 'phone' } },
    result: { ...manifestFile(written), format: 'csv', encoding: 'utf8-bom', masked: false },
    files: {},
    rows: tally.counts,
    calls: { billable_total: 0, billable_by_api: zeros, cache_hits_total: 0, cache_hits_by_api: zeros, maybe_billed_total: 0, maybe_billed_by_api: zeros },
    errors_by_code: {},
    rubric: { name: 'default', digest: 'd'.repeat(64) },
    options: { rates: {}, input: {}, output: { ...DEFAULT_OUTPUT } },
    times: { created: T0, ingest_started: T0, screening_started: T0, reporting_started: T0, result_written: T0, files_written: T0 },
  });
  return path;
}

describe('exportResult: all files finished, then all renamed', () => {
  it.each(['xlsx', 'parquet', 'csv'] as const)('%s: a file failing at its finish leaves the earlier files of the export unreplaced, and no temporary file', async (format) => {
    const source = await makeSource();
    const out = join(dir, 'out', `r.${format}`);
    await mkdir(join(dir, 'out'));
    const names = ['r', 'r.high', 'r.medium', 'r.low', 'r.unscored'].map((stem) => `${stem}.${format}`);
    for (const name of names) await writeFile(join(dir, 'out', name), `old ${name}`);
    // The last level file fails: the result and the other levels were finished before it.
    failing.path = join(dir, 'out', `r.unscored.${format}`);
    await expect(exportResult({ source, out, output: { ...DEFAULT_OUTPUT, format, split: true, encoding: 'utf8' }, joinKey: () => Buffer.alloc(16) })).rejects.toThrow(/ENOSPC/);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual([...names].sort());
    for (const name of names) expect(await readFile(join(dir, 'out', name), 'utf8')).toBe(`old ${name}`);

    // And without the failure, every file is new.
    failing.path = null;
    await exportResult({ source, out, output: { ...DEFAULT_OUTPUT, format, split: true, encoding: 'utf8' }, joinKey: () => Buffer.alloc(16) });
    for (const name of names) expect(await readFile(join(dir, 'out', name), 'utf8')).not.toBe(`old ${name}`);
  });
});
