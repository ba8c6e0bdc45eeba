/**
 * The golden file: a fixed list (test/fixtures/golden/list.csv: every carrier, MVNO,
 * IoT and satellite numbers, invalid cells, duplicates, dates and none, formula
 * injection attempts) screened with `riskscreen run` on the local engine against an
 * emulator with a fixed seed and a fixed "today" gives exactly the committed result
 * file, byte for byte. Any change to decoding, scoring, the rubric, the columns,
 * quoting, neutralization or encoding shows up here as a diff to review.
 *
 * result.csv is the `--plan all` file (every question asked); result-staged.csv the
 * default staged plan's, whose levels must equal result.csv's row for row.
 *
 * After an intended change: UPDATE_GOLDEN=1 npx vitest run test/integration/report/golden.test.ts
 * and review the diff of test/fixtures/golden/result.csv before committing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { isFormulaRisk } from '../../../src/report/csv-safety.js';
import { captureIo } from '../../support/capture-io.js';
import { FAST, useCliEmulator } from '../../support/cli-emulator.js';

const FIXTURES = new URL('../../fixtures/golden/', import.meta.url).pathname;
const LIST = join(FIXTURES, 'list.csv');
const GOLDEN = join(FIXTURES, 'result.csv');
/** The same list under the staged plan (the default): the same levels, decided questions not asked. */
const GOLDEN_STAGED = join(FIXTURES, 'result-staged.csv');

const env = useCliEmulator({ seed: 'golden-v1', referenceDate: '20261101' });

describe('golden result file', () => {
  it('a fixed list and emulator seed give exactly the committed result file', async () => {
    const out = join(env.dir, 'result.csv');
    const io = captureIo();
    expect(await main(['run', LIST, '--out', out, '--plan', 'all', ...FAST], io)).toBe(EXIT.ok);
    const actual = readFileSync(out);
    if (process.env.UPDATE_GOLDEN === '1' || env.savedEnv.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, actual);
    const golden = readFileSync(GOLDEN);
    // Text first, for a readable diff; then the bytes (BOM, CRLF, quoting).
    expect(actual.toString('utf8')).toBe(golden.toString('utf8'));
    expect(actual.equals(golden)).toBe(true);
  });

  it('the staged plan (the default) gives exactly its committed file: every row at the level of the plan-all file', async () => {
    const out = join(env.dir, 'result-staged.csv');
    const io = captureIo();
    expect(await main(['run', LIST, '--out', out, ...FAST], io)).toBe(EXIT.ok);
    const actual = readFileSync(out);
    if (process.env.UPDATE_GOLDEN === '1' || env.savedEnv.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN_STAGED, actual);
    expect(actual.toString('utf8')).toBe(readFileSync(GOLDEN_STAGED, 'utf8'));
    const { parse } = await import('csv-parse/sync');
    const all = parse(readFileSync(GOLDEN), { bom: true, columns: true, relax_column_count: true }) as Record<string, string>[];
    const staged = parse(actual, { bom: true, columns: true, relax_column_count: true }) as Record<string, string>[];
    expect(staged.map((row) => row.risk_level)).toEqual(all.map((row) => row.risk_level));
    const decided = staged.filter((row) => row.tenure_code === 'decided');
    expect(decided.length).toBeGreaterThan(0);
    for (const row of decided) {
      expect(row.risk_level).toBe('high');
      expect(row.risk_reasons).toMatch(/not asked: the level was decided by line status \((inactive|pre_cancel)\)/);
    }
    // Rows whose line status left the level open are the same, cell for cell.
    staged.forEach((row, i) => {
      if (row.tenure_code !== 'decided' && row.resale_code !== 'decided' && row.calling_code !== 'decided') expect(row).toEqual(all[i]);
    });
  });

  it('the golden file covers what it claims: levels, statuses, missing signals, hard rules, neutralized cells', () => {
    const text = readFileSync(GOLDEN, 'utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text).toContain('\r\n');
    const lines = text.replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(lines).toHaveLength(readFileSync(LIST, 'utf8').trimEnd().split('\n').length);
    for (const level of [',low,', ',medium,', ',high,']) expect(text).toContain(level);
    for (const status of [',screened,', ',invalid,']) expect(text).toContain(status);
    expect(text).toMatch(/missing: not a China Telecom number/);
    expect(text).toMatch(/missing: no date given/);
    expect(text).toMatch(/rule [a-z_]+: high/);
    expect(text).toMatch(/MVNO number \(\+10\)/);
    // The formula cells of the list come out neutralized, and no cell is a formula.
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(text).toContain("'@SUM(1+1)");
    expect(text).toContain("'-2+3");
    expect(text).toContain("'\ttab");
    expect(text).toContain('+8613800138000,'); // a signed number is not a formula: unchanged
  });

  it('no cell of the golden file could run as a formula', async () => {
    const { parse } = await import('csv-parse/sync');
    const rows = parse(readFileSync(GOLDEN), { bom: true, relax_column_count: true }) as string[][];
    for (const row of rows) for (const cell of row) expect(isFormulaRisk(cell), cell).toBe(false);
  });
});
