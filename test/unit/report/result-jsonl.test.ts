import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LINE_STATUSES, RESALE_VALUES, TENURE_BUCKETS } from '../../../src/juhe/model.js';
import { CARRIERS } from '../../../src/phone/carrier.js';
import { NUMBER_KINDS } from '../../../src/phone/prefixes.js';
import { RISK_LEVELS } from '../../../src/risk/index.js';
import { CHANGES } from '../../../src/report/manifest.js';
import { CellTypeError, inputKeys, type ResultColumn } from '../../../src/report/result-columns.js';
import { readJsonlResult, ResultReadError } from '../../../src/report/result-jsonl-read.js';
import { openJsonlSink } from '../../../src/report/result-jsonl.js';
import { ADDED_COLUMNS, RESULT_SCHEMA_VERSION, ROW_STATUSES } from '../../../src/report/result-row.js';
import type { SinkOptions } from '../../../src/report/result-sink.js';
import { columnsFor, FACTS, INVALID, rowFor, SCREENED } from '../../support/result-rows.js';

const SCHEMA_PATH = new URL('../../../docs/result.schema.json', import.meta.url);
const schema = JSON.parse(await readFile(SCHEMA_PATH, 'utf8')) as {
  'x-riskscreen-schema-version': string;
  properties: Record<string, { enum?: unknown[] }>;
  required: string[];
};

// ajv-formats is CommonJS: its default export is the module, whose `default` is the plugin.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as unknown as FormatsPlugin;
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
ajv.addKeyword('x-riskscreen-schema-version');
addFormats(ajv);
const validate = ajv.compile(schema);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-jsonl-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = (path: string, columns: readonly ResultColumn[]): SinkOptions => ({ path, columns, encoding: 'utf8-bom', language: 'zh', part: 'result' });

async function writeJsonl(columns: readonly ResultColumn[], rows: readonly (readonly string[])[], name = 'result.jsonl') {
  const path = join(dir, name);
  const sink = await openJsonlSink(options(path, columns));
  await sink.writeRows(rows);
  const written = await sink.commit(FACTS);
  return { path, written, bytes: await readFile(path) };
}

async function readAll(path: string): Promise<{ row: string[]; line: number }[]> {
  const rows = [];
  for await (const row of readJsonlResult(path)) rows.push(row);
  return rows;
}

describe('inputKeys', () => {
  it('keeps names as the input has them, the names of added columns too', () => {
    expect(inputKeys(['姓名', '手机号', 'mobile', 'risk_score', 'a.b', '__proto__'])).toEqual(['姓名', '手机号', 'mobile', 'risk_score', 'a.b', '__proto__']);
  });

  it('names an empty name column_N, N its 1-based position', () => {
    expect(inputKeys(['', 'phone', ''])).toEqual(['column_1', 'phone', 'column_3']);
  });

  it('gives a name an earlier column has <name>_N, again until free', () => {
    expect(inputKeys(['a', 'a', 'a'])).toEqual(['a', 'a_2', 'a_3']);
    expect(inputKeys(['a', 'a', 'a_2'])).toEqual(['a', 'a_2', 'a_2_3']);
    expect(inputKeys(['a_3', 'b', 'a', 'a'])).toEqual(['a_3', 'b', 'a', 'a_4']);
    expect(inputKeys(['x_2', 'x', 'x'])).toEqual(['x_2', 'x', 'x_3']);
    expect(inputKeys(['a_2', 'a', 'a'])).toEqual(['a_2', 'a', 'a_3']);
    expect(inputKeys(['a', 'a_2', 'a'])).toEqual(['a', 'a_2', 'a_3']);
    expect(inputKeys(['a_3', 'a', 'a'])).toEqual(['a_3', 'a', 'a_3_3']);
    expect(inputKeys(['column_2', ''])).toEqual(['column_2', 'column_2_2']);
  });

  it('compares names ignoring case, as DuckDB and SQL do', () => {
    expect(inputKeys(['Name', 'name', 'NAME'])).toEqual(['Name', 'name_2', 'NAME_3']);
  });

  it('gives every column a present, unique key', () => {
    const names = ['', '', 'a', 'A', 'a_2', 'column_1', '', 'a'];
    const keys = inputKeys(names);
    expect(keys).toHaveLength(names.length);
    expect(new Set(keys.map((key) => key.toLowerCase())).size).toBe(names.length);
    expect(keys.every((key) => key !== '')).toBe(true);
  });
});

