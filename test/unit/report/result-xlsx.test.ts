/**
 * The XLSX result writer (result-xlsx.ts), read back by an independent reader, Debian's
 * openpyxl (test/support/openpyxl.ts), and by riskscreen's own (result-xlsx-read.ts).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RUBRIC, rubricDigest } from '../../../src/risk/index.js';
import { RowTally, type ResultManifest } from '../../../src/report/manifest.js';
import { resultColumns } from '../../../src/report/result-columns.js';
import { ADDED_COLUMNS, type AddedColumn, type RowStatus } from '../../../src/report/result-row.js';
import type { ResultFacts, ResultLanguage, SinkOptions } from '../../../src/report/result-sink.js';
import { escapeXlsxText, LEVEL_COLOURS, MAX_SHEET_ROWS, openXlsxSink, unescapeXlsxText, type XlsxLimits } from '../../../src/report/result-xlsx.js';
import { ResultReadError } from '../../../src/report/result-jsonl-read.js';
import { readXlsxResult } from '../../../src/report/result-xlsx-read.js';
import { readWithOpenpyxl, sheetNamed, sheetText, type OpenpyxlCell, type OpenpyxlSheet } from '../../support/openpyxl.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-xlsx-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

// ---------------------------------------------------------------------------
// A CRM export: the input's columns (always text), then riskscreen's.

const INPUT = ['客户编号', '手机', '身份证号', '银行卡号', '网点', '备注'];
const HEADER = [...INPUT, ...ADDED_COLUMNS];
const COLUMNS = resultColumns(HEADER, INPUT.length);
const LONG_REASONS = 'line suspended (+30); tenure <= 3 months (+30); resale check missing: no date given; call minutes missing: not China Telecom';

type Added = Partial<Record<AddedColumn, string>>;

const scored = (mobile: string, level: 'high' | 'medium' | 'low', score: string, extra: Added = {}): Added => ({
  mobile,
  row_status: 'screened',
  carrier: 'cmcc',
  number_kind: 'mobile',
  line_status: 'normal',
  line_status_code: '1',
  tenure: '24+',
  tenure_code: '5',
  province: '广东',
  city: '深圳',
  risk_score: score,
  risk_level: level,
  risk_confidence: '0.80',
  risk_reasons: 'no risk signal',
  ...extra,
});

const INVALID: Added = { row_status: 'invalid', error: 'invalid number (too_short): fewer than 11 digits' };

/** [input cells, added cells]: every awkward cell a CRM list has. */
const SOURCE: [string[], Added][] = [
  [['C0001', '138 0013 8000', '11010519491231002X', '6222021234567890123', '00123', '1E5'], scored('13800138000', 'high', '73', { line_status: 'suspended', line_status_code: '2', tenure: '0-3', tenure_code: '1', resale: 'not_recycled', resale_code: '0', resale_date: '20240131', risk_reasons: LONG_REASONS })],
  [['C0002', '+86 139-0000-1111', '310101199001011234', '6217001234567890123', '00456', '3/4'], scored('13900001111', 'medium', '45', { risk_confidence: '0.50', tenure: '6-12', tenure_code: '3' })],
  [['C0003', '13700001234', '440305198512120021', '6228480402564890018', '01000', '=1+1'], scored('13700001234', 'low', '0', { risk_confidence: '1.00' })],
  [['C0004', '13600001234', '440305198512120022', '4392250012345678', '00007', '+1'], scored('13600001234', 'low', '5')],
  [['C0005', '13500001234', '44030519851212002x', '6222600260001234567', '00008', '-1'], scored('13500001234', 'high', '60', { line_status: 'inactive', line_status_code: '0' })],
  [['C0006', '13400001234', '110105194912310037', '6222021234567890000', '00009', '@x'], scored('13400001234', 'medium', '30')],
  [['C0007', '13300001234', '110105194912310045', '6222021234567890001', '00010', '老客户，已回访；下月再联系'], scored('13300001234', 'low', '10', { carrier: 'ctcc' })],
  [['C0008', '13200001234', '', '', '00011', '第一行\n第二行'], scored('13200001234', 'low', '0')],
  [['C0009', '13100001234', '110105194912310053', '', '00012', 'bell\u0007 and \u0001 and DEL\u007f'], scored('13100001234', 'medium', '35')],
  [['C0010', '1310000', '', '', '00013', 'Windows line\r\nend, tab\there'], INVALID],
  [['C0011', '13000001234', '', '', '00014', '_x0041_ stays _x0041_x0042_, _X004a_'], scored('13000001234', 'low', '0')],
  [['C0012', '15000001234', '', '', '00015', 'AT&amp;T &lt;b&gt; & &copy; &#65;'], scored('15000001234', 'low', '0')],
  [['C0013', '15100001234', '', '', '00016', ' leading and trailing spaces '], scored('15100001234', 'low', '0')],
  [['C0014', '15200001234', '', '', '00017', 'lone \uD800 surrogate, \uDC00 too, and 𠮷野家 😀 \uFFFE\uFFFF'], scored('15200001234', 'low', '0')],
  [['C0015', '15300001234', '', '', '', ''], scored('15300001234', 'low', '0')],
];

