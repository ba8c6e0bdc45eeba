/**
 * Bench of the result-file layer: a synthetic 1,000,000-row batch result written through
 * `openResultCsv` (with its manifest), then exported through `exportResult` twice: with
 * the default options, and with `--mask --split --compare <an earlier result>` where the
 * earlier result is a second 1,000,000-row file holding about 90% of the same numbers.
 * Targets on this machine:
 * - the batch result write (the report job's part) >= 50,000 rows/s: a million rows in
 *   20 s, against the hours the screening of a million numbers takes at Juhe's rates;
 * - the default export (a byte copy) >= 100,000 rows/s;
 * - mask + split + compare (the earlier file read twice, six files written) >= 10,000
 *   rows/s: csv-parse and csv-stringify on rows this wide run at about 85,000 rows/s
 *   each, so this is bounded by the libraries, not by riskscreen's own work;
 * - peak RSS of that export (it holds the earlier file's levels) under 500 MiB.
 *
 * The files are written into a temp dir (never committed) and removed afterwards. Each
 * export runs in a child process of its own, so its peak RSS is the export's and not the
 * generator's (the figure includes Node and the tsx loader the child runs under). The
 * write figure is the time spent in the result-file layer (building the rows' cells is
 * left out; the wall time with it is printed beside).
 *
 *     node --import tsx bench/report-export.ts
 *
 * `run()` is the same for a bench runner; it throws if a target is missed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_IDS, type ApiId } from '../src/juhe/catalogue.js';
import type { RiskLevel } from '../src/risk/index.js';
import { DEFAULT_OUTPUT, exportResult } from '../src/report/export.js';
import {
  LEVELS_AND_UNSCORED,
  MANIFEST_KIND,
  manifestFile,
  manifestPathOf,
  RowTally,
  writeManifest,
  type Change,
  type OutputOptions,
  type ResultManifest,
} from '../src/report/manifest.js';
import { openResultCsv, type WrittenFile } from '../src/report/result-csv.js';
import { ADDED_COLUMNS, RESULT_SCHEMA_VERSION, type AddedColumn, type RowStatus } from '../src/report/result-row.js';
import { benchEntry, int, mib, runSelfInChild } from './support.js';

const ROWS = 1_000_000;
const CHUNK_ROWS = 1_000;
const TARGET_WRITE_ROWS_PER_SECOND = 50_000;
const TARGET_COPY_ROWS_PER_SECOND = 100_000;
const TARGET_FULL_ROWS_PER_SECOND = 10_000;
const TARGET_PEAK_RSS_BYTES = 500 * 1024 * 1024;
/** Set in the child: the export to run, as JSON (`ChildRequest`). */
const CHILD_ENV = 'RISKSCREEN_BENCH_EXPORT';

const ORIGINAL = ['手机号', '姓名', '备注'];
const HEADER = [...ORIGINAL, ...ADDED_COLUMNS];
const T0 = '2024-05-01T08:00:00.000Z';

interface ChildRequest {
  source: string;
  out: string;
  output: OutputOptions;
}

