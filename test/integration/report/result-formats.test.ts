/**
 * A list exported from a CRM (IDs, bank cards, leading zeros, `1E5`, `3/4`, `=1+1`,
 * Chinese text) screened by `riskscreen run` and written as a workbook, then the same
 * batch re-exported with `riskscreen result` as JSON Lines, Parquet and CSV, without a
 * call. Each file is read back by a reader riskscreen does not ship: openpyxl for the
 * workbook, ajv against docs/result.schema.json for JSON Lines, DuckDB for Parquet.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { main } from '../../../src/cli/main.js';
import { unneutralizeCell } from '../../../src/report/csv-safety.js';
import type { ResultManifest } from '../../../src/report/manifest.js';
import { ADDED_COLUMNS, ROW_STATUSES } from '../../../src/report/result-row.js';
import { captureIo } from '../../support/capture-io.js';
import { FAST, useCliEmulator } from '../../support/cli-emulator.js';
import { writeCrmList, CRM_HEADER, type CrmList } from '../../support/crm-list.js';
import { readWithOpenpyxl, sheetNamed, sheetText } from '../../support/openpyxl.js';

const env = useCliEmulator({ seed: 'result-formats' });

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

function manifestAt(path: string): ResultManifest {
  return JSON.parse(readFileSync(path, 'utf8')) as ResultManifest;
}

const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as unknown as FormatsPlugin;

/** Screens the CRM list into a workbook; answers the list, the batch id and the workbook's manifest. */
async function screenToWorkbook(): Promise<{ list: CrmList; batch: string; out: string; manifest: ResultManifest }> {
  const list = writeCrmList(env.dir);
  const out = join(env.dir, 'out', 'result.xlsx');
  const run = await cli(['run', list.path, '--column', '手机号', '--out', out, ...FAST]);
  expect(run.err).toBe('');
  expect(run.code).toBe(EXIT.ok);
  const manifest = manifestAt(`${out}.manifest.json`);
  return { list, batch: manifest.batch.id, out, manifest };
}