const rowOf = ([input, added]: [string[], Added]): string[] => [...input, ...ADDED_COLUMNS.map((column) => added[column] ?? '')];
const ROWS = SOURCE.map(rowOf);
const at = (column: string) => HEADER.indexOf(column);

function manifestOf(rows: readonly string[][], extra: Partial<ResultManifest> = {}): ResultFacts['manifest'] {
  const tally = new RowTally();
  for (const row of rows) tally.add(row[at('row_status')] as RowStatus, row[at('risk_level')] as 'high' | 'medium' | 'low' | '');
  return {
    kind: 'riskscreen.result',
    schema_version: '1.0',
    batch: { id: 'b-20240501-0001', status: 'completed', reason: null, profile: 'standard', apis: ['status', 'tenure', 'resale'], max_calls: null },
    input: { name: '客户名单.xlsx', sha256: 'a'.repeat(64), bytes: 123_456, columns: INPUT.length, phone_column: { number: 2, name: '手机' } },
    rows: tally.counts,
    calls: {
      billable_total: 27,
      billable_by_api: { status: 14, tenure: 12, tenureCmcc: 0, resale: 1, callDuration: 0 },
      cache_hits_total: 3,
      cache_hits_by_api: { status: 1, tenure: 2, tenureCmcc: 0, resale: 0, callDuration: 0 },
      maybe_billed_total: 1,
      maybe_billed_by_api: { status: 1, tenure: 0, tenureCmcc: 0, resale: 0, callDuration: 0 },
    },
    errors_by_code: {},
    rubric: { name: DEFAULT_RUBRIC.name, digest: rubricDigest(DEFAULT_RUBRIC) },
    options: { rates: {}, input: {}, output: { encoding: 'utf8-bom', mask: false, split: false, compare: null } },
    times: {
      created: '2024-05-01T08:00:00.000Z',
      ingest_started: '2024-05-01T08:00:01.000Z',
      screening_started: '2024-05-01T08:00:02.000Z',
      reporting_started: '2024-05-01T08:03:00.000Z',
      result_written: '2024-05-01T08:03:05.000Z',
      files_written: '2024-05-01T08:03:05.000Z',
    },
    ...extra,
  };
}

interface WriteOptions {
  name?: string;
  language?: ResultLanguage;
  part?: SinkOptions['part'];
  limits?: XlsxLimits;
  facts?: ResultFacts;
  /** Rows per writeRows call. */
  batch?: number;
}

async function writeWorkbook(rows: readonly string[][], options: WriteOptions = {}) {
  const path = join(dir, options.name ?? 'result.xlsx');
  const sink = await openXlsxSink({ path, columns: COLUMNS, encoding: 'utf8-bom', language: options.language ?? 'zh', part: options.part ?? 'result' }, options.limits);
  const batch = options.batch ?? 4;
  for (let i = 0; i < rows.length; i += batch) await sink.writeRows(rows.slice(i, i + batch));
  const written = await sink.commit(options.facts ?? { manifest: manifestOf(rows), rubric: DEFAULT_RUBRIC });
  return { path, written };
}

/** A results sheet's data rows as the CSV holds them, from openpyxl's values (no riskscreen code involved). */
function csvRows(sheet: OpenpyxlSheet): string[][] {
  return sheet.rows.slice(1).map((row) =>
    row.map((cell, i) => {
      const { value } = cell;
      if (value === null) return '';
      if (typeof value === 'string') return cell.text!;
      if (typeof value === 'number') return HEADER[i] === 'risk_confidence' ? value.toFixed(2) : String(value);
      if (typeof value === 'object' && 'datetime' in value) return value.datetime.slice(0, 10).replaceAll('-', '');
      throw new Error(`${cell.ref}: unexpected ${JSON.stringify(value)}`);
    }),
  );
}

