/**
 * exportResult writing the typed formats: what it must keep across the mask, split and
 * compare paths (the gone rows of an earlier result in any format, typed cells that came
 * through another tool), and that a file that fails leaves every other file of the
 * export as it was: every file is finished (written, flushed to disk) before any is
 * renamed into place.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { API_IDS, type ApiId } from '../../../src/juhe/catalogue.js';
import { DEFAULT_OUTPUT, exportResult, type ExportRequest } from '../../../src/report/export.js';
import { MANIFEST_KIND, manifestFile, manifestPathOf, RowTally, writeManifest, type OutputOptions, type ResultManifest } from '../../../src/report/manifest.js';
import { openResultCsv } from '../../../src/report/result-csv.js';
import { readJsonlResult } from '../../../src/report/result-jsonl-read.js';
import { readXlsxResult } from '../../../src/report/result-xlsx-read.js';
import { ADDED_COLUMNS, RESULT_SCHEMA_VERSION, type AddedColumn, type RowStatus } from '../../../src/report/result-row.js';
import type { RiskLevel } from '../../../src/risk/index.js';

// The real sinks, but the one at `failing.path` fails at its finish (a full disk, a workbook's zip).
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

// Input columns with an empty name and two that differ in case only: JSON Lines and Parquet key them `column_2`, `Name_3`.
const ORIGINAL = ['name', '', 'Name', 'phone'];
const HEADER = [...ORIGINAL, ...ADDED_COLUMNS];
const T0 = '2024-05-01T08:00:00.000Z';

const added = (mobile: string, level: RiskLevel, score: string): Partial<Record<AddedColumn, string>> => ({
  mobile,
  row_status: 'screened',
  carrier: 'cmcc',
  number_kind: 'mobile',
  risk_score: score,
  risk_level: level,
  risk_confidence: '0.80',
  resale_date: '20240131',
  risk_reasons: 'no risk signal',
});
const rowOf = (original: string[], cells: Partial<Record<AddedColumn, string>>) => [...original, ...ADDED_COLUMNS.map((column) => cells[column] ?? '')];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-export-formats-'));
});
afterEach(async () => {
  failing.path = null;
  await rm(dir, { recursive: true, force: true });
});

/** A batch result and its manifest, as the report job writes them. */
async function makeSource(sub: string, rows: string[][], schemaVersion = RESULT_SCHEMA_VERSION): Promise<string> {
  const path = join(dir, sub, 'result.csv');
  const file = await openResultCsv(path, HEADER, 'utf8-bom');
  const tally = new RowTally();
  for (const row of rows) tally.add(row[ORIGINAL.length + ADDED_COLUMNS.indexOf('row_status')] as RowStatus, row[ORIGINAL.length + ADDED_COLUMNS.indexOf('risk_level')] as RiskLevel);
  await file.writeRows(rows);
  const written = await file.commit();
  const zeros = Object.fromEntries(API_IDS.map((api) => [api, 0])) as Record<ApiId, number>;
  const manifest: ResultManifest = {
    kind: MANIFEST_KIND,
    schema_version: schemaVersion,
    batch: { id: `b-${sub}`, status: 'done', reason: null, profile: 'status', apis: ['status'], max_calls: null },
    input: { name: 'list.csv', sha256: 'a'.repeat(64), bytes: 100, columns: ORIGINAL.length, phone_column: { number: 4, name: 'phone' } },
    result: { ...manifestFile(written), format: 'csv', encoding: 'utf8-bom', masked: false },
    files: {},
    rows: tally.counts,
    calls: { billable_total: 0, billable_by_api: zeros, cache_hits_total: 0, cache_hits_by_api: zeros, maybe_billed_total: 0, maybe_billed_by_api: zeros },
    errors_by_code: {},
    rubric: { name: 'default', digest: 'd'.repeat(64) },
    options: { rates: {}, input: {}, output: { ...DEFAULT_OUTPUT } },
    times: { created: T0, ingest_started: T0, screening_started: T0, reporting_started: T0, result_written: T0, files_written: T0 },
  };
  await writeManifest(manifestPathOf(path), manifest);
  return path;
}

const request = (source: string, out: string, output: Partial<OutputOptions>): ExportRequest => ({
  source,
  out,
  output: { ...DEFAULT_OUTPUT, ...output },
  joinKey: () => Buffer.from('unit-test-join-key'),
});

async function rowsOf(read: AsyncGenerator<{ row: string[] }>): Promise<string[][]> {
  const rows: string[][] = [];
  for await (const { row } of read) rows.push(row);
  return rows;
}

const NOW = [rowOf(['张三', 'a', 'A', '13800001111'], added('13800001111', 'high', '85'))];
const GONE = ['孙八', '空名列', '大写列', '18600005555'];

