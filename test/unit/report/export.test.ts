import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_IDS, type ApiId } from '../../../src/juhe/catalogue.js';
import type { RiskLevel } from '../../../src/risk/index.js';
import { isFormulaRisk, neutralizeCell } from '../../../src/report/csv-safety.js';
import { CompareError, earlierRows, readEarlierResult } from '../../../src/report/earlier-result.js';
import { changeOf, DEFAULT_OUTPUT, exportResult, ExportTargetError, ResultNotReadyError, siblingPath, type ExportRequest } from '../../../src/report/export.js';
import {
  LEVELS_AND_UNSCORED,
  MANIFEST_KIND,
  manifestFile,
  manifestPathOf,
  readManifest,
  RowTally,
  writeManifest,
  type ManifestFile,
  type OutputOptions,
  type ResultManifest,
} from '../../../src/report/manifest.js';
import { joinHash, maskCell, maskNumbersIn } from '../../../src/report/masking.js';
import type { OutputEncoding } from '../../../src/report/output-encoding.js';
import { openResultCsv } from '../../../src/report/result-csv.js';
import { ADDED_COLUMNS, RESULT_SCHEMA_VERSION, type AddedColumn, type RowStatus } from '../../../src/report/result-row.js';

// ---------------------------------------------------------------------------
// A fake batch result: the input's columns, then the added columns.

const ORIGINAL = ['name', 'phone', 'note'];
const PHONE_COLUMN = 2; // 1-based
const HEADER = [...ORIGINAL, ...ADDED_COLUMNS];
const COLUMNS = ORIGINAL.length;
const MOBILE_AT = COLUMNS + ADDED_COLUMNS.indexOf('mobile');
const LEVEL_AT = COLUMNS + ADDED_COLUMNS.indexOf('risk_level');
const KEY = Buffer.from('unit-test-join-key');
const OTHER_KEY = Buffer.from('another-installation');
const T0 = '2024-05-01T08:00:00.000Z';

interface SourceRow {
  original: string[];
  added: Partial<Record<AddedColumn, string>>;
}

const scored = (mobile: string, level: RiskLevel, score: string, status: RowStatus = 'screened'): SourceRow['added'] => ({
  mobile,
  row_status: status,
  carrier: 'cmcc',
  number_kind: 'mobile',
  line_status: 'normal',
  line_status_code: '1',
  province: '上海',
  city: '上海',
  risk_score: score,
  risk_level: level,
  risk_confidence: '0.80',
  risk_reasons: level === 'low' ? 'no risk signal' : '在网时长短',
});

/** high, medium, low, invalid, a duplicate of the first number, partial/low with a formula-looking cell. */
const SOURCE: SourceRow[] = [
  { original: ['张三', '13800001111', 'vip'], added: scored('13800001111', 'high', '85') },
  { original: ['李四', '13900002222', '=1+1'], added: scored('13900002222', 'medium', '50') },
  { original: ['王五', '137 0000 3333', ''], added: scored('13700003333', 'low', '10') },
  { original: ['赵六', '12345', 'bad'], added: { row_status: 'invalid', error: 'invalid number (too_short): fewer than 11 digits' } },
  { original: ['张三', '13800001111', 'again'], added: scored('13800001111', 'high', '85') },
  { original: ['钱七', '15000004444', '@SUM(A1)'], added: scored('15000004444', 'low', '20', 'partial') },
];
const NUMBERS = ['13800001111', '13900002222', '13700003333', '15000004444'];

/** The batch result as an earlier run had it: one level lower, one higher, one same, one absent, one gone (twice). */
const EARLIER_SOURCE: SourceRow[] = [
  { original: ['张三', '13800001111', ''], added: scored('13800001111', 'low', '10') },
  { original: ['李四', '13900002222', ''], added: scored('13900002222', 'high', '90') },
  { original: ['王五', '137 0000 3333', ''], added: scored('13700003333', 'low', '10') },
  { original: ['孙八', '18600005555', 'gone'], added: scored('18600005555', 'medium', '55') },
  { original: ['孙八', '18600005555', 'gone again'], added: scored('18600005555', 'medium', '55') },
];
const EXPECTED_CHANGE = ['level_up', 'level_down', 'unchanged', '', 'level_up', 'new'];

const rowOf = (row: SourceRow): string[] => [...row.original, ...ADDED_COLUMNS.map((column) => row.added[column] ?? '')];
/** The rows as written: every cell neutralized. */
const written = (rows: SourceRow[]): string[][] => rows.map((row) => rowOf(row).map(neutralizeCell));

const zerosByApi = () => Object.fromEntries(API_IDS.map((api) => [api, 0])) as Record<ApiId, number>;