const cellAt = (sheet: OpenpyxlSheet, row: number, column: string): OpenpyxlCell => sheet.rows[row - 1]![at(column)]!;
const letter = (n: number) => (n > 26 ? String.fromCharCode(64 + Math.floor((n - 1) / 26)) : '') + String.fromCharCode(65 + ((n - 1) % 26));

/** The summary's sections: heading -> key -> value (a heading is a bold key with no value). */
function summarySections(sheet: OpenpyxlSheet): Map<string, Map<string, OpenpyxlCell['value']>> {
  const sections = new Map<string, Map<string, OpenpyxlCell['value']>>();
  let current = new Map<string, OpenpyxlCell['value']>();
  for (const [key, value] of sheet.rows.map((row) => [row[0], row[1]] as const)) {
    if (!key || key.value === null) {
      if (value && value.value !== null) current.set('', value.text ?? value.value);
      continue;
    }
    if (key.bold && (!value || value.value === null)) {
      current = new Map();
      sections.set(key.text!, current);
      continue;
    }
    current.set(key.text!, value?.text ?? value?.value ?? null);
  }
  return sections;
}

describe('openXlsxSink: the results sheet, read by openpyxl', () => {
  it('keeps every input cell as text, exactly as given, and types the added columns', async () => {
    const { path, written } = await writeWorkbook(ROWS);
    expect(written).toMatchObject({ path, name: 'result.xlsx', rows: ROWS.length, sheets: [{ name: '结果', rows: ROWS.length }] });
    const book = await readWithOpenpyxl(path);
    expect(book.sheets.map((s) => s.name)).toEqual(['结果', '汇总']);
    const sheet = sheetNamed(book, '结果');

    expect(sheetText(sheet)[0]).toEqual(HEADER);
    expect(csvRows(sheet)).toEqual(ROWS);
    for (const [r, row] of ROWS.entries()) {
      const cells = sheet.rows[r + 1]!;
      for (let c = 0; c < INPUT.length; c++) {
        const cell = cells[c]!;
        const want = row[c]!;
        if (want === '') {
          // An empty input cell is a cell with the text format and no value.
          expect(cell.value, `${cell.ref}`).toBeNull();
          expect(cell.format).toBe('@');
          continue;
        }
        expect(cell.type, `${cell.ref} ${JSON.stringify(want)}`).toBe('s');
        expect(cell.format).toBe('@');
        expect(cell.text, `${cell.ref}`).toBe(want);
        // Only the characters XML cannot hold (and `_xHHHH_` look-alikes) are escaped:
        // any other text is stored as it is.
        if (escapeXlsxText(want) === want) expect(cell.value).toBe(want);
      }
    }
    // The notes column holds `1E5`, `3/4`, `=1+1`: text, not numbers, dates or formulas.
    expect(sheetText(sheet).slice(1).map((row) => row[at('备注')])).toEqual(ROWS.map((row) => row[at('备注')]));

    const first = 2;
    expect(cellAt(sheet, first, 'risk_score')).toMatchObject({ value: 73, type: 'n', format: '0' });
    expect(cellAt(sheet, first, 'risk_confidence')).toMatchObject({ value: 0.8, type: 'n', format: '0.00' });
    expect(cellAt(sheet, first + 1, 'risk_confidence')).toMatchObject({ value: 0.5, type: 'n' });
    expect(cellAt(sheet, first, 'resale_date')).toMatchObject({ value: { datetime: '2024-01-31T00:00:00' }, type: 'd', format: 'yyyy-mm-dd' });
    expect(cellAt(sheet, first, 'mobile')).toMatchObject({ value: '13800138000', type: 's', format: '@' });
    expect(cellAt(sheet, first, 'line_status_code')).toMatchObject({ value: '2', type: 's' });
    expect(cellAt(sheet, first, 'risk_reasons')).toMatchObject({ value: LONG_REASONS, type: 's' });
    // Empty added cells have no value (a date or number column's too).
    expect(cellAt(sheet, first + 1, 'resale_date').value).toBeNull();
    expect(cellAt(sheet, first + 9, 'risk_score').value).toBeNull();
    expect(cellAt(sheet, first + 9, 'error')).toMatchObject({ value: INVALID.error, type: 's' });

    // No cell anywhere is a formula.
    for (const s of book.sheets) for (const row of s.rows) for (const cell of row) expect(cell.type, `${s.name}!${cell.ref}`).not.toBe('f');
  });

  it('has a bold, frozen header with a filter over it, fitted widths and coloured levels', async () => {
    const { path } = await writeWorkbook(ROWS);
    const sheet = sheetNamed(await readWithOpenpyxl(path), '结果');
    expect(sheet.freezePanes).toBe('A2');
    expect(sheet.autoFilter).toBe(`A1:${letter(HEADER.length)}1`);
    for (const cell of sheet.rows[0]!) expect(cell.bold, cell.ref).toBe(true);
    for (const cell of sheet.rows[1]!) expect(cell.bold, cell.ref).toBe(false);

    const width = (column: string) => sheet.widths[letter(at(column) + 1)];
    expect(Object.keys(sheet.widths)).toHaveLength(HEADER.length);
    expect(width('身份证号')).toBe(18 + 2); // 18 digits
    expect(width('银行卡号')).toBe(19 + 2); // 19 digits
    expect(width('risk_reasons')).toBe(60); // the longest, capped
    expect(width('网点')).toBe(4 + 3 + 2); // the header (two CJK characters, the filter's button) is wider than `00123`
    expect(width('carrier')).toBe('carrier'.length + 3 + 2);
    expect(width('risk_score')).toBeGreaterThanOrEqual(6);
    for (const w of Object.values(sheet.widths)) expect(w).toBeGreaterThanOrEqual(6);

    const levels = sheet.rows.slice(1).map((row) => row[at('risk_level')]!);
    for (const cell of levels) {
      const level = cell.value as 'high' | 'medium' | 'low' | null;
      if (level === null) {
        expect(cell.fill, cell.ref).toBeNull();
        continue;
      }
      expect(cell.fill, `${cell.ref} ${level}`).toBe(LEVEL_COLOURS[level].fill);
      expect(cell.font, `${cell.ref} ${level}`).toBe(LEVEL_COLOURS[level].font);
    }
    expect(new Set(levels.map((cell) => cell.fill))).toEqual(new Set([LEVEL_COLOURS.high.fill, LEVEL_COLOURS.medium.fill, LEVEL_COLOURS.low.fill, null]));
    // Other cells of the row are not coloured.
    expect(cellAt(sheet, 2, 'risk_score').fill).toBeNull();
  });

  it('fits widths to the header and the first widthSampleRows rows only', async () => {
    // The first two rows' notes: `老客户，已回访；下月再联系` (13 CJK characters, 26 wide) and `+1`;
    // the third's, 40 wide, comes after the sample.
    const rows = [rowOf(SOURCE[6]!), rowOf(SOURCE[3]!), rowOf([['C9', '1', '', '', '', 'x'.repeat(40)], scored('13800138000', 'low', '0')])];
    const { path } = await writeWorkbook(rows, { limits: { widthSampleRows: 2 }, batch: 1 });
    const sheet = sheetNamed(await readWithOpenpyxl(path), '结果');
    expect(sheet.widths[letter(at('备注') + 1)]).toBe(26 + 2);
    expect(csvRows(sheet)).toEqual(rows);
  });
});

