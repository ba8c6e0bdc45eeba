/**
 * `riskscreen estimate` on the local engine against the emulator (30% of lines not in
 * service): both plans' upper bound, and the expected bill under `staged` from line
 * statuses the local store's cache or an earlier result (--earlier) knows. The saving
 * it expects from a screened list must be exactly what the staged batch decided.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { API_IDS } from '../../../src/juhe/catalogue.js';
import { captureIo } from '../../support/capture-io.js';
import { FAST, useCliEmulator } from '../../support/cli-emulator.js';
import { writeNumberList } from './harness.js';

const env = useCliEmulator({ seed: 'cli-estimate', notInService: 0.3 });

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

/** Screens the list under `staged` and gives the batch's counts. */
async function screen(list: string, out: string): Promise<{ id: string; counts: Record<string, number> & { decided: number } }> {
  const run = await cli(['run', list, '--out', out, '--plan', 'staged', ...FAST, '--json']);
  expect(run.code).toBe(EXIT.ok);
  const view = JSON.parse(run.out) as { id: string; counts: Record<string, number> & { decided: number } };
  expect(view.counts.decided).toBeGreaterThan(0);
  return view;
}

const decidedByApi = (counts: Record<string, number>) => Object.fromEntries(API_IDS.map((api) => [api, counts[`decided.${api}`] ?? 0]));