function manifestOf(result: ManifestFile & { encoding: OutputEncoding; masked: boolean }, tally: RowTally): ResultManifest {
  return {
    kind: MANIFEST_KIND,
    schema_version: RESULT_SCHEMA_VERSION,
    batch: { id: 'b-test', status: 'done', reason: null, profile: 'standard', apis: ['status', 'tenure'], max_calls: null },
    input: { name: 'list.csv', sha256: 'a'.repeat(64), bytes: 321, columns: COLUMNS, phone_column: { number: PHONE_COLUMN, name: 'phone' } },
    result,
    files: {},
    rows: tally.counts,
    calls: {
      billable_total: 10,
      billable_by_api: { ...zerosByApi(), status: 5, tenure: 5 },
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

/** Writes `<dir>/<sub>/result.csv` and its manifest, as the report job does. */
async function makeSource(sub: string, rows: SourceRow[] = SOURCE): Promise<{ path: string; manifest: ResultManifest }> {
  const path = join(dir, sub, 'result.csv');
  const file = await openResultCsv(path, HEADER, 'utf8-bom');
  const tally = new RowTally();
  for (const row of rows) tally.add(row.added.row_status as RowStatus, (row.added.risk_level ?? '') as RiskLevel | '');
  await file.writeRows(rows.map(rowOf));
  const result = await file.commit();
  const manifest = manifestOf({ ...manifestFile(result), encoding: 'utf8-bom', masked: false }, tally);
  await writeManifest(manifestPathOf(path), manifest);
  return { path, manifest };
}

const neverKey = () => {
  throw new Error('the join key was asked for');
};

function request(source: string, out: string, output: Partial<OutputOptions> = {}, joinKey: () => Buffer = () => KEY): ExportRequest {
  return { source, out, output: { ...DEFAULT_OUTPUT, ...output }, joinKey };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Parses a result file in any of the output encodings (BOM stripped). */
async function readCsv(path: string, encoding: OutputEncoding = 'utf8-bom'): Promise<string[][]> {
  const bytes = await readFile(path);
  const text = encoding === 'gb18030' ? iconv.decode(bytes, 'gb18030') : bytes.toString('utf8');
  return parse(text, { bom: true, relax_column_count: true }) as string[][];
}

async function tempFiles(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      if (entry.isDirectory()) await walk(join(at, entry.name));
      else if (entry.name.endsWith('.tmp')) found.push(join(at, entry.name));
    }
  };
  await walk(dir);
  return found;
}

async function expectFileMatches(entry: ManifestFile | undefined, path: string, rows: number): Promise<void> {
  const bytes = await readFile(path);
  expect(entry).toEqual({ file: path.split(/[\\/]/).pop(), rows, bytes: bytes.length, sha256: sha256(bytes) });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------

describe('manifestPathOf and siblingPath', () => {
  it('replaces a .csv extension (any case), and appends to any other name', () => {
    expect(manifestPathOf(join('a', 'result.csv'))).toBe(join('a', 'result.manifest.json'));
    expect(manifestPathOf(join('a', 'out.CSV'))).toBe(join('a', 'out.manifest.json'));
    expect(manifestPathOf(join('a', 'result'))).toBe(join('a', 'result.manifest.json'));
    expect(manifestPathOf(join('a', 'result.txt'))).toBe(join('a', 'result.txt.manifest.json'));
    expect(manifestPathOf('/tmp/x/result.csv')).toBe('/tmp/x/result.manifest.json');
  });

  it('sibling files take the stem of the out file', () => {
    expect(siblingPath(join('a', 'out.csv'), 'high')).toBe(join('a', 'out.high.csv'));
    expect(siblingPath(join('a', 'out.CSV'), 'changes')).toBe(join('a', 'out.changes.csv'));
    expect(siblingPath(join('a', 'out'), 'low')).toBe(join('a', 'out.low.csv'));
  });
});

describe('changeOf', () => {
  it.each([
    [undefined, 'low', 'new'],
    [undefined, '', 'new'],
    ['low', 'high', 'level_up'],
    ['low', 'medium', 'level_up'],
    ['medium', 'high', 'level_up'],
    ['', 'low', 'level_up'],
    ['high', 'low', 'level_down'],
    ['high', 'medium', 'level_down'],
    ['low', '', 'level_down'],
    ['low', 'low', 'unchanged'],
    ['medium', 'medium', 'unchanged'],
    ['high', 'high', 'unchanged'],
    ['', '', 'unchanged'],
  ] as const)('%j -> %j: %s', (before, now, change) => {
    expect(changeOf(before, now)).toBe(change);
  });
});

describe('exportResult: default output', () => {
  it('writes the same bytes as the source, a manifest beside it, and returns the paths (result first, manifest last)', async () => {
    const { path: source, manifest: base } = await makeSource('batch');
    const out = join(dir, 'user', 'out.csv');
    const exported = await exportResult(request(source, out, {}, neverKey));

    expect(await readFile(out)).toEqual(await readFile(source));
    const manifestPath = join(dir, 'user', 'out.manifest.json');
    expect(exported.manifestPath).toBe(manifestPath);
    expect(exported.paths).toEqual([out, manifestPath]);
    expect(exported.warnings).toEqual([]);
    expect(existsSync(manifestPath)).toBe(true);

    const manifest = await readManifest(manifestPath);
    expect(manifest).toEqual(exported.manifest);
    const bytes = await readFile(out);
    expect(manifest.result).toEqual({ file: 'out.csv', rows: SOURCE.length, bytes: bytes.length, sha256: sha256(bytes), format: 'csv', encoding: 'utf8-bom', masked: false });
    expect(manifest.result.sha256).toBe(base.result.sha256);
    expect(manifest.options.output).toEqual(DEFAULT_OUTPUT);
    expect(manifest.files).toEqual({});
    expect(manifest.changes).toBeUndefined();
    // What the batch said is kept.
    expect(manifest.kind).toBe(MANIFEST_KIND);
    expect(manifest.batch).toEqual(base.batch);
    expect(manifest.input).toEqual(base.input);
    expect(manifest.rows).toEqual(base.rows);
    expect(manifest.calls).toEqual(base.calls);
    expect(manifest.times.result_written).toBe(T0);
    expect(manifest.times.files_written).not.toBe(T0);
    // The source is never changed, and only the files listed were written.
    expect(await readdir(join(dir, 'user'))).toEqual(['out.csv', 'out.manifest.json'].sort());
    expect((await readManifest(manifestPathOf(source))).result.sha256).toBe(base.result.sha256);
  });

  it('output schema: the original columns then exactly ADDED_COLUMNS, one row per input row in order, no cell a formula', async () => {
    const { path: source } = await makeSource('batch');
    const out = join(dir, 'out.csv');
    await exportResult(request(source, out));
    const [header, ...rows] = await readCsv(out);
    expect(header).toEqual([...ORIGINAL, ...ADDED_COLUMNS]);
    expect(rows).toEqual(written(SOURCE));
    expect(rows.map((row) => row[MOBILE_AT])).toEqual(['13800001111', '13900002222', '13700003333', '', '13800001111', '15000004444']);
    expect(rows[1]![2]).toBe("'=1+1");
    expect(rows[5]![2]).toBe("'@SUM(A1)");
    for (const cell of [header!, ...rows].flat()) expect(isFormulaRisk(cell), JSON.stringify(cell)).toBe(false);
  });

  it('--out-encoding utf8: no BOM; gb18030: decodes to the same text as utf8', async () => {
    const { path: source } = await makeSource('batch');
    const utf8 = join(dir, 'utf8.csv');
    const gb = join(dir, 'gb.csv');
    const e1 = await exportResult(request(source, utf8, { encoding: 'utf8' }));
    const e2 = await exportResult(request(source, gb, { encoding: 'gb18030' }));
    const utf8Bytes = await readFile(utf8);
    const gbBytes = await readFile(gb);
    expect(utf8Bytes.subarray(0, 3)).not.toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8Bytes])).toEqual(await readFile(source));
    expect(gbBytes.includes(iconv.encode('张三', 'gb18030'))).toBe(true);
    expect(gbBytes.includes(Buffer.from('张三', 'utf8'))).toBe(false);
    expect(iconv.decode(gbBytes, 'gb18030')).toBe(utf8Bytes.toString('utf8'));
    expect(e1.manifest.result.encoding).toBe('utf8');
    expect(e2.manifest.result.encoding).toBe('gb18030');
    expect(e2.manifest.result.sha256).toBe(sha256(gbBytes));
    expect(e2.manifest.result.bytes).toBe(gbBytes.length);
    expect(e2.manifest.options.output.encoding).toBe('gb18030');
  });
});