describe('openXlsxSink: the summary sheet', () => {
  it('zh: the batch, the input, the counts of the manifest, the calls, the rubric in words and the colours', async () => {
    const manifest = manifestOf(ROWS);
    const { path, written } = await writeWorkbook(ROWS, { facts: { manifest, rubric: DEFAULT_RUBRIC } });
    const book = await readWithOpenpyxl(path);
    expect(book.sheets.map((s) => s.name)).toEqual(['结果', '汇总']);
    const summary = sheetNamed(book, '汇总');
    const sections = summarySections(summary);
    expect([...sections.keys()]).toEqual(['riskscreen 结果', '批次', '输入文件', '时间（UTC）', '本文件', '批次行数（按状态）', '批次行数（按风险等级）', '调用', '风险评分规则', '等级颜色（risk_level 单元格）']);

    expect(sections.get('批次')!.get('批次号')).toBe('b-20240501-0001');
    expect(sections.get('批次')!.get('状态')).toBe('completed');
    expect(sections.get('输入文件')!.get('文件名')).toBe('客户名单.xlsx');
    expect(sections.get('输入文件')!.get('SHA-256')).toBe('a'.repeat(64));
    expect(sections.get('时间（UTC）')!.get('创建')).toBe('2024-05-01T08:00:00.000Z');
    expect(sections.get('本文件')!.get('本文件行数')).toBe(written.rows);
    expect(sections.get('本文件')!.get('内容')).toMatch(/全部结果/);
    expect(sections.get('本文件')!.get('工作表「结果」')).toBe(ROWS.length);

    const byStatus = sections.get('批次行数（按状态）')!;
    expect(byStatus.get('合计')).toBe(manifest.rows.total);
    expect(byStatus.get('已查询（screened）')).toBe(manifest.rows.by_status.screened);
    expect(byStatus.get('无效号码（invalid）')).toBe(manifest.rows.by_status.invalid);
    expect(byStatus.get('部分查询（partial）')).toBe(0);
    const byLevel = sections.get('批次行数（按风险等级）')!;
    expect(byLevel.get('高（high）')).toBe(manifest.rows.by_level.high);
    expect(byLevel.get('中（medium）')).toBe(manifest.rows.by_level.medium);
    expect(byLevel.get('低（low）')).toBe(manifest.rows.by_level.low);
    expect(byLevel.get('未评分：无效号码（unscored）')).toBe(manifest.rows.by_level.unscored);
    expect([manifest.rows.by_level.high, manifest.rows.by_level.medium, manifest.rows.by_level.unscored]).toEqual([2, 3, 1]);

    const calls = sections.get('调用')!;
    expect(calls.get('计费调用：合计')).toBe(27);
    expect(calls.get('计费调用：手机在网状态（status）')).toBe(14);
    expect(calls.get('计费调用：手机在网时长（tenure）')).toBe(12);
    expect(calls.get('缓存命中：合计')).toBe(3);
    expect(calls.get('可能已计费：合计')).toBe(1);
    // A manifest written before plans: the batch asked everything, and saved nothing.
    expect(sections.get('批次')!.get('查询计划（--plan）')).toBe('全部（all）：同时查询配置中的所有接口');
    expect(calls.get('分步查询省下：合计')).toBe(0);
    expect([...calls.keys()].filter((key) => key.startsWith('分步查询省下（'))).toEqual([]);

    const rubric = sections.get('风险评分规则')!;
    expect(rubric.get('名称')).toBe('default');
    expect(rubric.get('摘要（sha256）')).toBe(rubricDigest(DEFAULT_RUBRIC));
    expect(rubric.get('等级')).toBe('0-29 分为低，30-59 分为中，60-100 分为高');
    expect(rubric.get('加分：在网状态')).toBe('停机 [suspended] +30; 在网但不可用 [unavailable] +30; 不在网（销号或未启用） [inactive] +60; 预销号 [pre_cancel] +50; 其他值 +0; 缺失 +15; 权重 35');
    expect(rubric.get('规则 line_not_in_service')).toBe('在网状态为 inactive 或 pre_cancel 时：不论分数，等级为高（high）');

    const legendFills = new Set(Object.values(LEVEL_COLOURS).map((colour) => colour.fill));
    const legend = summary.rows.filter((row) => legendFills.has(row[0]?.fill ?? ''));
    expect(legend.map((row) => [row[0]!.text, row[0]!.fill, row[1]!.fill])).toEqual([
      ['高（high）', LEVEL_COLOURS.high.fill, LEVEL_COLOURS.high.fill],
      ['中（medium）', LEVEL_COLOURS.medium.fill, LEVEL_COLOURS.medium.fill],
      ['低（low）', LEVEL_COLOURS.low.fill, LEVEL_COLOURS.low.fill],
    ]);
    for (const row of summary.rows) for (const cell of row) if (cell.value !== null) expect(['s', 'n']).toContain(cell.type);
    expect(summary.widths.A).toBeGreaterThanOrEqual(16);
    expect(summary.widths.B).toBeGreaterThanOrEqual(24);
  });

  it('the staged plan: the plan in words, and the calls it saved by API and in total, zh and en', async () => {
    const base = manifestOf(ROWS);
    const manifest: ResultFacts['manifest'] = {
      ...base,
      calls: { ...base.calls, saved_by_staging_total: 9, saved_by_staging_by_api: { status: 0, tenure: 5, tenureCmcc: 0, resale: 4, callDuration: 0 } },
      options: { ...base.options, plan: 'staged' },
    };
    const zh = summarySections(sheetNamed(await readWithOpenpyxl((await writeWorkbook(ROWS, { facts: { manifest, rubric: DEFAULT_RUBRIC } })).path), '汇总'));
    expect(zh.get('批次')!.get('查询计划（--plan）')).toBe('分步（staged）：先查在网状态，其结果不能确定风险等级时才查其他接口');
    const calls = zh.get('调用')!;
    expect(calls.get('分步查询省下（未查询：在网状态已确定等级）：手机在网时长（tenure）')).toBe(5);
    expect(calls.get('分步查询省下（未查询：在网状态已确定等级）：全网二次放号查询（resale）')).toBe(4);
    expect(calls.get('分步查询省下（未查询：在网状态已确定等级）：手机在网状态（status）')).toBe(0);
    expect(calls.get('分步查询省下：合计')).toBe(9);

    const en = summarySections(sheetNamed(await readWithOpenpyxl((await writeWorkbook(ROWS, { name: 'en.xlsx', language: 'en', facts: { manifest, rubric: DEFAULT_RUBRIC } })).path), 'Summary'));
    expect(en.get('Batch')!.get('Plan (--plan)')).toBe('staged: line status first; the other APIs only when its answer leaves the level open');
    expect(en.get('Calls')!.get('Saved by staging (not asked: line status decided the level): tenure on the network (tenure)')).toBe(5);
    expect(en.get('Calls')!.get('Saved by staging: total')).toBe(9);
  });

  it('en: English sheet names and words, the changes, each signal\'s points and each hard rule in plain words', async () => {
    const changes = { new: 2, level_up: 1, level_down: 0, unchanged: 3, gone: 4, compared_with: { name: 'last-week.xlsx', sha256: 'b'.repeat(64) } };
    const manifest = manifestOf(ROWS, { changes });
    const { path } = await writeWorkbook(ROWS, { language: 'en', part: 'changes', facts: { manifest, rubric: DEFAULT_RUBRIC } });
    const book = await readWithOpenpyxl(path);
    expect(book.sheets.map((s) => s.name)).toEqual(['Results', 'Summary']);
    const sections = summarySections(sheetNamed(book, 'Summary'));
    expect(sections.get('Batch')!.get('Batch id')).toBe('b-20240501-0001');
    expect(sections.get('Batch')!.get('Reason')).toBe('none');
    expect(sections.get('This file')!.get('Holds')).toBe('the rows that changed since the earlier result (--compare)');
    expect(sections.get('This file')!.get('Rows in this file')).toBe(ROWS.length);
    expect(sections.get('Rows of the batch by status')!.get('screened')).toBe(manifest.rows.by_status.screened);
    expect(sections.get('Rows of the batch by risk level')!.get('high')).toBe(2);
    const changed = sections.get('Changes since the earlier result')!;
    expect(changed.get('new')).toBe(2);
    expect(changed.get('level up')).toBe(1);
    expect(changed.get('gone (earlier file only)')).toBe(4);
    expect(changed.get('Compared with')).toBe(`last-week.xlsx (sha256 ${'b'.repeat(64)})`);
    expect(sections.get('Calls')!.get('Billed calls: line status (status)')).toBe(14);
    expect(sections.get('Level colours (risk_level cells)')!.get('high')).toBe('high risk: red');
    const rubric = sections.get('Risk rubric')!;
    expect(rubric.get('Name')).toBe('default');
    expect(rubric.get('Levels')).toBe('score 0-29 low, 30-59 medium, 60-100 high');
    expect(rubric.get('Points: tenure')).toBe(
      'tenure <= 3 months [0-3] +30; tenure 3-6 months [3-6] +20; tenure 6-12 months [6-12] +10; tenure 12-24 months [12-24] +5; number has left the network [left_network] +60; other values +0; missing +10; weight 30',
    );
    expect(rubric.get('Rule recycled_after_date')).toBe('resale check (二次放号) is recycled: level high whatever the points');
    expect(rubric.get('Never low below confidence')).toMatch(/^0\.6: /);
  });
});