describe('riskscreen estimate: both plans', () => {
  it('before any run: both plans at the upper bound, nothing known; no data dir is made', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 60, { dates: true });
    const text = await cli(['estimate', list.path]);
    expect(text.code).toBe(EXIT.ok);
    const upper = /plan all\s+([\d,]+)\s+([\d,]+)/.exec(text.out);
    expect(upper).not.toBeNull();
    expect(upper![1]).toBe(upper![2]);
    expect(text.out).toMatch(new RegExp(`plan staged\\s+${upper![1]}\\s+${upper![1]}\\n`));
    expect(text.out).toMatch(/"at most" is the same for both plans/);
    expect(text.out).toMatch(/inactive or pre_cancel fixes the level at high \(rubric default\)/);
    expect(text.out).toMatch(/No line status is known \(no cache, no --earlier FILE\)/);
    expect(text.out).toMatch(/no local store at .*local\.db yet/);
    expect(text.out).toMatch(/run uses plan staged/);
    expect(existsSync(process.env.RISKSCREEN_DATA_DIR!)).toBe(false);
    expect(env.emulator.ledger.stats().calls).toBe(0);
  });

  it("after a staged run, the local store's answers give the expected staged bill: saved is what the batch decided, by API", async () => {
    const list = writeNumberList(env.dir, 'list.csv', 60, { dates: true });
    const batch = await screen(list.path, join(env.dir, 'result.csv'));
    const calls = env.emulator.ledger.stats().calls;

    const json = await cli(['estimate', list.path, '--json']);
    expect(json.code).toBe(EXIT.ok);
    const estimate = JSON.parse(json.out);
    expect(estimate.cacheFrom).toBe(join(process.env.RISKSCREEN_DATA_DIR!, 'local.db'));
    expect(estimate.plan).toBe('staged');
    expect(estimate.earlier).toBeNull();
    expect(estimate.staging).toMatchObject({ rubric: 'default', decidingValues: ['inactive', 'pre_cancel'], numbers: 60, known: 60, knownFromCache: 60 });
    // The questions the batch left unasked are exactly those the estimate counts as saved:
    // not in the cache (never asked), and decided by a line status the cache holds.
    expect(estimate.staging.saved).toEqual(decidedByApi(batch.counts));
    expect(estimate.staging.savedTotal).toBe(batch.counts.decided);
    const cached = Object.values(estimate.cached as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(estimate.plans.all).toMatchObject({ upperBound: estimate.billableUpperBound, expected: estimate.billableUpperBound - cached });
    expect(estimate.plans.staged).toMatchObject({ upperBound: estimate.billableUpperBound, expected: estimate.billableUpperBound - cached - batch.counts.decided });
    // Screened whole once: every question asked is cached, so all would bill only the decided ones, staged nothing.
    expect(estimate.plans.all.expected).toBe(batch.counts.decided);
    expect(estimate.plans.staged.expected).toBe(0);

    const text = await cli(['estimate', list.path]);
    expect(text.out).toMatch(/api\s+questions\s+in cache\s+staged skips/);
    expect(text.out).toMatch(new RegExp(`plan all\\s+[\\d,]+\\s+${batch.counts.decided}\\s+\\(the cache already answers`));
    expect(text.out).toMatch(new RegExp(`plan staged\\s+[\\d,]+\\s+0\\s+\\(${batch.counts.decided} fewer`));
    expect(text.out).toMatch(new RegExp(`Line status known for 60 of 60 numbers \\(60 in the cache\\); ${estimate.staging.deciding} of them decide the level`));
    expect(text.out).toMatch(/\(cache: the local store .*local\.db\)/);
    expect(env.emulator.ledger.stats().calls).toBe(calls); // estimating calls nothing
  });

  it('--earlier: a result of the same list in any format, masked or not, gives the line statuses without a cache', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 60, { dates: true });
    const result = join(env.dir, 'result.csv');
    const batch = await screen(list.path, result);
    const masked = join(env.dir, 'masked.xlsx');
    expect((await cli(['result', batch.id, '--out', masked, '--mask'])).code).toBe(EXIT.ok);
    const parquet = join(env.dir, 'result.parquet');
    expect((await cli(['result', batch.id, '--out', parquet])).code).toBe(EXIT.ok);
    // No local store any more: only the earlier result knows.
    renameSync(process.env.RISKSCREEN_DATA_DIR!, join(env.dir, 'moved'));

    for (const earlier of [result, masked, parquet]) {
      const estimate = JSON.parse((await cli(['estimate', list.path, '--earlier', earlier, '--json'])).out);
      expect(estimate.cached).toBeNull();
      expect(estimate.earlier).toMatchObject({ file: earlier, numbers: 60, keyBy: earlier === masked ? 'mobile_hash' : 'mobile' });
      expect(estimate.staging).toMatchObject({ known: 60, knownFromCache: 0, knownFromEarlier: 60 });
      expect(estimate.staging.saved).toEqual(decidedByApi(batch.counts));
      expect(estimate.plans.all.expected).toBe(estimate.billableUpperBound);
      expect(estimate.plans.staged.expected).toBe(estimate.billableUpperBound - batch.counts.decided);
    }
    const text = await cli(['estimate', list.path, '--earlier', result]);
    expect(text.out).toMatch(/Line status known for 60 of 60 numbers \(60 from result\.csv\)/);
    expect(existsSync(process.env.RISKSCREEN_DATA_DIR!)).toBe(false);
  });

  it('--rubric without a hard rule on line status: staged expects what all expects, and says why', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 30, { dates: true });
    await screen(list.path, join(env.dir, 'result.csv'));
    const rubricText = (await cli(['rubric'])).out;
    const rubric = JSON.parse(rubricText);
    rubric.name = 'no-rules';
    rubric.hard_rules = [];
    const file = join(env.dir, 'no-rules.json');
    writeFileSync(file, JSON.stringify(rubric));
    const estimate = JSON.parse((await cli(['estimate', list.path, '--rubric', file, '--json'])).out);
    expect(estimate.staging).toMatchObject({ rubric: 'no-rules', decidingValues: [], deciding: 0, savedTotal: 0 });
    expect(estimate.plans.staged).toEqual(estimate.plans.all);
    const text = await cli(['estimate', list.path, '--rubric', file]);
    expect(text.out).toMatch(/The rubric no-rules has no hard rule that fixes the level on line status: staged asks everything, as all does/);
    // A rubric that cannot be read is configuration: exit 4.
    expect((await cli(['estimate', list.path, '--rubric', join(env.dir, 'none.json')])).code).toBe(EXIT.config);
  });

  it('a bad --earlier file: exit 3, one line naming the file and the problem', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 10);
    const missing = await cli(['estimate', list.path, '--earlier', join(env.dir, 'gone.csv')]);
    expect(missing.code).toBe(EXIT.input);
    expect(missing.err).toMatch(/^riskscreen: --earlier .*gone\.csv: cannot be read \(ENOENT\)/);
    // The list itself is no result: it has no line_status column.
    const notResult = await cli(['estimate', list.path, '--earlier', list.path]);
    expect(notResult.code).toBe(EXIT.input);
    expect(notResult.err).toMatch(/^riskscreen: --earlier .*list\.csv, line 1: it has no "line_status" column/);
    const garbled = join(env.dir, 'garbled.csv');
    writeFileSync(garbled, 'mobile,line_status\n13800138000,gone\n');
    const bad = await cli(['estimate', list.path, '--earlier', garbled]);
    expect(bad.code).toBe(EXIT.input);
    expect(bad.err).toMatch(/^riskscreen: --earlier .*garbled\.csv, line 2: line_status "gone" is not one of normal, .*no_record/);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  });
});