describe('exportResult: --mask', () => {
  it('shows numbers as 138****1111 with a keyed mobile_hash right after mobile, empty for invalid rows', async () => {
    const { path: source } = await makeSource('batch');
    const out = join(dir, 'masked.csv');
    const exported = await exportResult(request(source, out, { mask: true }));
    const [header, ...rows] = await readCsv(out);
    expect(header).toHaveLength(HEADER.length + 1);
    expect(header![MOBILE_AT + 1]).toBe('mobile_hash');
    expect(header!.slice(MOBILE_AT + 2)).toEqual(ADDED_COLUMNS.slice(1));
    expect(rows).toHaveLength(SOURCE.length);

    expect(rows.map((row) => row[PHONE_COLUMN - 1])).toEqual(['138****1111', '139****2222', '137****3333', '*****', '138****1111', '150****4444']);
    expect(rows.map((row) => row[MOBILE_AT])).toEqual(['138****1111', '139****2222', '137****3333', '', '138****1111', '150****4444']);
    const hashes = rows.map((row) => row[MOBILE_AT + 1]);
    SOURCE.forEach((row, i) => {
      const mobile = row.added.mobile ?? '';
      expect(hashes[i]).toBe(mobile ? joinHash(KEY, mobile) : '');
    });
    for (const hash of hashes.filter(Boolean)) expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(hashes[0]).toBe(hashes[4]); // the duplicate hashes alike
    expect(new Set(hashes.filter(Boolean)).size).toBe(NUMBERS.length);
    // Every other cell as in the source.
    rows.forEach((row, i) => {
      const expected = written([SOURCE[i]!])[0]!;
      const without = [...row.slice(0, MOBILE_AT + 1), ...row.slice(MOBILE_AT + 2)];
      without[PHONE_COLUMN - 1] = expected[PHONE_COLUMN - 1]!;
      without[MOBILE_AT] = expected[MOBILE_AT]!;
      expect(without).toEqual(expected);
    });

    const text = (await readFile(out)).toString('utf8');
    for (const number of NUMBERS) expect(text).not.toContain(number);
    expect(text).not.toMatch(/1\d{10}/);
    expect(text).not.toContain('137 0000 3333');
    for (const cell of [header!, ...rows].flat()) expect(isFormulaRisk(cell)).toBe(false);
    expect(exported.manifest.result.masked).toBe(true);
    expect(exported.manifest.options.output.mask).toBe(true);
  });

  it('the key is asked for once, and only when a hash is made', async () => {
    const { path: source } = await makeSource('batch');
    let asked = 0;
    await exportResult(request(source, join(dir, 'masked.csv'), { mask: true }, () => (asked++, KEY)));
    expect(asked).toBe(1);
  });

  it('another key gives other hashes', async () => {
    const { path: source } = await makeSource('batch');
    await exportResult(request(source, join(dir, 'a.csv'), { mask: true }, () => KEY));
    await exportResult(request(source, join(dir, 'b.csv'), { mask: true }, () => OTHER_KEY));
    const a = await readCsv(join(dir, 'a.csv'));
    const b = await readCsv(join(dir, 'b.csv'));
    expect(b[1]![MOBILE_AT + 1]).toBe(joinHash(OTHER_KEY, '13800001111'));
    expect(a[1]![MOBILE_AT + 1]).not.toBe(b[1]![MOBILE_AT + 1]);
  });

  // Regression: at 135663c the header row went through the masking too ('*****', '******').
  it('keeps the header names of the phone column and of mobile', async () => {
    const { path: source } = await makeSource('batch');
    const out = join(dir, 'masked.csv');
    await exportResult(request(source, out, { mask: true }));
    const [header] = await readCsv(out);
    expect(header).toEqual([...ORIGINAL, 'mobile', 'mobile_hash', ...ADDED_COLUMNS.slice(1)]);
  });
});