describe('openJsonlSink', () => {
  it('writes one object a line: input cells as strings, added columns typed, empty as null, in header order', async () => {
    const input = ['张三', '13800138000', '110101199001011234', '=1+1', ''];
    const columns = columnsFor(['姓名', '手机号', '身份证', 'mobile', '']);
    const { bytes } = await writeJsonl(columns, [rowFor(columns, input, SCREENED), rowFor(columns, ['李四', '010-12345678', '', '', '备注'], INVALID)]);
    const text = bytes.toString('utf8');
    expect(bytes[0]).toBe('{'.charCodeAt(0)); // no byte order mark
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('\r');
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      '{"input":{"姓名":"张三","手机号":"13800138000","身份证":"110101199001011234","mobile":"=1+1","column_5":""},' +
        '"mobile":"13800138000","row_status":"screened","carrier":"cmcc","number_kind":"mobile","line_status":"normal","line_status_code":"0",' +
        '"tenure":"24+","tenure_code":"04","resale":"not_recycled","resale_code":"2","resale_date":"2024-01-31",' +
        '"calling_minutes":null,"calling_code":null,"called_minutes":null,"called_code":null,"province":"北京","city":"北京",' +
        '"risk_score":73,"risk_level":"high","risk_confidence":0.8,"risk_reasons":"tenure <= 3 months (+30); MVNO number (+10)","error":null}',
    );
    const second = JSON.parse(lines[1]!) as Record<string, unknown>;
    expect(second.input).toEqual({ 姓名: '李四', 手机号: '010-12345678', 身份证: '', mobile: '', column_5: '备注' });
    expect(second.mobile).toBeNull();
    expect(second.risk_score).toBeNull();
    expect(second.resale_date).toBeNull();
    expect(Object.keys(second)).toEqual(['input', ...ADDED_COLUMNS]);
  });

  it('returns the rows, bytes and sha256 of what it wrote, and leaves no temporary file', async () => {
    const columns = columnsFor(['phone']);
    const { path, written, bytes } = await writeJsonl(columns, [rowFor(columns, ['13800138000'], SCREENED), rowFor(columns, ['x'], INVALID)]);
    expect(written).toEqual({ path, name: 'result.jsonl', rows: 2, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(await readdir(dir)).toEqual(['result.jsonl']);
  });

  it('writes an empty file for no rows', async () => {
    const { written, bytes } = await writeJsonl(columnsFor(['phone']), []);
    expect(bytes.length).toBe(0);
    expect(written.rows).toBe(0);
    expect(written.sha256).toBe(createHash('sha256').digest('hex'));
  });

  it('keeps keys that an object would not: __proto__, duplicates, characters JSON escapes', async () => {
    const columns = columnsFor(['__proto__', 'a', 'A', 'quote"back\\slash']);
    const { bytes } = await writeJsonl(columns, [rowFor(columns, ['p', '1', '2', 'line\nbreak\t"q"'], SCREENED)]);
    const line = bytes.toString('utf8').split('\n')[0]!;
    expect(line.startsWith('{"input":{"__proto__":"p","a":"1","A_3":"2","quote\\"back\\\\slash":"line\\nbreak\\t\\"q\\""},')).toBe(true);
    const parsed = JSON.parse(line) as { input: Record<string, string> };
    expect(Object.entries(parsed.input)).toEqual([
      ['__proto__', 'p'],
      ['a', '1'],
      ['A_3', '2'],
      ['quote"back\\slash', 'line\nbreak\t"q"'],
    ]);
  });

  it('refuses a cell that does not fit its type, and abort leaves nothing', async () => {
    const columns = columnsFor(['phone']);
    const path = join(dir, 'result.jsonl');
    const sink = await openJsonlSink(options(path, columns));
    await expect(sink.writeRows([rowFor(columns, ['x'], { ...SCREENED, risk_score: 'high' })])).rejects.toBeInstanceOf(CellTypeError);
    await sink.abort();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('docs/result.schema.json', () => {
  it('carries the schema version the manifest carries', () => {
    expect(schema['x-riskscreen-schema-version']).toBe(RESULT_SCHEMA_VERSION);
  });

  it('has a property for every added column, mobile_hash, change and input: a new column must be added here too', () => {
    expect(Object.keys(schema.properties).sort()).toEqual([...ADDED_COLUMNS, 'mobile_hash', 'change', 'input'].sort());
    expect([...schema.required].sort()).toEqual([...ADDED_COLUMNS, 'input'].sort());
  });

  it('lists the values the code has for every closed set, and null', () => {
    const outcomes = ['no_record', 'failed', 'skipped'];
    const sets: Record<string, readonly string[]> = {
      row_status: ROW_STATUSES,
      carrier: CARRIERS,
      number_kind: NUMBER_KINDS,
      line_status: [...LINE_STATUSES, ...outcomes],
      tenure: [...TENURE_BUCKETS, ...outcomes],
      resale: [...RESALE_VALUES, ...outcomes],
      risk_level: RISK_LEVELS,
      change: CHANGES,
    };
    const enumerated = Object.entries(schema.properties).filter(([, property]) => property.enum);
    expect(enumerated.map(([name]) => name).sort()).toEqual(Object.keys(sets).sort());
    for (const [name, values] of Object.entries(sets)) expect(schema.properties[name]!.enum, name).toEqual([...values, null]);
  });

  it('accepts every line written, plain, masked and compared', async () => {
    const variants = [{}, { mask: true }, { compare: true }, { mask: true, compare: true }];
    for (const [i, variant] of variants.entries()) {
      const columns = columnsFor(['姓名', '手机号', ''], variant);
      const screened = { ...SCREENED, mobile: '138****8000', mobile_hash: '0123456789abcdef0123456789abcdef', change: 'level_up' };
      const { bytes } = await writeJsonl(columns, [rowFor(columns, ['张三', '13800138000', ''], screened), rowFor(columns, ['', 'abc', 'x'], INVALID)], `r${i}.jsonl`);
      for (const line of bytes.toString('utf8').trimEnd().split('\n')) {
        expect(validate(JSON.parse(line)), JSON.stringify(validate.errors)).toBe(true);
      }
    }
  });

  it('accepts a row of the staged plan: decided code cells, their value cells null', async () => {
    const columns = columnsFor(['phone']);
    const decided = {
      ...SCREENED,
      line_status: 'inactive',
      line_status_code: '3',
      tenure: '',
      tenure_code: 'decided',
      resale: '',
      resale_code: 'decided',
      calling_minutes: '',
      calling_code: 'decided',
      risk_level: 'high',
      risk_reasons: 'line not in service (cancelled or never activated) (+60); tenure not asked: the level was decided by line status (inactive)',
    };
    const { bytes } = await writeJsonl(columns, [rowFor(columns, ['13800138000'], decided)]);
    const line = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    expect(line).toMatchObject({ tenure: null, tenure_code: 'decided', resale: null, resale_code: 'decided', calling_minutes: null, calling_code: 'decided', row_status: 'screened' });
    expect(validate(line), JSON.stringify(validate.errors)).toBe(true);
  });

  it('refuses a line with a value outside its set, a missing column, an unknown one, a wrong type or a bad date', async () => {
    const columns = columnsFor(['phone']);
    const { bytes } = await writeJsonl(columns, [rowFor(columns, ['13800138000'], SCREENED)]);
    const good = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    expect(validate(good)).toBe(true);
    const bad: Record<string, unknown>[] = [
      { ...good, risk_level: 'severe' },
      { ...good, carrier: 'CMCC' },
      { ...good, risk_score: 101 },
      { ...good, risk_score: 7.5 },
      { ...good, risk_confidence: 1.2 },
      { ...good, risk_confidence: '0.80' },
      { ...good, resale_date: '20240131' },
      { ...good, resale_date: '2024-02-30' },
      { ...good, input: { phone: 13800138000 } },
      { ...good, extra: 'x' },
      Object.fromEntries(Object.entries(good).filter(([key]) => key !== 'error')),
    ];
    for (const line of bad) expect(validate(line), JSON.stringify(line)).toBe(false);
  });
});

describe('readJsonlResult', () => {
  it('gives the header (input keys, then the added columns) and each row as the CSV would hold it', async () => {
    const inputNames = ['姓名', '手机号', 'mobile', 'mobile', '', '__proto__'];
    const columns = columnsFor(inputNames, { mask: true, compare: true });
    const rows = [
      rowFor(columns, ['张三', '13800138000', '=1+1', '110101199001011234', '', 'p'], { ...SCREENED, mobile: '138****8000', mobile_hash: 'ab'.repeat(16), risk_confidence: '0.5', change: 'new' }),
      rowFor(columns, ['李四', 'x', '', '', '备注', ''], INVALID),
    ];
    const { path } = await writeJsonl(columns, rows);
    const read = await readAll(path);
    const added = columns.filter((column) => column.origin === 'added').map((column) => column.name);
    expect(read[0]).toEqual({ row: ['姓名', '手机号', 'mobile', 'mobile_4', 'column_5', '__proto__', ...added], line: 1 });
    // What was written, but for the decimal's two places and the date as yyyymmdd (as the CSV has them).
    expect(read.slice(1)).toEqual([
      { row: rows[0]!.map((cell, i) => (columns[i]!.name === 'risk_confidence' && columns[i]!.origin === 'added' ? '0.50' : cell)), line: 1 },
      { row: rows[1], line: 2 },
    ]);
  });

  it('round-trips every typed value: the same strings back as the CSV result holds', async () => {
    const columns = columnsFor(['phone']);
    const rows = [rowFor(columns, ['13800138000'], SCREENED), rowFor(columns, ['x'], INVALID), rowFor(columns, [''], { ...SCREENED, risk_score: '0', risk_confidence: '1.00', resale_date: '' })];
    const { path } = await writeJsonl(columns, rows);
    expect((await readAll(path)).slice(1).map((row) => row.row)).toEqual(rows);
  });

  it('yields nothing for an empty file, and skips blank lines', async () => {
    const empty = join(dir, 'empty.jsonl');
    await writeFile(empty, '');
    expect(await readAll(empty)).toEqual([]);
    const columns = columnsFor(['phone']);
    const { bytes } = await writeJsonl(columns, [rowFor(columns, ['1'], SCREENED), rowFor(columns, ['2'], SCREENED)]);
    const [first, second] = bytes.toString('utf8').trimEnd().split('\n');
    const blanks = join(dir, 'blanks.jsonl');
    await writeFile(blanks, `\uFEFF${first}\r\n\r\n${second}`);
    expect((await readAll(blanks)).map(({ row, line }) => [row[0], line])).toEqual([
      ['phone', 1],
      ['1', 1],
      ['2', 3],
    ]);
  });

  it('refuses a bad line, naming the file and the line', async () => {
    const columns = columnsFor(['phone']);
    const { bytes } = await writeJsonl(columns, [rowFor(columns, ['13800138000'], SCREENED)]);
    const good = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    const cases: [string, RegExp][] = [
      ['{"input":', /line 2: not JSON/],
      ['[1,2]', /line 2: not a JSON object/],
      [JSON.stringify({ ...good, input: undefined }), /line 2: no "input" object/],
      [JSON.stringify({ ...good, input: { phone: 1 } }), /line 2: input "phone" is 1, not a string/],
      [JSON.stringify({ ...good, input: { other: '1' } }), /line 2: "input" has no "phone", which the first line has/],
      [JSON.stringify({ ...good, input: { phone: '1', other: '2' } }), /line 2: "input" has "other", which the first line has not/],
      [JSON.stringify({ ...good, risk_score: '73' }), /line 2: risk_score is "73", not a whole number/],
      [JSON.stringify({ ...good, risk_score: 7.5 }), /line 2: risk_score is 7.5, not a whole number/],
      [JSON.stringify({ ...good, resale_date: '2024-02-30' }), /line 2: resale_date is "2024-02-30", not a yyyy-mm-dd date/],
      [JSON.stringify({ ...good, carrier: 1 }), /line 2: carrier is 1, not a string/],
      [JSON.stringify({ ...good, surprise: 1 }), /line 2: "surprise" is not in the first line/],
      [JSON.stringify(Object.fromEntries(Object.entries(good).filter(([key]) => key !== 'city'))), /line 2: no "city", which the first line has/],
    ];
    for (const [i, [line, message]] of cases.entries()) {
      const path = join(dir, `bad${i}.jsonl`);
      await writeFile(path, `${JSON.stringify(good)}\n${line}\n`);
      const error = await readAll(path).catch((err: unknown) => err);
      expect(error, line).toBeInstanceOf(ResultReadError);
      expect((error as Error).message, line).toMatch(message);
      expect((error as Error).message.startsWith(`${path}, line 2: `)).toBe(true);
    }
  });

  it('names the file it cannot open', async () => {
    const path = join(dir, 'missing.jsonl');
    const error = await readAll(path).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ResultReadError);
    expect((error as Error).message).toContain(path);
  });
});