describe('openXlsxSink: past a sheet\'s rows', () => {
  it('continues on "结果 2", "结果 3", the header repeated, and says so (and a rubric not at hand is named only)', async () => {
    const rows = ROWS.slice(0, 7);
    const { path, written } = await writeWorkbook(rows, { limits: { maxSheetRows: 3 }, batch: 2, facts: { manifest: manifestOf(rows), rubric: null } });
    expect(written.rows).toBe(7);
    expect(written.sheets).toEqual([
      { name: '结果', rows: 3 },
      { name: '结果 2', rows: 3 },
      { name: '结果 3', rows: 1 },
    ]);
    const book = await readWithOpenpyxl(path);
    expect(book.sheets.map((s) => s.name)).toEqual(['结果', '结果 2', '结果 3', '汇总']);
    const spilled = book.sheets.slice(0, 3).map(sheetText);
    expect(spilled.map((sheet) => sheet.length)).toEqual([4, 4, 2]);
    for (const [i, sheet] of spilled.entries()) {
      expect(sheet[0]).toEqual(HEADER);
      expect(book.sheets[i]!.freezePanes).toBe('A2');
      expect(book.sheets[i]!.autoFilter).toBe(`A1:${letter(HEADER.length)}1`);
      expect(book.sheets[i]!.rows[0]!.every((cell) => cell.bold)).toBe(true);
    }
    expect(book.sheets.slice(0, 3).flatMap(csvRows)).toEqual(rows);
    const thisFile = summarySections(sheetNamed(book, '汇总')).get('本文件')!;
    expect(thisFile.get('工作表「结果」')).toBe(3);
    expect(thisFile.get('工作表「结果 2」')).toBe(3);
    expect(thisFile.get('工作表「结果 3」')).toBe(1);
    expect(thisFile.get('')).toMatch(/^每张工作表最多 3 行.*下一张工作表/);
    // With no rubric at hand, the summary names it only.
    const rubric = summarySections(sheetNamed(book, '汇总')).get('风险评分规则')!;
    expect([...rubric.entries()]).toEqual([
      ['名称', 'default'],
      ['摘要（sha256）', rubricDigest(DEFAULT_RUBRIC)],
      ['', '此处没有该规则的内容；名称和摘要可识别它。'],
    ]);
  });

  it('en spills to "Results 2"; the default is Excel\'s limit less the header', async () => {
    expect(MAX_SHEET_ROWS).toBe(1_048_576 - 1);
    const { written } = await writeWorkbook(ROWS.slice(0, 3), { language: 'en', limits: { maxSheetRows: 2 } });
    expect(written.sheets).toEqual([
      { name: 'Results', rows: 2 },
      { name: 'Results 2', rows: 1 },
    ]);
  });
});