describe('exportResult: --split', () => {
  it('writes one file per level (and unscored), each with the header, listed in the manifest', async () => {
    const { path: source } = await makeSource('batch');
    const out = join(dir, 'out', 'res.csv');
    const exported = await exportResult(request(source, out, { split: true }));
    const all = written(SOURCE);
    const expected = { high: [all[0], all[4]], medium: [all[1]], low: [all[2], all[5]], unscored: [all[3]] };
    const levels = exported.manifest.files.levels!;
    expect(Object.keys(levels).sort()).toEqual(['high', 'low', 'medium', 'unscored']);
    for (const [level, rows] of Object.entries(expected)) {
      const path = join(dir, 'out', `res.${level}.csv`);
      const [header, ...got] = await readCsv(path);
      expect(header).toEqual(HEADER);
      expect(got).toEqual(rows);
      await expectFileMatches(levels[level as keyof typeof levels], path, rows.length);
    }
    const manifestPath = join(dir, 'out', 'res.manifest.json');
    // The result first, the level files in LEVELS_AND_UNSCORED order, the manifest last.
    expect(exported.paths).toEqual([out, ...LEVELS_AND_UNSCORED.map((level) => siblingPath(out, level)), manifestPath]);
    expect(LEVELS_AND_UNSCORED).toEqual(['low', 'medium', 'high', 'unscored']);
    expect(await readManifest(manifestPath)).toEqual(exported.manifest);
    expect(exported.manifest.options.output.split).toBe(true);
    // The main file is whole.
    expect((await readCsv(out)).slice(1)).toEqual(all);
  });

  it('an empty level still gets a header-only file, and masked split files are masked', async () => {
    const { path: source } = await makeSource('batch', SOURCE.filter((row) => row.added.risk_level !== 'medium'));
    const out = join(dir, 'res.csv');
    const exported = await exportResult(request(source, out, { split: true, mask: true, encoding: 'gb18030' }));
    expect(await readCsv(join(dir, 'res.medium.csv'), 'gb18030')).toHaveLength(1);
    expect(exported.manifest.files.levels!.medium!.rows).toBe(0);
    const high = await readCsv(join(dir, 'res.high.csv'), 'gb18030');
    expect(high.slice(1).map((row) => row[MOBILE_AT])).toEqual(['138****1111', '138****1111']);
    expect(high.slice(1).map((row) => row[MOBILE_AT + 1])).toEqual([joinHash(KEY, '13800001111'), joinHash(KEY, '13800001111')]);
  });
});