describe('result formats: a CRM list that a CSV would damage', () => {
  it('run --out result.xlsx: the original cells are text and equal the input byte for byte, no cell is a formula, the summary counts are the batch\'s', async () => {
    const { list, out, manifest } = await screenToWorkbook();
    expect(manifest.result).toMatchObject({ file: 'result.xlsx', format: 'xlsx', rows: 50, sheets: [{ name: '结果', rows: 50 }] });
    expect(manifest.options.output).toMatchObject({ format: 'xlsx', language: 'zh' });

    const book = await readWithOpenpyxl(out);
    expect(book.sheets.map((sheet) => sheet.name)).toEqual(['结果', '汇总']);
    const results = sheetNamed(book, '结果');
    expect(results.freezePanes).toBe('A2');
    expect(results.autoFilter).toMatch(/^A1:[A-Z]+1$/);
    const header = sheetText(results)[0]!;
    expect(header).toEqual([...CRM_HEADER, ...ADDED_COLUMNS]);

    const original = CRM_HEADER.length;
    for (const [i, row] of list.rows.entries()) {
      const cells = results.rows[i + 1]!;
      for (let c = 0; c < original; c++) {
        const cell = cells[c]!;
        const where = `row ${i + 2}, ${CRM_HEADER[c]}`;
        if (row[c] === '') {
          expect(cell.value, where).toBeNull();
        } else {
          expect(cell.type, where).toBe('s');
          expect(cell.text, where).toBe(row[c]);
        }
      }
    }
    for (const sheet of book.sheets) for (const row of sheet.rows) for (const cell of row) expect(cell.type, `${sheet.name}!${cell.ref}`).not.toBe('f');

    // What a double click does to a CSV: none of it here.
    const column = (name: string) => results.rows.slice(1).map((row) => row[CRM_HEADER.indexOf(name)]!.text);
    expect(column('身份证号').every((id) => /^\d{17}[\dX]$/.test(id ?? ''))).toBe(true);
    expect(column('银行卡号').every((card) => /^\d{19}$/.test(card ?? ''))).toBe(true);
    expect(column('网点代码')[1]).toBe('00037');
    expect(column('备注')).toEqual(expect.arrayContaining(['1E5', '3/4', '=1+1', "'=1+1", '第一行\n第二行']));

    // The typed columns, and the summary's counts against the batch's.
    const scoreAt = original + ADDED_COLUMNS.indexOf('risk_score');
    const statusAt = original + ADDED_COLUMNS.indexOf('row_status');
    const scored = results.rows.slice(1).filter((row) => row[scoreAt]!.value !== null);
    expect(scored.length).toBe(manifest.rows.total - manifest.rows.by_status.invalid);
    for (const row of scored) expect(row[scoreAt]!.type).toBe('n');
    const statuses = results.rows.slice(1).map((row) => row[statusAt]!.text);
    for (const status of ROW_STATUSES) expect(statuses.filter((s) => s === status).length).toBe(manifest.rows.by_status[status]);

    const summary = sheetText(sheetNamed(book, '汇总'));
    const flat = summary.map((row) => row.join('\t')).join('\n');
    expect(flat).toContain(manifest.batch.id);
    expect(flat).toContain(manifest.input.sha256);
    for (const status of ROW_STATUSES) {
      const line = summary.find((row) => row.some((cell) => cell.includes(status)));
      expect(line, `a summary row for ${status}`).toBeDefined();
      expect(line!.map((cell) => cell.replace(/,/g, ''))).toContain(String(manifest.rows.by_status[status]));
    }
    expect(flat.replace(/,/g, '')).toContain(String(manifest.calls.billable_total));
  });

  it('result BATCH --format jsonl / parquet / csv: the same rows again, no call made; JSON Lines valid against the shipped schema, Parquet typed for DuckDB', async () => {
    const { list, batch, manifest } = await screenToWorkbook();
    const callsBefore = env.emulator.ledger.stats().calls;

    // JSON Lines, chosen by --format with a name that has no extension of its own.
    const jsonl = join(env.dir, 'out', 'result.data');
    const asJsonl = await cli(['result', batch, '--format', 'jsonl', '--out', jsonl]);
    expect(asJsonl.err).toBe('');
    expect(asJsonl.code).toBe(EXIT.ok);
    const schema = JSON.parse(readFileSync(new URL('../../../docs/result.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    ajv.addKeyword('x-riskscreen-schema-version');
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const lines = readFileSync(jsonl, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(50);
    for (const [i, line] of lines.entries()) {
      expect(validate(line), JSON.stringify(validate.errors)).toBe(true);
      expect(Object.values(line.input as Record<string, string>)).toEqual(list.rows[i]);
    }
    const jsonlManifest = manifestAt(`${jsonl}.manifest.json`);
    expect(jsonlManifest.schema_version).toBe(schema['x-riskscreen-schema-version']);
    expect(jsonlManifest.result).toMatchObject({ format: 'jsonl', rows: 50 });

    // Parquet, chosen by the extension.
    const parquet = join(env.dir, 'out', 'result.parquet');
    expect((await cli(['result', batch, '--out', parquet])).code).toBe(EXIT.ok);
    const duck = await DuckDBInstance.create(':memory:');
    const db = await duck.connect();
    try {
      const types = Object.fromEntries(
        (await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${parquet}')`)).getRowObjectsJS().map((row) => [row.column_name, row.column_type]),
      );
      expect(types.risk_score).toBe('INTEGER');
      expect(types.risk_confidence).toBe('DOUBLE');
      expect(types.resale_date).toBe('DATE');
      expect(types.mobile).toBe('VARCHAR');
      expect(String(types.input)).toMatch(/^STRUCT\(/);
      const read = (await db.runAndReadAll(`SELECT input, risk_score, row_status FROM read_parquet('${parquet}')`)).getRowObjectsJS();
      expect(read).toHaveLength(50);
      for (const [i, row] of read.entries()) expect(Object.values(row.input as Record<string, string>)).toEqual(list.rows[i]);
      const invalid = read.filter((row) => row.row_status === 'invalid');
      expect(invalid.length).toBe(manifest.rows.by_status.invalid);
      for (const row of invalid) expect(row.risk_score).toBeNull();
    } finally {
      db.closeSync();
      duck.closeSync();
    }

    // CSV: the formula-looking cells neutralized, one quote more for a cell that had one.
    const csv = join(env.dir, 'out', 'result.csv');
    expect((await cli(['result', batch, '--out', csv])).code).toBe(EXIT.ok);
    const table = parse(readFileSync(csv), { bom: true }) as string[][];
    const notes = table.slice(1).map((row) => row[CRM_HEADER.indexOf('备注')]!);
    expect(notes).toContain("'=1+1");
    expect(notes).toContain("''=1+1");
    expect(table.slice(1).map((row) => row.slice(0, CRM_HEADER.length).map(unneutralizeCell))).toEqual(list.rows);
    expect(env.emulator.ledger.stats().calls).toBe(callsBefore);
  });

  it('--compare accepts an earlier workbook; --split writes one workbook per level', async () => {
    const { list, out } = await screenToWorkbook();
    const again = join(env.dir, 'out', 'again.xlsx');
    const run = await cli(['run', list.path, '--column', '手机号', '--out', again, '--compare', out, '--split', '--lang', 'en', ...FAST]);
    expect(run.err).toBe('');
    expect(run.code).toBe(EXIT.ok);
    const manifest = manifestAt(`${again}.manifest.json`);
    expect(manifest.changes).toMatchObject({ new: 0, level_up: 0, level_down: 0, gone: 0, compared_with: { name: 'result.xlsx' } });
    expect(manifest.changes!.unchanged).toBe(manifest.rows.total - manifest.rows.by_status.invalid);
    expect(manifest.files.changes).toMatchObject({ file: 'again.changes.xlsx', rows: 0 });
    expect(Object.keys(manifest.files.levels ?? {}).sort()).toEqual(['high', 'low', 'medium', 'unscored']);
    const book = await readWithOpenpyxl(again);
    expect(book.sheets.map((sheet) => sheet.name)).toEqual(['Results', 'Summary']);
    const header = sheetText(sheetNamed(book, 'Results'))[0]!;
    expect(header.at(-1)).toBe('change');
    const high = await readWithOpenpyxl(join(env.dir, 'out', 'again.high.xlsx'));
    expect(sheetNamed(high, 'Results').rows.length - 1).toBe(manifest.files.levels!.high!.rows);
    expect(sheetText(sheetNamed(high, 'Summary')).flat()).toContain('the rows of one risk level (--split): high');
  });
});