interface ChildResult {
  rows: number;
  files: number;
  bytes: number;
  changes: Partial<Record<Change, number>> | null;
  warnings: string[];
  seconds: number;
  peakRssBytes: number;
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-bench-export-'));
  try {
    const source = join(dir, 'batch', 'result.csv');
    const earlier = join(dir, 'earlier', 'result.csv');

    const write = await writeBatchResult(source, 'current');
    const writeRate = Math.round(ROWS / write.seconds);
    console.log(
      `report-export: batch result write: ${int(write.file.rows)} rows, ${(write.file.bytes / 1e6).toFixed(1)} MB + manifest in ${write.seconds.toFixed(2)} s in the result-file layer ` +
        `(${write.wallSeconds.toFixed(2)} s with building the rows): ${int(writeRate)} rows/s (target >= ${int(TARGET_WRITE_ROWS_PER_SECOND)})`,
    );
    const earlierWrite = await writeBatchResult(earlier, 'earlier');
    console.log(
      `report-export: earlier result write: ${int(earlierWrite.file.rows)} rows, ${(earlierWrite.file.bytes / 1e6).toFixed(1)} MB in ` +
        `${earlierWrite.seconds.toFixed(2)} s in the layer (${earlierWrite.wallSeconds.toFixed(2)} s wall): ${int(ROWS / earlierWrite.seconds)} rows/s`,
    );

    const plain = await exportInChild({ source, out: join(dir, 'plain', 'out.csv'), output: { ...DEFAULT_OUTPUT } });
    const plainRate = Math.round(plain.rows / plain.seconds);
    console.log(
      `report-export: export (default options): ${int(plain.rows)} rows, ${plain.files} file, ${(plain.bytes / 1e6).toFixed(1)} MB in ${plain.seconds.toFixed(2)} s: ` +
        `${int(plainRate)} rows/s (target >= ${int(TARGET_COPY_ROWS_PER_SECOND)}); peak RSS ${mib(plain.peakRssBytes)}`,
    );

    const full = await exportInChild({ source, out: join(dir, 'full', 'out.csv'), output: { ...DEFAULT_OUTPUT, mask: true, split: true, compare: earlier } });
    const fullRate = Math.round(full.rows / full.seconds);
    console.log(
      `report-export: export (mask + split + compare): ${int(full.rows)} rows, ${full.files} files, ${(full.bytes / 1e6).toFixed(1)} MB in ${full.seconds.toFixed(2)} s: ` +
        `${int(fullRate)} rows/s (target >= ${int(TARGET_FULL_ROWS_PER_SECOND)})`,
    );
    console.log(
      `report-export: changes ${Object.entries(full.changes ?? {})
        .map(([change, n]) => `${change} ${int(n)}`)
        .join(', ')}` + (full.warnings.length > 0 ? `; warnings: ${full.warnings.join(' | ')}` : ''),
    );
    console.log(`report-export: peak RSS of the mask + split + compare export ${mib(full.peakRssBytes)} (target < ${mib(TARGET_PEAK_RSS_BYTES)})`);
    console.log(`report-export: load average ${loadavg().map((n) => n.toFixed(2)).join(' ')} (other work on the machine counts)`);

    const missed: string[] = [];
    if (plain.rows !== ROWS) missed.push(`the default export wrote ${plain.rows} rows of ${ROWS}`);
    if (full.rows !== ROWS) missed.push(`the mask + split + compare export wrote ${full.rows} rows of ${ROWS}`);
    // The result, one file per level (and unscored), the changes file.
    if (full.files !== 2 + LEVELS_AND_UNSCORED.length) missed.push(`the mask + split + compare export listed ${full.files} files, not ${2 + LEVELS_AND_UNSCORED.length}`);
    if (writeRate < TARGET_WRITE_ROWS_PER_SECOND) missed.push(`write ${writeRate} rows/s is below ${TARGET_WRITE_ROWS_PER_SECOND}`);
    if (plainRate < TARGET_COPY_ROWS_PER_SECOND) missed.push(`default export ${plainRate} rows/s is below ${TARGET_COPY_ROWS_PER_SECOND}`);
    if (fullRate < TARGET_FULL_ROWS_PER_SECOND) missed.push(`mask + split + compare export ${fullRate} rows/s is below ${TARGET_FULL_ROWS_PER_SECOND}`);
    if (full.peakRssBytes >= TARGET_PEAK_RSS_BYTES) missed.push(`peak RSS ${mib(full.peakRssBytes)} is over ${mib(TARGET_PEAK_RSS_BYTES)}`);
    if (missed.length > 0) throw new Error(`report-export: target missed: ${missed.join('; ')}`);
    console.log('report-export: ok');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- synthetic batch results --------------------------------------------------------

const PREFIXES = ['138', '139', '186', '133', '189', '150', '177', '192', '166', '199'];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高'];
const GIVEN = ['伟', '芳', '娜', '秀英', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀兰', '霞'];
const NOTES = ['', '', '', 'vip', '渠道A', '线上注册', '老客户回访', '活动报名 2024-03'];
const CARRIERS = ['cmcc', 'cmcc', 'cucc', 'ctcc', 'cmcc', 'ctcc', 'cucc', 'cbn', 'cucc', 'ctcc'];
const PLACES: Array<[string, string]> = [
  ['广东', '深圳'],
  ['北京', '北京'],
  ['上海', '上海'],
  ['浙江', '杭州'],
  ['四川', '成都'],
  ['湖北', '武汉'],
];
/** About 80 characters each, in the shape `reasonsText` gives. */
const REASONS: Record<RiskLevel, string[]> = {
  low: [
    'tenure > 24 months (+0); line status normal (+0); call minutes missing: not a China Telecom number (+5)',
    'tenure 12-24 months (+5); line status normal (+0); resale missing: no date given (+5); no rule fired',
  ],
  medium: [
    'tenure 3-6 months (+20); MVNO number (+10); call minutes missing: not a China Telecom number (+5)',
    'tenure 6-12 months (+10); calling minutes 0-10 per month (+15); line status normal (+0); resale no (+0)',
  ],
  high: [
    'tenure <= 3 months (+30); resale yes: reassigned after the date (+40); rule recycled_after_date: high',
    'line status suspended (+40); tenure <= 3 months (+30); MVNO number (+10); score raised to high by rule',
  ],
};

/** Row i's number: distinct for every i (7,919 is prime and coprime with 10^8). */
function numberOf(i: number, salt = 0): string {
  const k = Math.floor(i / PREFIXES.length) + salt;
  return PREFIXES[i % PREFIXES.length]! + String((k * 7_919 + 12_345) % 100_000_000).padStart(8, '0');
}

/** Column index of each added column in a row. */
const AT = Object.fromEntries(ADDED_COLUMNS.map((column, i) => [column, ORIGINAL.length + i])) as Record<AddedColumn, number>;

/**
 * A batch result as the report job writes it: 3 input columns, then the added columns.
 * About 5% invalid rows (no mobile, no level), 3% partial, the rest screened; levels
 * about 60% low, 25% medium, 15% high. `earlier` is the same list run before: 90% of
 * its rows hold the same numbers (10% hold numbers not in the current list), with
 * about a third of the levels different and its invalid rows elsewhere.
 *
 * `seconds` is the time spent in the result-file layer (`openResultCsv`, `writeRows`,
 * `commit`, `writeManifest`); `wallSeconds` also counts building the rows here.
 */
export async function writeBatchResult(
  path: string,
  which: 'current' | 'earlier',
  rows = ROWS,
): Promise<{ file: WrittenFile; seconds: number; wallSeconds: number }> {
  const started = performance.now();
  let inLayer = 0;
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await work();
    } finally {
      inLayer += performance.now() - t;
    }
  };
  let state = which === 'current' ? 42 : 4242;
  const next = () => {
    // A linear congruential generator: deterministic, fast, good enough for test data.
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 8;
  };
  const file = await timed(() => openResultCsv(path, HEADER, 'utf8-bom'));
  const tally = new RowTally();
  try {
    let chunk: string[][] = [];
    for (let i = 0; i < rows; i++) {
      const roll = next() % 1000;
      const invalid = which === 'current' ? i % 20 === 7 : i % 20 === 13;
      const mobile = invalid ? '' : which === 'earlier' && i % 10 === 0 ? numberOf(i, 50_000_000) : numberOf(i);
      const row = new Array<string>(HEADER.length).fill('');
      row[1] = SURNAMES[next() % SURNAMES.length]! + GIVEN[next() % GIVEN.length]!;
      row[2] = i % 50 === 3 ? `备用 ${numberOf(i + 1)}` : NOTES[roll % NOTES.length]!;
      let status: RowStatus;
      let level: RiskLevel | '';
      if (invalid) {
        row[0] = roll % 2 === 0 ? '12345' : '010-12345678';
        status = 'invalid';
        level = '';
        row[AT.row_status] = status;
        row[AT.error] = roll % 2 === 0 ? 'invalid number (too_short): fewer than 11 digits' : 'invalid number (landline): a fixed-line number';
      } else {
        row[0] = roll % 10 === 3 ? `${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}` : mobile;
        status = roll < 30 ? 'partial' : 'screened';
        // The level follows the number (so the earlier file agrees for most numbers), shifted in the earlier file for a third.
        const levelRoll = (Number(mobile.slice(-4)) * 31 + (which === 'earlier' && roll % 3 === 0 ? 500 : 0)) % 1000;
        level = levelRoll < 600 ? 'low' : levelRoll < 850 ? 'medium' : 'high';
        const suspended = level === 'high' && roll % 2 === 0;
        const [province, city] = PLACES[i % PLACES.length]!;
        row[AT.mobile] = mobile;
        row[AT.row_status] = status;
        row[AT.carrier] = CARRIERS[i % CARRIERS.length]!;
        row[AT.number_kind] = 'mobile';
        row[AT.line_status] = suspended ? 'suspended' : 'normal';
        row[AT.line_status_code] = suspended ? '2' : '1';
        row[AT.tenure] = level === 'low' ? '24+' : level === 'medium' ? '6-12' : '0-3';
        row[AT.tenure_code] = level === 'low' ? '5' : level === 'medium' ? '3' : '1';
        row[AT.province] = province;
        row[AT.city] = city;
        row[AT.risk_score] = String(level === 'low' ? 5 + (roll % 30) : level === 'medium' ? 40 + (roll % 30) : 75 + (roll % 25));
        row[AT.risk_level] = level;
        row[AT.risk_confidence] = (0.6 + (roll % 40) / 100).toFixed(2);
        row[AT.risk_reasons] = REASONS[level][roll % 2]!;
        row[AT.error] = status === 'partial' ? 'tenure 10012: upstream timeout' : '';
      }
      tally.add(status, level);
      chunk.push(row);
      if (chunk.length >= CHUNK_ROWS) {
        const full = chunk;
        await timed(() => file.writeRows(full));
        chunk = [];
      }
    }
    const last = chunk;
    await timed(() => file.writeRows(last));
  } catch (err) {
    await file.abort();
    throw err;
  }
  const written = await timed(() => file.commit());
  if (written.rows !== tally.counts.total) throw new Error(`report-export: wrote ${written.rows} rows but counted ${tally.counts.total}`);
  await timed(() => writeManifest(manifestPathOf(path), manifestOf(written, tally)));
  return { file: written, seconds: inLayer / 1000, wallSeconds: (performance.now() - started) / 1000 };
}

const zerosByApi = () => Object.fromEntries(API_IDS.map((api) => [api, 0])) as Record<ApiId, number>;

/** A batch result's manifest, by hand (as test/unit/report/export.test.ts builds one). */
function manifestOf(written: WrittenFile, tally: RowTally): ResultManifest {
  const valid = tally.counts.total - tally.counts.by_status.invalid;
  return {
    kind: MANIFEST_KIND,
    schema_version: RESULT_SCHEMA_VERSION,
    batch: { id: 'b-bench', status: 'done', reason: null, profile: 'standard', apis: ['status', 'tenure'], max_calls: null },
    input: { name: 'list.csv', sha256: 'a'.repeat(64), bytes: 40 * tally.counts.total, columns: ORIGINAL.length, phone_column: { number: 1, name: '手机号' } },
    result: { ...manifestFile(written), format: 'csv', encoding: 'utf8-bom', masked: false },
    files: {},
    rows: tally.counts,
    calls: {
      billable_total: 2 * valid,
      billable_by_api: { ...zerosByApi(), status: valid, tenure: valid },
      cache_hits_total: 0,
      cache_hits_by_api: zerosByApi(),
      maybe_billed_total: 0,
      maybe_billed_by_api: zerosByApi(),
    },
    errors_by_code: {},
    rubric: { name: 'default', digest: 'd'.repeat(64) },
    options: { rates: {}, input: { phoneColumn: null }, output: { ...DEFAULT_OUTPUT } },
    times: { created: T0, ingest_started: T0, screening_started: T0, reporting_started: T0, result_written: T0, files_written: T0 },
  };
}

// ---- the export, in a child process -------------------------------------------------

function exportInChild(request: ChildRequest): Promise<ChildResult> {
  return runSelfInChild<ChildResult>(import.meta.url, CHILD_ENV, JSON.stringify(request), 'report-export');
}

/** The child: run the export, print the figures as JSON. */
async function exportAndReport(request: ChildRequest): Promise<void> {
  const started = performance.now();
  const exported = await exportResult({ ...request, joinKey: () => Buffer.from('riskscreen-bench-join-key') });
  const elapsed = (performance.now() - started) / 1000;
  const { manifest } = exported;
  const files = [manifest.result, ...Object.values(manifest.files.levels ?? {}), ...(manifest.files.changes ? [manifest.files.changes] : [])];
  const { compared_with: _with, ...changes } = manifest.changes ?? { compared_with: null };
  const result: ChildResult = {
    rows: manifest.result.rows,
    files: files.length,
    bytes: files.reduce((sum, file) => sum + file.bytes, 0),
    changes: manifest.changes ? changes : null,
    warnings: exported.warnings,
    seconds: elapsed,
    // maxRSS is the true peak of this process, in KiB.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(JSON.stringify(result));
}

benchEntry(import.meta.url, CHILD_ENV, (request) => exportAndReport(JSON.parse(request) as ChildRequest), run);