describe('exportResult: --compare', () => {
  /** A small earlier result with only some of the columns (matched by name). */
  async function earlierFile(name = 'earlier.csv', encoding: OutputEncoding = 'utf8-bom'): Promise<string> {
    const path = join(dir, name);
    const file = await openResultCsv(path, ['name', 'phone', 'mobile', 'risk_level'], encoding);
    await file.writeRows([
      ['张三', '13800001111', '13800001111', 'low'],
      ['李四', '13900002222', '13900002222', 'high'],
      ['王五', '13700003333', '13700003333', 'low'],
      ['孙八', '18600005555', '18600005555', 'medium'],
      ['周九', '', '', ''],
      ['孙八', '18600005555', '18600005555', 'medium'],
    ]);
    await file.commit();
    return path;
  }

  const goneRow = (header: string[], cells: Record<string, string>) => header.map((name) => cells[name] ?? '');

  it('adds a change column last, writes <stem>.changes.csv with the changed and gone rows, and counts them', async () => {
    const { path: source } = await makeSource('batch');
    const earlier = await earlierFile();
    const out = join(dir, 'now.csv');
    const exported = await exportResult(request(source, out, { compare: earlier }, neverKey));

    const [header, ...rows] = await readCsv(out);
    expect(header).toEqual([...HEADER, 'change']);
    expect(rows.map((row) => row.at(-1))).toEqual(EXPECTED_CHANGE);
    expect(rows.map((row) => row.slice(0, -1))).toEqual(written(SOURCE));

    const changesPath = join(dir, 'now.changes.csv');
    const [changesHeader, ...changes] = await readCsv(changesPath);
    expect(changesHeader).toEqual([...HEADER, 'change']);
    const all = written(SOURCE);
    const gone = goneRow([...HEADER, 'change'], { name: '孙八', phone: '18600005555', mobile: '18600005555', risk_level: 'medium', change: 'gone' });
    expect(changes).toEqual([
      [...all[0]!, 'level_up'],
      [...all[1]!, 'level_down'],
      [...all[4]!, 'level_up'],
      [...all[5]!, 'new'],
      gone,
    ]);

    const { manifest } = exported;
    expect(manifest.changes).toEqual({
      new: 1,
      level_up: 2,
      level_down: 1,
      unchanged: 1,
      gone: 1,
      compared_with: { name: 'earlier.csv', sha256: sha256(await readFile(earlier)) },
    });
    await expectFileMatches(manifest.files.changes, changesPath, 5);
    expect(manifest.options.output.compare).toBe(earlier);
    expect(exported.paths).toEqual([out, changesPath, join(dir, 'now.manifest.json')]);
    expect(exported.warnings).toEqual([]);
  });

  it('with --split, the level files carry the change column too', async () => {
    const { path: source } = await makeSource('batch');
    const earlier = await earlierFile();
    const out = join(dir, 'now.csv');
    const exported = await exportResult(request(source, out, { compare: earlier, split: true }));
    const high = await readCsv(join(dir, 'now.high.csv'));
    expect(high[0]).toEqual([...HEADER, 'change']);
    expect(high.slice(1).map((row) => row.at(-1))).toEqual(['level_up', 'level_up']);
    expect(exported.paths).toEqual([
      out,
      ...LEVELS_AND_UNSCORED.map((level) => siblingPath(out, level)),
      join(dir, 'now.changes.csv'),
      join(dir, 'now.manifest.json'),
    ]);
    await expectFileMatches(exported.manifest.files.changes, join(dir, 'now.changes.csv'), 5);
  });

  it.each(['utf8', 'gb18030'] as const)('reads an earlier file written in %s', async (encoding) => {
    const { path: source } = await makeSource('batch');
    const earlier = await earlierFile(`earlier-${encoding}.csv`, encoding);
    const exported = await exportResult(request(source, join(dir, 'now.csv'), { compare: earlier }));
    const rows = (await readCsv(join(dir, 'now.csv'))).slice(1);
    expect(rows.map((row) => row.at(-1))).toEqual(EXPECTED_CHANGE);
    const changes = await readCsv(join(dir, 'now.changes.csv'));
    expect(changes.at(-1)![0]).toBe('孙八');
    expect(exported.manifest.changes!.gone).toBe(1);
  });

  it('compares with an earlier masked export by mobile_hash, using the same key', async () => {
    const { path: before } = await makeSource('before', EARLIER_SOURCE);
    const earlier = join(dir, 'before-masked.csv');
    await exportResult(request(before, earlier, { mask: true }));
    const { path: source } = await makeSource('batch');

    // Unmasked now, masked before.
    const out = join(dir, 'now.csv');
    const exported = await exportResult(request(source, out, { compare: earlier }));
    const rows = (await readCsv(out)).slice(1);
    expect(rows.map((row) => row.at(-1))).toEqual(EXPECTED_CHANGE);
    expect(exported.manifest.changes).toMatchObject({ new: 1, level_up: 2, level_down: 1, unchanged: 1, gone: 1 });
    expect(exported.manifest.changes!.compared_with).toEqual({ name: 'before-masked.csv', sha256: sha256(await readFile(earlier)) });
    const changes = await readCsv(join(dir, 'now.changes.csv'));
    expect(changes).toHaveLength(1 + 5);
    const gone = changes.at(-1)!;
    expect(gone.at(-1)).toBe('gone');
    expect(gone[0]).toBe('孙八');
    expect(gone[LEVEL_AT]).toBe('medium');
    expect(gone.join(',')).not.toContain('18600005555');

    // Masked now and before: the gone row keeps its hash.
    const maskedOut = join(dir, 'now-masked.csv');
    const masked = await exportResult(request(source, maskedOut, { compare: earlier, mask: true }));
    expect((await readCsv(maskedOut)).slice(1).map((row) => row.at(-1))).toEqual(EXPECTED_CHANGE);
    expect(masked.manifest.changes).toMatchObject({ new: 1, level_up: 2, level_down: 1, unchanged: 1, gone: 1 });
    const maskedChanges = await readCsv(join(dir, 'now-masked.changes.csv'));
    const maskedGone = maskedChanges.at(-1)!;
    expect(maskedGone.at(-1)).toBe('gone');
    expect(maskedGone[MOBILE_AT]).toBe('186****5555');
    expect(maskedGone[MOBILE_AT + 1]).toBe(joinHash(KEY, '18600005555'));
    for (const path of [maskedOut, join(dir, 'now-masked.changes.csv')]) {
      expect((await readFile(path)).toString('utf8')).not.toMatch(/1\d{10}/);
    }
  });

  it('an earlier masked export made with another key matches nothing, and says so', async () => {
    const { path: before } = await makeSource('before', EARLIER_SOURCE);
    const earlier = join(dir, 'before-masked.csv');
    await exportResult(request(before, earlier, { mask: true }, () => OTHER_KEY));
    const { path: source } = await makeSource('batch');
    const exported = await exportResult(request(source, join(dir, 'now.csv'), { compare: earlier }, () => KEY));
    const rows = (await readCsv(join(dir, 'now.csv'))).slice(1);
    expect(rows.map((row) => row.at(-1))).toEqual(['new', 'new', 'new', '', 'new', 'new']);
    expect(exported.manifest.changes).toMatchObject({ new: 5, level_up: 0, level_down: 0, unchanged: 0, gone: 4 });
    expect(exported.warnings).toHaveLength(1);
    expect(exported.warnings[0]).toContain('RISKSCREEN_SECRET');
  });

  // Regression: with a masked header ('******' for 'mobile'), writeGone found no mobile
  // column and a gone row from an unmasked earlier file had an empty phone, mobile and hash.
  it('masked export compared with an unmasked earlier file: the gone row shows the masked number and its hash', async () => {
    const { path: source } = await makeSource('batch');
    const earlier = await earlierFile();
    const out = join(dir, 'now.csv');
    await exportResult(request(source, out, { compare: earlier, mask: true }));
    const gone = (await readCsv(join(dir, 'now.changes.csv'))).at(-1)!;
    expect(gone.at(-1)).toBe('gone');
    expect(gone[PHONE_COLUMN - 1]).toBe('186****5555');
    expect(gone[MOBILE_AT]).toBe('186****5555');
    expect(gone[MOBILE_AT + 1]).toBe(joinHash(KEY, '18600005555'));
  });

  it('masked export compared with an unmasked earlier file never shows a whole number', async () => {
    const { path: source } = await makeSource('batch');
    const earlier = await earlierFile();
    const out = join(dir, 'now.csv');
    const exported = await exportResult(request(source, out, { compare: earlier, mask: true }));
    expect(exported.manifest.changes).toMatchObject({ new: 1, level_up: 2, level_down: 1, unchanged: 1, gone: 1 });
    for (const path of [out, join(dir, 'now.changes.csv')]) expect((await readFile(path)).toString('utf8')).not.toMatch(/1\d{10}/);
  });

  describe('CompareError (RISKSCREEN_COMPARE), naming the file', () => {
    async function expectCompareError(earlier: string, message: RegExp) {
      const { path: source } = await makeSource('batch');
      const error = await exportResult(request(source, join(dir, 'now.csv'), { compare: earlier })).then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(CompareError);
      expect((error as CompareError).code).toBe('RISKSCREEN_COMPARE');
      expect((error as CompareError).file).toBe(earlier);
      expect((error as CompareError).message).toContain(earlier);
      expect((error as CompareError).message).toMatch(message);
      expect(existsSync(join(dir, 'now.csv'))).toBe(false);
      expect(existsSync(join(dir, 'now.manifest.json'))).toBe(false);
      expect(await tempFiles()).toEqual([]);
    }

    it('a missing file', async () => {
      await expectCompareError(join(dir, 'no-such.csv'), /cannot be read \(ENOENT\)/);
    });

    it('a file without a risk_level column', async () => {
      const path = join(dir, 'no-level.csv');
      await writeFile(path, 'name,mobile\r\n张三,13800001111\r\n');
      await expectCompareError(path, /no "risk_level" column/);
    });

    it('a file without a mobile column', async () => {
      const path = join(dir, 'no-mobile.csv');
      await writeFile(path, 'name,risk_level\r\n张三,low\r\n');
      await expectCompareError(path, /no "mobile" column/);
    });

    it('a masked file without mobile_hash', async () => {
      const path = join(dir, 'masked-no-hash.csv');
      await writeFile(path, 'name,mobile,risk_level\r\n张三,138****1111,low\r\n');
      await expectCompareError(path, /masked.*mobile_hash/);
    });

    it('a level that is not a level', async () => {
      const path = join(dir, 'bad-level.csv');
      await writeFile(path, 'mobile,risk_level\r\n13800001111,low\r\n13900002222,severe\r\n');
      await expectCompareError(path, /line 3.*"severe"/);
    });

    it('malformed CSV (an unclosed quote on a later line)', async () => {
      const path = join(dir, 'broken.csv');
      await writeFile(path, 'mobile,risk_level\r\n13800001111,low\r\n"13900002222,high\r\n');
      await expectCompareError(path, /cannot be read as CSV/);
    });

    it('an empty file', async () => {
      const path = join(dir, 'empty.csv');
      await writeFile(path, '');
      await expectCompareError(path, /empty/);
    });
  });
});

