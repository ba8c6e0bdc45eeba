/**
 * The Parquet result, read back by independent readers: DuckDB (its own C++ Parquet
 * reader) for the types, values, row groups and metadata, hyparquet for a second
 * opinion, and readParquetResult for the `--compare` round trip.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CellTypeError, type ResultColumn } from '../../../src/report/result-columns.js';
import { ResultReadError } from '../../../src/report/result-jsonl-read.js';
import { readParquetResult } from '../../../src/report/result-parquet-read.js';
import { openParquetSink } from '../../../src/report/result-parquet.js';
import { RESULT_SCHEMA_VERSION } from '../../../src/report/result-row.js';
import type { SinkOptions } from '../../../src/report/result-sink.js';
import { columnsFor, FACTS, INVALID, rowFor, SCREENED } from '../../support/result-rows.js';

let duck: DuckDBInstance;
let db: DuckDBConnection;
beforeAll(async () => {
  duck = await DuckDBInstance.create(':memory:');
  db = await duck.connect();
});
afterAll(() => {
  db.closeSync();
  duck.closeSync();
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-parquet-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = (path: string, columns: readonly ResultColumn[]): SinkOptions => ({ path, columns, encoding: 'utf8-bom', language: 'zh', part: 'result' });

async function writeParquet(columns: readonly ResultColumn[], rows: readonly (readonly string[])[], limits: { rowGroupRows?: number } = {}, name = 'result.parquet') {
  const path = join(dir, name);
  const sink = await openParquetSink(options(path, columns), limits);
  // Rows arrive in batches, as the export gives them.
  for (let i = 0; i < rows.length; i += 4) await sink.writeRows(rows.slice(i, i + 4));
  const written = await sink.commit(FACTS);
  return { path, written };
}

const sql = (path: string) => `read_parquet('${path.replaceAll("'", "''")}')`;

async function query(text: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(text)).getRowObjectsJS() as Record<string, unknown>[];
}

async function types(path: string): Promise<Record<string, string>> {
  const rows = await query(`DESCRIBE SELECT * FROM ${sql(path)}`);
  return Object.fromEntries(rows.map((row) => [row.column_name as string, row.column_type as string]));
}

async function readAll(path: string): Promise<{ row: string[]; line: number }[]> {
  const rows = [];
  for await (const row of readParquetResult(path)) rows.push(row);
  return rows;
}

describe('openParquetSink', () => {
  const inputNames = ['姓名', '手机号', '身份证', 'mobile', '', '备注'];
  const columns = columnsFor(inputNames, { mask: true, compare: true });
  const rows = [
    rowFor(columns, ['张三', '13800138000', '110101199001011234', '=1+1', '', 'line\nbreak'], { ...SCREENED, mobile: '138****8000', mobile_hash: 'ab'.repeat(16), change: 'new' }),
    rowFor(columns, ['李四', '010-12345678', '', '', 'x', ''], INVALID),
  ];

  it('types the columns: the input a struct of strings, the added columns text, integer, double and date', async () => {
    const { path } = await writeParquet(columns, rows);
    const described = await types(path);
    const added = Object.fromEntries(columns.filter((column) => column.origin === 'added').map((column) => [column.name, 'VARCHAR']));
    expect(described).toEqual({
      input: 'STRUCT("姓名" VARCHAR, "手机号" VARCHAR, "身份证" VARCHAR, mobile VARCHAR, column_5 VARCHAR, "备注" VARCHAR)',
      ...added,
      risk_score: 'INTEGER',
      risk_confidence: 'DOUBLE',
      resale_date: 'DATE',
    });
    expect(Object.keys(described)).toEqual(['input', ...columns.filter((column) => column.origin === 'added').map((column) => column.name)]);
  });

  it('holds the values: input cells as read (Chinese, =1+1, 18-digit IDs, empty), typed added cells, null for empty ones', async () => {
    const { path } = await writeParquet(columns, rows);
    const read = await query(
      `SELECT input."姓名" AS name, input."身份证" AS id, input.mobile AS input_mobile, input.column_5 AS c5, input."备注" AS note,
              mobile, mobile_hash, risk_score, risk_confidence, CAST(resale_date AS VARCHAR) AS resale_date, calling_minutes, province, error, change
       FROM ${sql(path)}`,
    );
    expect(read).toEqual([
      {
        name: '张三',
        id: '110101199001011234',
        input_mobile: '=1+1',
        c5: '',
        note: 'line\nbreak',
        mobile: '138****8000',
        mobile_hash: 'ab'.repeat(16),
        risk_score: 73,
        risk_confidence: 0.8,
        resale_date: '2024-01-31',
        calling_minutes: null,
        province: '北京',
        error: null,
        change: 'new',
      },
      { name: '李四', id: '', input_mobile: '', c5: 'x', note: '', mobile: null, mobile_hash: null, risk_score: null, risk_confidence: null, resale_date: null, calling_minutes: null, province: null, error: INVALID.error, change: null },
    ]);
  });

  it('returns the rows, bytes and sha256 of what it wrote, and leaves no temporary file', async () => {
    const { path, written } = await writeParquet(columns, rows);
    const bytes = await readFile(path);
    expect(written).toEqual({ path, name: 'result.parquet', rows: 2, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    expect(bytes.subarray(-4).toString()).toBe('PAR1');
    expect(await readdir(dir)).toEqual(['result.parquet']);
  });

  it('writes row groups of rowGroupRows rows, in order', async () => {
    const phone = columnsFor(['phone']);
    const many = Array.from({ length: 23 }, (_, i) => rowFor(phone, [`p${i}`], { ...SCREENED, risk_score: String(i), resale_date: i % 2 ? '' : '20240131' }));
    const { path, written } = await writeParquet(phone, many, { rowGroupRows: 5 });
    expect(written.rows).toBe(23);
    const groups = await query(`SELECT row_group_id, row_group_num_rows FROM parquet_metadata('${path}') GROUP BY ALL ORDER BY row_group_id`);
    expect(groups.map((group) => Number(group.row_group_num_rows))).toEqual([5, 5, 5, 5, 3]);
    const read = await query(`SELECT input.phone AS phone, risk_score, resale_date IS NULL AS no_date FROM ${sql(path)}`);
    expect(read).toEqual(many.map((_, i) => ({ phone: `p${i}`, risk_score: i, no_date: i % 2 === 1 })));
  });

  it('writes a valid file with the schema and no row group for zero rows', async () => {
    const { path, written } = await writeParquet(columns, []);
    expect(written.rows).toBe(0);
    expect(await query(`SELECT count(*)::INTEGER AS n FROM ${sql(path)}`)).toEqual([{ n: 0 }]);
    expect(Object.keys(await types(path))).toEqual(['input', ...columns.filter((column) => column.origin === 'added').map((column) => column.name)]);
    expect(await readAll(path)).toEqual([{ row: ['姓名', '手机号', '身份证', 'mobile', 'column_5', '备注', ...columns.filter((column) => column.origin === 'added').map((column) => column.name)], line: 0 }]);
  });

  it('carries the schema version, the columns and the batch in its key-value metadata', async () => {
    const { path } = await writeParquet(columns, rows);
    const pairs = await query(`SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${path}')`);
    const metadata = Object.fromEntries(pairs.map((pair) => [pair.key as string, pair.value as string]));
    expect(metadata['riskscreen.schema_version']).toBe(RESULT_SCHEMA_VERSION);
    expect(metadata['riskscreen.batch']).toBe('b20261122-101500-a1b2');
    const described = JSON.parse(metadata['riskscreen.columns']!) as { name: string; key: string; origin: string; type: string }[];
    expect(described.slice(3, 7)).toEqual([
      { name: 'mobile', key: 'mobile', origin: 'input', type: 'text' },
      { name: '', key: 'column_5', origin: 'input', type: 'text' },
      { name: '备注', key: '备注', origin: 'input', type: 'text' },
      { name: 'mobile', key: 'mobile', origin: 'added', type: 'text' },
    ]);
    expect(described.find((column) => column.name === 'risk_confidence')).toEqual({ name: 'risk_confidence', key: 'risk_confidence', origin: 'added', type: 'decimal' });
    expect(described).toHaveLength(columns.length);
  });

  it('is read alike by hyparquet', async () => {
    const { path } = await writeParquet(columns, rows);
    const objects = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
    expect(objects[0]!.input).toEqual({ 姓名: '张三', 手机号: '13800138000', 身份证: '110101199001011234', mobile: '=1+1', column_5: '', 备注: 'line\nbreak' });
    expect(objects[0]).toMatchObject({ mobile: '138****8000', risk_score: 73, risk_confidence: 0.8, resale_date: new Date('2024-01-31T00:00:00Z'), calling_minutes: null, change: 'new' });
    expect(objects[1]).toMatchObject({ mobile: null, risk_score: null, resale_date: null, row_status: 'invalid' });
  });

  it('refuses a cell that does not fit its type, and abort leaves nothing', async () => {
    const phone = columnsFor(['phone']);
    const path = join(dir, 'result.parquet');
    const sink = await openParquetSink(options(path, phone));
    await expect(sink.writeRows([rowFor(phone, ['x'], { ...SCREENED, resale_date: '20240230' })])).rejects.toBeInstanceOf(CellTypeError);
    await expect(sink.writeRows([rowFor(phone, ['x'], { ...SCREENED, risk_score: '99999999999' })])).rejects.toThrow(/32-bit/);
    await sink.abort();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('readParquetResult', () => {
  it('gives the header (input keys, then the added columns) and each row as the CSV would hold it, across row groups', async () => {
    const inputNames = ['姓名', 'mobile', 'mobile', '', '__proto__', 'Name'];
    const columns = columnsFor(inputNames, { mask: true, compare: true });
    const rows = Array.from({ length: 11 }, (_, i) =>
      i % 3 === 2
        ? rowFor(columns, [`李${i}`, '', '', 'x', '', ''], INVALID)
        : rowFor(columns, [`张${i}`, '=1+1', '110101199001011234', '', `p${i}`, 'n'], { ...SCREENED, mobile_hash: 'cd'.repeat(16), risk_score: String(i * 9), risk_confidence: i % 2 ? '1.00' : '0.25', change: 'unchanged' }),
    );
    const { path } = await writeParquet(columns, rows, { rowGroupRows: 4 });
    const read = await readAll(path);
    const added = columns.filter((column) => column.origin === 'added').map((column) => column.name);
    expect(read[0]).toEqual({ row: ['姓名', 'mobile', 'mobile_3', 'column_4', '__proto__', 'Name', ...added], line: 0 });
    expect(read.slice(1)).toEqual(rows.map((row, i) => ({ row, line: i + 1 })));
  });

  it('refuses a file that is not Parquet, naming it', async () => {
    const path = join(dir, 'result.parquet');
    await writeFile(path, 'mobile,risk_level\n13800138000,high\n');
    const error = await readAll(path).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ResultReadError);
    expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
  });

  it('refuses a Parquet file whose columns a result does not have', async () => {
    const path = join(dir, 'other.parquet');
    await db.run(`COPY (SELECT [1, 2] AS list) TO '${path}' (FORMAT parquet)`);
    const error = await readAll(path).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ResultReadError);
    expect((error as Error).message).toMatch(/other\.parquet, schema: column list is a group/);
  });
});
