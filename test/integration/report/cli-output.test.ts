/**
 * The result files as `riskscreen run` writes them: the manifest, the summary table by
 * level and row status, --mask, --split, --out-encoding, --compare between two nightly
 * runs, and --rubric (a changed rubric changes levels; a broken one is named, exit 4).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { ADDED_COLUMNS } from '../../../src/report/result-row.js';
import type { ResultManifest } from '../../../src/report/manifest.js';
import { DEFAULT_RUBRIC, DEFAULT_RUBRIC_JSON, parseRubric } from '../../../src/risk/index.js';
import { captureIo } from '../../support/capture-io.js';
import { FAST, useCliEmulator } from '../../support/cli-emulator.js';
import { writeNumberList } from '../engine/harness.js';

const env = useCliEmulator({ seed: 'cli-output' });

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(['run', ...args, ...FAST], io);
  return { code, out: io.out(), err: io.err() };
}

function rows(path: string, encoding = 'utf8'): string[][] {
  return parse(iconv.decode(readFileSync(path), encoding), { bom: true, relax_column_count: true }) as string[][];
}

function manifestOf(path: string): ResultManifest {
  return JSON.parse(readFileSync(path.replace(/\.csv$/, '.manifest.json'), 'utf8')) as ResultManifest;
}

describe('riskscreen run: result files', () => {
  it('writes the result, then a manifest that describes it, and prints rows by level and status with the paths', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 40, { dates: true });
    writeFileSync(list.path, readFileSync(list.path, 'utf8') + 'not a number,20240101\n');
    const out = join(env.dir, 'out', 'result.csv');
    const result = await run([list.path, '--out', out]);
    expect(result.code).toBe(EXIT.ok);

    const table = rows(out);
    expect(table[0]).toEqual(['mobile', 'reg_date', ...ADDED_COLUMNS]);
    expect(table).toHaveLength(42);
    const manifest = manifestOf(out);
    expect(manifest).toMatchObject({
      kind: 'riskscreen.result',
      schema_version: '1.2',
      input: { name: 'list.csv', columns: 2, phone_column: { number: 1, name: 'mobile' } },
      result: { file: 'result.csv', rows: 41, encoding: 'utf8-bom', masked: false },
      rows: { total: 41, by_status: { invalid: 1 } },
      rubric: { name: 'default' },
      options: { output: { encoding: 'utf8-bom', mask: false, split: false, compare: null } },
    });
    expect(manifest.result.bytes).toBe(readFileSync(out).length);
    expect(manifest.calls.billable_total).toBe(env.emulator.ledger.stats().billed);
    expect(Object.values(manifest.calls.billable_by_api).reduce((a, b) => a + b, 0)).toBe(manifest.calls.billable_total);
    const levels = table.slice(1).map((row) => row[2 + ADDED_COLUMNS.indexOf('risk_level')]);
    for (const level of ['low', 'medium', 'high'] as const) expect(manifest.rows.by_level[level]).toBe(levels.filter((l) => l === level).length);
    expect(manifest.rows.by_level.unscored).toBe(1);

    expect(result.out).toMatch(/rows\s+low\s+medium\s+high\s+unscored\s+total/);
    expect(result.out).toMatch(/invalid\s+0\s+0\s+0\s+1\s+1/);
    expect(result.out).toMatch(new RegExp(`all\\s+${manifest.rows.by_level.low}\\s+${manifest.rows.by_level.medium}\\s+${manifest.rows.by_level.high}\\s+1\\s+41`));
    expect(result.out).toContain(out);
    expect(result.out).toContain(join(env.dir, 'out', 'result.manifest.json'));
    expect(result.out).not.toMatch(/1\d{10}/);
  });

  it('--mask --split --out-encoding gb18030: no whole number anywhere, one file per level, all listed in the manifest', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 30, { dates: true });
    const out = join(env.dir, 'masked.csv');
    const result = await run([list.path, '--out', out, '--mask', '--split', '--out-encoding', 'gb18030']);
    expect(result.code).toBe(EXIT.ok);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
    const text = iconv.decode(bytes, 'gb18030');
    for (const number of list.numbers) expect(text).not.toContain(number);
    const table = rows(out, 'gb18030');
    const mobileAt = table[0]!.lastIndexOf('mobile');
    expect(table[0]![mobileAt + 1]).toBe('mobile_hash');
    expect(table[1]![0]).toMatch(/^1\d{2}\*{4}\d{4}$/);
    expect(table[1]![mobileAt + 1]).toMatch(/^[0-9a-f]{32}$/);

    const manifest = manifestOf(out);
    expect(manifest.result).toMatchObject({ encoding: 'gb18030', masked: true, rows: 30 });
    let total = 0;
    for (const level of ['low', 'medium', 'high', 'unscored'] as const) {
      const file = join(env.dir, `masked.${level}.csv`);
      expect(existsSync(file)).toBe(true);
      const levelRows = rows(file, 'gb18030');
      expect(levelRows[0]).toEqual(table[0]);
      expect(manifest.files.levels?.[level]).toMatchObject({ file: `masked.${level}.csv`, rows: levelRows.length - 1 });
      expect(manifest.rows.by_level[level]).toBe(levelRows.length - 1);
      for (const row of levelRows.slice(1)) expect(row[table[0]!.indexOf('risk_level')] || 'unscored').toBe(level);
      total += levelRows.length - 1;
    }
    expect(total).toBe(30);
    for (const path of [out, join(env.dir, 'masked.high.csv'), join(env.dir, 'masked.manifest.json')]) expect(result.out).toContain(path);
  });

  it('--compare: the morning-after view of two nightly runs (new, level_up, level_down, unchanged, gone)', async () => {
    const list = writeNumberList(env.dir, 'night1.csv', 40, { dates: true });
    const first = join(env.dir, 'night1-result.csv');
    expect((await run([list.path, '--out', first])).code).toBe(EXIT.ok);
    const before = new Map(rows(first).slice(1).map((row) => [row[0]!, row[2 + ADDED_COLUMNS.indexOf('risk_level')]!]));

    // Night two: 5 numbers gone, 3 new, and a stricter rubric (lower thresholds) so some levels rise.
    const lines = readFileSync(list.path, 'utf8').trimEnd().split('\n');
    const extra = writeNumberList(env.dir, 'extra.csv', 3, { dates: true, seed: 99 });
    const night2 = join(env.dir, 'night2.csv');
    writeFileSync(night2, [...lines.slice(0, 36), ...readFileSync(extra.path, 'utf8').trimEnd().split('\n').slice(1)].join('\n') + '\n');
    const strict = join(env.dir, 'strict.json');
    writeFileSync(strict, JSON.stringify({ ...DEFAULT_RUBRIC_JSON, name: 'strict', levels: { medium: 5, high: 20 } }));
    const second = join(env.dir, 'night2-result.csv');
    const result = await run([night2, '--out', second, '--rubric', strict, '--compare', first]);
    expect(result.code).toBe(EXIT.ok);

    const table = rows(second);
    expect(table[0]!.at(-1)).toBe('change');
    const levelAt = 2 + ADDED_COLUMNS.indexOf('risk_level');
    const rank = (level: string) => ['low', 'medium', 'high'].indexOf(level);
    for (const row of table.slice(1)) {
      const earlier = before.get(row[0]!);
      const expected = earlier === undefined ? 'new' : rank(row[levelAt]!) > rank(earlier) ? 'level_up' : rank(row[levelAt]!) < rank(earlier) ? 'level_down' : 'unchanged';
      expect(row.at(-1), row[0]).toBe(expected);
    }
    const manifest = manifestOf(second);
    expect(manifest.rubric.name).toBe('strict');
    expect(manifest.changes).toMatchObject({ new: 3, gone: 5, compared_with: { name: 'night1-result.csv' } });
    expect(manifest.changes!.level_up).toBeGreaterThan(0);

    const changes = rows(join(env.dir, 'night2-result.changes.csv'));
    expect(changes[0]).toEqual(table[0]);
    const kinds = changes.slice(1).map((row) => row.at(-1));
    expect(kinds).not.toContain('unchanged');
    expect(kinds.filter((k) => k === 'gone')).toHaveLength(5);
    expect(changes.length - 1).toBe(manifest.changes!.new + manifest.changes!.level_up + manifest.changes!.level_down + manifest.changes!.gone);
    const goneNumbers = changes.slice(1).filter((row) => row.at(-1) === 'gone').map((row) => row[0]);
    expect(goneNumbers).toEqual(lines.slice(36).map((line) => line.split(',')[0]));
    expect(result.out).toMatch(/changes\s+new 3, level up \d+, level down \d+, unchanged \d+, gone 5 \(vs night1-result\.csv\)/);
  });

  it('--rubric: a broken rubric is named with its key before anything is called, exit 4', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 5);
    const bad = join(env.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...DEFAULT_RUBRIC_JSON, levels: { medium: 50, high: 40 } }));
    const result = await run([list.path, '--out', join(env.dir, 'r.csv'), '--rubric', bad]);
    expect(result.code).toBe(EXIT.config);
    expect(result.err).toBe(`riskscreen: rubric ${bad}: levels.high: must be above levels.medium (50)\n`);
    expect(env.emulator.ledger.stats().calls).toBe(0);
    const missing = await run([list.path, '--out', join(env.dir, 'r.csv'), '--rubric', join(env.dir, 'nope.json')]);
    expect(missing.code).toBe(EXIT.config);
    expect(missing.err).toMatch(/rubric .*nope\.json: cannot be read \(ENOENT\)/);
  });
});

describe('riskscreen run: output mistakes cost no calls', () => {
  it('a --compare file that cannot be read, an --out over the list or over the --compare file: refused before anything is queued', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 5);
    const missing = await run([list.path, '--out', join(env.dir, 'r.csv'), '--compare', join(env.dir, 'nope.csv')]);
    expect(missing.code).toBe(EXIT.input);
    expect(missing.err).toMatch(/^riskscreen: --compare .*nope\.csv: cannot be read \(ENOENT\)\n$/);
    const notResult = join(env.dir, 'not-a-result.csv');
    writeFileSync(notResult, 'a,b\n1,2\n');
    const wrong = await run([list.path, '--out', join(env.dir, 'r.csv'), '--compare', notResult]);
    expect(wrong.code).toBe(EXIT.input);
    expect(wrong.err).toMatch(/not a riskscreen result file: it has no "mobile" column/);
    const overList = await run([list.path, '--out', list.path]);
    expect(overList.code).toBe(EXIT.usage);
    expect(overList.err).toMatch(/is the list being screened/);
    const overEarlier = await run([list.path, '--out', notResult, '--compare', notResult]);
    expect(overEarlier.code).toBe(EXIT.usage);
    expect(overEarlier.err).toMatch(/is also the --compare file/);
    const underFile = await run([list.path, '--out', join(notResult, 'r.csv')]);
    expect(underFile.code).toBe(EXIT.usage);
    expect(underFile.err).toMatch(/not-a-result\.csv is not a folder/);
    expect(env.emulator.ledger.stats().calls).toBe(0);
    expect(readFileSync(list.path, 'utf8')).toMatch(/^mobile\n/);
  });
});

describe('riskscreen run and result: a format mistake costs no calls', () => {
  it('an unknown --format, one that --out contradicts, a look-alike name or an unknown --lang: exit 2 before a batch is made', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 5);
    const unknown = await run([list.path, '--out', join(env.dir, 'r.out'), '--format', 'xls']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.err).toBe('riskscreen: --format: "xls" is not a result format; use one of csv, xlsx, jsonl, parquet\n');
    const contradicted = await run([list.path, '--out', join(env.dir, 'r.csv'), '--format', 'xlsx']);
    expect(contradicted.code).toBe(EXIT.usage);
    expect(contradicted.err).toBe('riskscreen: --out: r.csv ends in .csv, which is csv, but --format is xlsx; name the file r.xlsx or drop --format\n');
    const lookalike = await run([list.path, '--out', join(env.dir, 'r.xls')]);
    expect(lookalike.code).toBe(EXIT.usage);
    expect(lookalike.err).toMatch(/^riskscreen: --out: r\.xls: riskscreen writes \.xlsx/);
    const lang = await run([list.path, '--out', join(env.dir, 'r.xlsx'), '--lang', 'fr']);
    expect(lang.code).toBe(EXIT.usage);
    expect(lang.err).toBe('riskscreen: --lang: must be one of zh, en (got "fr")\n');

    const io = captureIo();
    expect(await main(['result', 'b20240501-080000-ab12', '--out', join(env.dir, 'r.csv'), '--format', 'parquet'], io)).toBe(EXIT.usage);
    expect(io.err()).toMatch(/^riskscreen: --out: r\.csv ends in \.csv, which is csv, but --format is parquet/);

    expect(env.emulator.ledger.stats().calls).toBe(0);
    // No batch was made: the local engine's data dir was never opened.
    expect(existsSync(join(env.dir, 'riskscreen-data'))).toBe(false);
    for (const name of ['r.out', 'r.csv', 'r.xls', 'r.xlsx']) expect(existsSync(join(env.dir, name))).toBe(false);
  });
});

describe('riskscreen rubric', () => {
  it('prints the default rubric, which reads back as the default', async () => {
    const io = captureIo();
    expect(await main(['rubric'], io)).toBe(EXIT.ok);
    expect(parseRubric(JSON.parse(io.out()), 'stdout')).toEqual(DEFAULT_RUBRIC);
  });

  it('--check names a valid rubric and refuses a broken one', async () => {
    const good = join(env.dir, 'good.json');
    writeFileSync(good, JSON.stringify(DEFAULT_RUBRIC_JSON));
    const io = captureIo();
    expect(await main(['rubric', '--check', good], io)).toBe(EXIT.ok);
    expect(io.out()).toMatch(/valid rubric "default"/);
    const bad = join(env.dir, 'bad.json');
    writeFileSync(bad, '{"format": "riskscreen-rubric/1",');
    const io2 = captureIo();
    expect(await main(['rubric', '--check', bad], io2)).toBe(EXIT.config);
    expect(io2.err()).toMatch(/rubric .*bad\.json: is not valid JSON/);
  });
});