describe('exportResult: order and failures', () => {
  async function firstExport(): Promise<{ source: string; out: string; before: Buffer }> {
    const { path: source } = await makeSource('batch');
    const out = join(dir, 'user', 'out.csv');
    await exportResult(request(source, out, { split: true }));
    expect(existsSync(join(dir, 'user', 'out.manifest.json'))).toBe(true);
    return { source, out, before: await readFile(out) };
  }

  it.each([
    ['an invalid level', 'mobile,risk_level\r\n13800001111,low\r\n13900002222,severe\r\n'],
    ['an unclosed quote on a later line', 'mobile,risk_level\r\n13800001111,low\r\n"13900002222,high\r\n'],
  ])('a bad compare file (%s) fails before anything is replaced: the earlier export and its manifest stay as they were', async (_what, text) => {
    const { source, out, before } = await firstExport();
    const manifestBefore = await readFile(join(dir, 'user', 'out.manifest.json'));
    const earlier = join(dir, 'earlier.csv');
    await writeFile(earlier, text);
    await expect(exportResult(request(source, out, { compare: earlier }))).rejects.toBeInstanceOf(CompareError);
    expect(await readFile(join(dir, 'user', 'out.manifest.json'))).toEqual(manifestBefore);
    expect(await tempFiles()).toEqual([]);
    expect(await readFile(out)).toEqual(before);
    expect((await readdir(join(dir, 'user'))).sort()).toEqual(['out.csv', 'out.high.csv', 'out.low.csv', 'out.manifest.json', 'out.medium.csv', 'out.unscored.csv']);
  });

  it('a failure after the files were opened (the source has more rows than its manifest says) aborts them all', async () => {
    const { source, out, before } = await firstExport();
    const base = await readManifest(manifestPathOf(source));
    await writeManifest(manifestPathOf(source), { ...base, rows: { ...base.rows, total: base.rows.total + 1 } });
    const earlier = join(dir, 'earlier.csv');
    await writeFile(earlier, 'mobile,risk_level\r\n13800001111,low\r\n');
    await expect(exportResult(request(source, out, { compare: earlier, split: true, mask: true }))).rejects.toThrow(/has 6 rows but its manifest says 7/);
    expect(existsSync(join(dir, 'user', 'out.manifest.json'))).toBe(false);
    expect(await tempFiles()).toEqual([]);
    expect(await readFile(out)).toEqual(before);
    expect(existsSync(join(dir, 'user', 'out.changes.csv'))).toBe(false);
  });

  it('a source without a manifest is not ready', async () => {
    const { path: source } = await makeSource('batch');
    await rm(manifestPathOf(source));
    const error = await exportResult(request(source, join(dir, 'out.csv'))).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ResultNotReadyError);
    expect((error as ResultNotReadyError).code).toBe('RISKSCREEN_RESULT_NOT_READY');
    expect((error as Error).message).toContain(source);
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);
    expect(await tempFiles()).toEqual([]);
  });

  it('exporting twice to one place replaces the files and the manifest', async () => {
    const { path: source } = await makeSource('batch');
    const out = join(dir, 'out.csv');
    await exportResult(request(source, out, { encoding: 'gb18030' }));
    const second = await exportResult(request(source, out, { mask: true }));
    const manifest = await readManifest(join(dir, 'out.manifest.json'));
    expect(manifest).toEqual(second.manifest);
    expect(manifest.result.sha256).toBe(sha256(await readFile(out)));
    expect(manifest.result.masked).toBe(true);
    expect(await tempFiles()).toEqual([]);
  });
});