describe('exportResult to the typed formats', () => {
  it('gone rows of an earlier JSON Lines result keep the cells of input columns it keys differently (column_2, Name_3)', async () => {
    const earlierSource = await makeSource('earlier', [rowOf(GONE, added('18600005555', 'medium', '55'))]);
    const earlier = join(dir, 'earlier.jsonl');
    await exportResult(request(earlierSource, earlier, { format: 'jsonl' }));
    const source = await makeSource('now', NOW);
    const out = join(dir, 'out', 'r.jsonl');
    const exported = await exportResult(request(source, out, { format: 'jsonl', compare: earlier }));
    expect(exported.manifest.changes).toMatchObject({ new: 1, gone: 1 });
    const changes = await rowsOf(readJsonlResult(join(dir, 'out', 'r.changes.jsonl')));
    const gone = changes.find((row) => row.at(-1) === 'gone')!;
    expect(gone.slice(0, ORIGINAL.length)).toEqual(GONE);
  });

  it('an earlier result whose typed cells went through another tool (55.0, 0.8) still gives typed gone rows; what is no number is left empty, and said', async () => {
    const earlier = join(dir, 'earlier.csv');
    const header = HEADER.join(',');
    const cells = (score: string, confidence: string, date: string) =>
      rowOf(GONE, { ...added('18600005555', 'medium', score), risk_confidence: confidence, resale_date: date }).map((cell) => (cell.includes(',') ? `"${cell}"` : cell));
    await writeFile(earlier, [header, cells('55.0', '0.8', '20240131.0').join(','), cells('n/a', '0.5', '20240131').join(',').replaceAll('18600005555', '18600006666')].join('\n') + '\n');
    const source = await makeSource('now', NOW);
    const out = join(dir, 'out', 'r.xlsx');
    const exported = await exportResult(request(source, out, { format: 'xlsx', compare: earlier }));
    expect(exported.warnings).toContainEqual(expect.stringMatching(/^1 cells of earlier\.csv's risk_score, risk_confidence or resale_date were not numbers or dates/));
    const changes = await rowsOf(readXlsxResult(join(dir, 'out', 'r.changes.xlsx')));
    const at = (name: AddedColumn) => ORIGINAL.length + ADDED_COLUMNS.indexOf(name);
    const gone = changes.slice(1).filter((row) => row.at(-1) === 'gone');
    expect(gone.map((row) => [row[at('risk_score')], row[at('risk_confidence')], row[at('resale_date')]])).toEqual([
      ['55', '0.80', '20240131'],
      ['', '0.50', '20240131'],
    ]);
  });

  it('a cell not of its type fails the export before any file of it is replaced', async () => {
    // The batch CSV edited by hand: a score that is no number, in the last row (after the rows a workbook holds back).
    const source = await makeSource('now', [...NOW, rowOf(['李四', 'b', 'B', '13900002222'], added('13900002222', 'low', 'ten'))]);
    const out = join(dir, 'out', 'r.xlsx');
    await mkdir(join(dir, 'out'));
    const before = ['r.xlsx', 'r.high.xlsx', 'r.medium.xlsx', 'r.low.xlsx', 'r.unscored.xlsx'];
    for (const name of before) await writeFile(join(dir, 'out', name), `old ${name}`);
    await expect(exportResult(request(source, out, { format: 'xlsx', split: true }))).rejects.toThrow(/risk_score: "ten" is not a whole number/);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual([...before].sort());
    for (const name of before) expect(await readFile(join(dir, 'out', name), 'utf8')).toBe(`old ${name}`);
  });

  it('a workbook with cells over Excel\'s 32,767 characters is written whole, with a warning saying what Excel will do', async () => {
    const long = 'x'.repeat(33_000);
    const source = await makeSource('long', [rowOf(['张三', long, 'A', '13800001111'], added('13800001111', 'high', '85'))]);
    const out = join(dir, 'out', 'r.xlsx');
    const exported = await exportResult(request(source, out, { format: 'xlsx' }));
    expect(exported.warnings).toEqual([expect.stringMatching(/^r\.xlsx: 1 cells are longer than Excel's 32,767 characters; Excel will offer to repair the workbook/)]);
    expect((await rowsOf(readXlsxResult(out)))[1]![1]).toBe(long);
    // Other formats have no such limit: no warning.
    expect((await exportResult(request(source, join(dir, 'out', 'r.jsonl'), { format: 'jsonl' }))).warnings).toEqual([]);
  });

  it('a batch reported under schema 1.0: the export says it writes 1.1, and warns that a quoted formula cell is ambiguous there', async () => {
    const source = await makeSource('old', NOW, '1.0');
    const exported = await exportResult(request(source, join(dir, 'out', 'r.jsonl'), { format: 'jsonl' }));
    expect(exported.manifest.schema_version).toBe(RESULT_SCHEMA_VERSION);
    expect(exported.warnings).toEqual([expect.stringContaining('was reported before schema 1.1')]);
    // A CSV copy is the 1.0 file itself, byte for byte: no warning.
    const copied = await exportResult(request(source, join(dir, 'out', 'r.csv'), {}));
    expect(copied.warnings).toEqual([]);
  });
  it.each(['xlsx', 'parquet', 'csv'] as const)('%s: a file failing at its finish leaves the earlier files of the export unreplaced: all are finished before any is renamed', async (format) => {
    const source = await makeSource('now', [...NOW, rowOf(['李四', 'b', 'B', '13900002222'], added('13900002222', 'low', '5'))]);
    const out = join(dir, 'out', `r.${format}`);
    await mkdir(join(dir, 'out'));
    const names = ['r', 'r.high', 'r.medium', 'r.low', 'r.unscored'].map((stem) => `${stem}.${format}`);
    for (const name of names) await writeFile(join(dir, 'out', name), `old ${name}`);
    // The last level file fails: the result and the other levels were finished before it.
    failing.path = join(dir, 'out', `r.unscored.${format}`);
    const output = { format, split: true, encoding: 'utf8' } as const;
    await expect(exportResult(request(source, out, output))).rejects.toThrow(/ENOSPC/);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual([...names].sort());
    for (const name of names) expect(await readFile(join(dir, 'out', name), 'utf8')).toBe(`old ${name}`);

    // And without the failure, every file is new.
    failing.path = null;
    await exportResult(request(source, out, output));
    for (const name of names) expect(await readFile(join(dir, 'out', name), 'utf8')).not.toBe(`old ${name}`);
  });
});