describe('openXlsxSink: the file', () => {
  it('reports the bytes and sha256 of the file on disk and leaves nothing else', async () => {
    const { path, written } = await writeWorkbook(ROWS);
    const bytes = await readFile(path);
    expect(written.bytes).toBe(bytes.length);
    expect(written.sha256).toBe(sha256(bytes));
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(await readdir(dir)).toEqual(['result.xlsx']);
  });

  it('abort leaves no file, before or after rows were written', async () => {
    const path = join(dir, 'result.xlsx');
    const early = await openXlsxSink({ path, columns: COLUMNS, encoding: 'utf8-bom', language: 'zh', part: 'result' });
    await early.abort();
    expect(await readdir(dir)).toEqual([]);

    const late = await openXlsxSink({ path, columns: COLUMNS, encoding: 'utf8-bom', language: 'zh', part: 'result' }, { widthSampleRows: 2 });
    await late.writeRows(ROWS);
    await late.abort();
    await late.abort();
    await expect(late.writeRows(ROWS)).rejects.toThrow(/aborted/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a cell that is not its column\'s type fails the write (even among the rows held for the widths) and leaves no file', async () => {
    const path = join(dir, 'result.xlsx');
    const sink = await openXlsxSink({ path, columns: COLUMNS, encoding: 'utf8-bom', language: 'zh', part: 'result' });
    const bad = rowOf([['C1', '1', '', '', '', ''], scored('13800138000', 'low', 'seventy')]);
    await expect(sink.writeRows([bad])).rejects.toThrow(/risk_score: "seventy" is not a whole number/);
    await expect(sink.commit({ manifest: manifestOf([bad]), rubric: null })).rejects.toThrow(/risk_score: "seventy" is not a whole number/);
    expect(await readdir(dir)).toEqual([]);

    // Past the rows held for the widths, the write itself fails, and so does the commit.
    const later = await openXlsxSink({ path, columns: COLUMNS, encoding: 'utf8-bom', language: 'zh', part: 'result' }, { widthSampleRows: 1 });
    await expect(later.writeRows([ROWS[0]!, bad])).rejects.toThrow(/risk_score: "seventy"/);
    await expect(later.commit({ manifest: manifestOf([bad]), rubric: null })).rejects.toThrow(/risk_score: "seventy"/);
    await later.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it('an empty result is the header and the summary', async () => {
    const { path, written } = await writeWorkbook([]);
    expect(written).toMatchObject({ rows: 0, sheets: [{ name: '结果', rows: 0 }] });
    const book = await readWithOpenpyxl(path);
    expect(sheetText(sheetNamed(book, '结果'))).toEqual([HEADER]);
  });
});

describe('readXlsxResult', () => {
  const readAll = async (path: string) => {
    const rows: { row: string[]; line: number; sheet: string }[] = [];
    for await (const row of readXlsxResult(path)) rows.push(row);
    return rows;
  };

  it('gives back the header and exactly the rows written, as the CSV holds them, across sheets', async () => {
    const { path } = await writeWorkbook(ROWS, { limits: { maxSheetRows: 4 } });
    const read = await readAll(path);
    // All but a literal entity, which exceljs's parser decodes a second time (see result-xlsx.ts).
    const doubleDecoded = (row: readonly string[]) => row.map((cell) => cell.replace(/&(lt|gt|amp|apos|quot);/g, (_, name: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[name]!));
    expect(read.map((r) => r.row)).toEqual([HEADER, ...ROWS.map(doubleDecoded)]);
    expect(read.slice(0, 6).map((r) => [r.sheet, r.line])).toEqual([
      ['结果', 1],
      ['结果', 2],
      ['结果', 3],
      ['结果', 4],
      ['结果', 5],
      ['结果 2', 2],
    ]);
    expect(read.at(-1)).toMatchObject({ sheet: '结果 4', line: 4 });
    // Typed cells come back in the CSV's form.
    expect(read[1]!.row[at('risk_score')]).toBe('73');
    expect(read[1]!.row[at('risk_confidence')]).toBe('0.80');
    expect(read[2]!.row[at('risk_confidence')]).toBe('0.50');
    expect(read[3]!.row[at('risk_confidence')]).toBe('1.00');
    expect(read[1]!.row[at('resale_date')]).toBe('20240131');
  });

  it('reads an English workbook', async () => {
    const { path } = await writeWorkbook(ROWS.slice(0, 5), { language: 'en', limits: { maxSheetRows: 2 } });
    expect((await readAll(path)).map((r) => r.row)).toEqual([HEADER, ...ROWS.slice(0, 5)]);
  });

  it('refuses a workbook that is not a riskscreen result, and a file that is not a workbook', async () => {
    const other = join(dir, 'other.xlsx');
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Sheet1').addRow(['name', 'phone']);
    await workbook.xlsx.writeFile(other);
    await expect(readAll(other)).rejects.toThrow(/other\.xlsx: not a riskscreen XLSX result: it has no results sheet \(结果 or Results\); its sheets: "Sheet1"$/);
    await expect(readAll(other)).rejects.toBeInstanceOf(ResultReadError);

    const text = join(dir, 'result.xlsx');
    await writeFile(text, 'name,phone\r\n张三,13800138000\r\n');
    await expect(readAll(text)).rejects.toThrow(/result\.xlsx: not an XLSX workbook/);
  });
});

describe('escapeXlsxText', () => {
  it('escapes what XML cannot hold, CR, DEL and `_xHHHH_` look-alikes, and nothing else', () => {
    expect(escapeXlsxText('a\u0001b')).toBe('a_x0001_b');
    expect(escapeXlsxText('tab\tLF\nCR\r')).toBe('tab\tLF\nCR_x000D_');
    expect(escapeXlsxText('\u007f\uFFFE\uFFFF')).toBe('_x007F__xFFFE__xFFFF_');
    expect(escapeXlsxText('\uD800 \uDC00 𠮷')).toBe('_xD800_ _xDC00_ 𠮷');
    expect(escapeXlsxText('_x0041_')).toBe('_x005F_x0041_');
    expect(escapeXlsxText('_x0041_x0042_')).toBe('_x005F_x0041_x005F_x0042_');
    expect(escapeXlsxText('_x004g_ _x41_ x0041_')).toBe('_x004g_ _x41_ x0041_');
    expect(escapeXlsxText('AT&amp;T &lt; & &copy;')).toBe('AT&amp;T &lt; & &copy;');
    expect(escapeXlsxText('张三 =1+1 00123')).toBe('张三 =1+1 00123');
  });

  it('is undone by unescapeXlsxText, whatever the string', () => {
    const alphabet = ['_', 'x', '0', '0', '4', '1', '5', 'F', 'f', 'D', '&', 'amp;', 'lt;', '\u0000', '\u0001', '\r', '\n', '\t', '\u007f', '\uD800', '\uDC00', '\uFFFF', '张', 'a'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      expect(unescapeXlsxText(escapeXlsxText(text)), JSON.stringify(text)).toBe(text);
    }
  });
});