describe('exportResult: refusals and masking everywhere', () => {
  it('refuses to write over the batch result itself, or over the --compare file, and changes nothing', async () => {
    const { path: source } = await makeSource('batch');
    const before = await readFile(source);
    const self = await exportResult(request(source, source, { mask: true })).catch((err: unknown) => err);
    expect(self).toBeInstanceOf(ExportTargetError);
    expect((self as Error).message).toMatch(/is the batch result itself/);
    expect(existsSync(manifestPathOf(source))).toBe(true);
    expect(await readFile(source)).toEqual(before);
    const earlier = join(dir, 'earlier.csv');
    await writeFile(earlier, 'mobile,risk_level\r\n13800001111,low\r\n');
    await expect(exportResult(request(source, earlier, { compare: earlier }))).rejects.toThrow(/is also the --compare file/);
    expect(await readFile(earlier, 'utf8')).toBe('mobile,risk_level\r\n13800001111,low\r\n');
  });

  it('--mask masks numbers in every original column, not only the phone column', async () => {
    const rows: SourceRow[] = [
      { original: ['张三 13600006666', '13800001111', 'backup +86 139-0000-2222'], added: scored('13800001111', 'high', '85') },
    ];
    const { path: source } = await makeSource('batch', rows);
    const out = join(dir, 'masked.csv');
    await exportResult(request(source, out, { mask: true }));
    const text = await readFile(out, 'utf8');
    for (const number of ['13600006666', '13800001111', '13900002222', '0000-2222']) expect(text).not.toContain(number);
    const [, row] = await readCsv(out);
    expect(row!.slice(0, 3)).toEqual(['张三 136****6666', '138****1111', 'backup +86 139-****-2222']);
  });

  it('--mask with --compare: gone rows are masked in every column, wherever the earlier file kept the number', async () => {
    const { path: source } = await makeSource('batch');
    // An earlier result whose columns differ: the number sits in a column the current file calls "note".
    const earlier = join(dir, 'earlier.csv');
    await writeFile(earlier, `name,note,mobile,risk_level\r\nz,18600005555,18600005555,low\r\n`);
    const out = join(dir, 'out.csv');
    await exportResult(request(source, out, { mask: true, compare: earlier }));
    const changes = await readFile(join(dir, 'out.changes.csv'), 'utf8');
    expect(changes).not.toContain('18600005555');
    expect(changes).toContain('186****5555');
  });
});

describe('maskNumbersIn and maskCell', () => {
  it.each([
    ['call 13800138000 or +86 139-0013-9000', 'call 138****8000 or +86 139-****-9000'],
    ['+8613800138000', '+86138****8000'],
    ['008613800138000', '0086138****8000'],
    ['138 0013 8000', '138 **** 8000'],
    ['213800138000', '213800138000'], // 12 digits: not a mobile number
    ['1380013800012', '1380013800012'],
    ['order 20240101123', 'order 20240101123'],
    ['', ''],
  ])('maskNumbersIn(%j) = %j', (input, expected) => {
    expect(maskNumbersIn(input)).toBe(expected);
  });

  it('maskCell keeps 3 and 4 characters of the phone cell (given as read, never neutralized)', () => {
    expect(maskCell('13800138000')).toBe('138****8000');
    expect(maskCell('+86 138 0013 8000')).toBe('+86****8000');
    expect(maskCell("'quoted name")).toBe("'qu****name");
    expect(maskCell('')).toBe('');
  });
});

describe('readEarlierResult: finding the key and the encoding', () => {
  it('an input column named mobile_hash does not make an unmasked file a masked one', async () => {
    const earlier = join(dir, 'earlier.csv');
    await writeFile(earlier, 'mobile_hash,phone,mobile,risk_level\r\nabc,13800001111,13800001111,low\r\n');
    const read = await readEarlierResult(earlier);
    expect(read.keyBy).toBe('mobile');
    expect(read.levels.get('13800001111')).toBe('low');
  });

  it('a GB18030 file whose first 64 KiB are plain ASCII is still read as GB18030', async () => {
    const earlier = join(dir, 'earlier.csv');
    const filler = Array.from({ length: 3000 }, (_, i) => `13${String(100000000 + i)},low,ascii filler row`).join('\r\n');
    const text = `mobile,risk_level,note\r\n${filler}\r\n18600005555,high,张三\r\n`;
    await writeFile(earlier, iconv.encode(text, 'gb18030'));
    expect(Buffer.byteLength(filler)).toBeGreaterThan(64 * 1024);
    const read = await readEarlierResult(earlier);
    expect(read.encoding).toBe('gb18030');
    let last: string[] = [];
    for await (const { row } of earlierRows(read)) last = row;
    expect(last).toEqual(['18600005555', 'high', '张三']);
  });

  it('the manifest beside an earlier result names its encoding', async () => {
    const { path: before } = await makeSource('before', EARLIER_SOURCE);
    const earlier = join(dir, 'old.csv');
    await exportResult(request(before, earlier, { encoding: 'gb18030' }));
    expect((await readEarlierResult(earlier)).encoding).toBe('gb18030');
  });

  it('gone rows of a masked earlier file keep their mobile_hash whole, even when its hex digits look like a number', async () => {
    // Find a number whose hash holds a run of 11 digits starting with 1 (about 1 in 500).
    let number = '';
    for (let i = 0; i < 100_000 && !number; i++) {
      const candidate = `131${String(i).padStart(8, '0')}`;
      if (/(?<!\d)1\d{10}(?!\d)/.test(joinHash(KEY, candidate))) number = candidate;
    }
    expect(number).not.toBe('');
    const { path: before } = await makeSource('before', [{ original: ['旧', number, ''], added: scored(number, 'low', '10') }]);
    const earlier = join(dir, 'before-masked.csv');
    await exportResult(request(before, earlier, { mask: true }));
    const { path: source } = await makeSource('batch');
    await exportResult(request(source, join(dir, 'now.csv'), { compare: earlier, mask: true }));
    const gone = (await readCsv(join(dir, 'now.changes.csv'))).at(-1)!;
    expect(gone.at(-1)).toBe('gone');
    expect(gone[MOBILE_AT + 1]).toBe(joinHash(KEY, number));
  });
});
