/**
 * The queue engine's batch commands from the command line: submit, status, cancel,
 * result, and estimate before anything is spent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { runCli } from '../../support/capture-io.js';
import { startHarness, writeNumberList, type EngineHarness } from './harness.js';

const saved = { ...process.env };
let harness: EngineHarness | undefined;
afterEach(async () => {
  process.env = { ...saved };
  await harness?.close();
  harness = undefined;
});

const cli = runCli;

describe('submit, status, cancel, result', () => {
  it('submits, shows the status, cancels, and the result still comes out with the rows marked', async () => {
    // A slow rate so the batch is still running when it is cancelled.
    harness = await startHarness({}, { RISKSCREEN_RATES: 'status=5,tenure=5,tenureCmcc=5,resale=5,callDuration=5' });
    Object.assign(process.env, harness.env);
    await harness.queues.setRates(harness.options.engine.rates);
    const list = writeNumberList(harness.dir, 'list.csv', 60);

    const submitted = await cli(['submit', list.path, '--profile', 'status']);
    expect(submitted.code).toBe(EXIT.ok);
    const id = submitted.out.trim();
    expect(id).toMatch(/^b\d{8}-\d{6}-[0-9a-z]{4}$/);

    await harness.startWorker(['--concurrency', '4']);
    await harness.waitFor(id, 30_000, (view) => view.counts.final >= 3);
    const status = await cli(['status', id, '--json']);
    expect(status.code).toBe(EXIT.ok);
    expect(JSON.parse(status.out)).toMatchObject({ id, status: 'screening', options: { profile: 'status' } });

    const cancelled = await cli(['cancel', id]);
    expect(cancelled.code).toBe(EXIT.ok);
    const view = await harness.waitFor(id, 60_000, (v) => v.resultPath !== null);
    expect(view.status).toBe('cancelled');
    expect(view.reason).toBe('cancelled by riskscreen cancel');
    expect(view.counts.skipped).toBeGreaterThan(0);
    const callsAfter = harness.emulator.ledger.stats().calls;

    const out = join(harness.dir, 'copy', 'result.csv');
    const result = await cli(['result', id, '--out', out, '--split']);
    expect(result.code).toBe(EXIT.ok);
    const lines = readFileSync(out, 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines).toHaveLength(61);
    expect(lines.filter((line) => line.includes(',cancelled,'))).toHaveLength(view.counts.skipped);
    // The manifest says the batch was cancelled; rows never asked are not_screened and never low.
    const manifest = JSON.parse(readFileSync(join(harness.dir, 'copy', 'result.manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ batch: { id, status: 'cancelled', reason: 'cancelled by riskscreen cancel' }, rows: { total: 60 } });
    expect(manifest.rows.by_status.not_screened).toBe(view.counts.skipped);
    expect(manifest.rows.by_status_and_level.not_screened.low).toBe(0);
    expect(existsSync(join(harness.dir, 'copy', 'result.high.csv'))).toBe(true);
    expect(result.out).toMatch(/not screened\s+0\s+\d+\s+\d+\s+0\s+\d+/);
    expect(harness.emulator.ledger.stats().calls).toBe(callsAfter); // nothing asked after the cancel settled

    expect((await cli(['cancel', id])).code).toBe(EXIT.internal); // already finished
    const text = await cli(['status', id]);
    expect(text.out).toMatch(new RegExp(`batch ${id}: cancelled \\(cancelled by riskscreen cancel\\)`));
    expect(text.out).toMatch(/rows\s+low\s+medium\s+high\s+unscored\s+total\n/);
    expect(text.out).toMatch(/all\s+\d+\s+\d+\s+\d+\s+0\s+60\n/);
  }, 120_000);

  it('says plainly when a batch is unknown or has no result yet', async () => {
    harness = await startHarness({});
    Object.assign(process.env, harness.env);
    const unknown = await cli(['status', 'b20200101-000000-zzzz']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.err).toMatch(/no batch b20200101-000000-zzzz/);
    const notId = await cli(['result', '12345', '--out', join(harness.dir, 'x.csv')]);
    expect(notId.code).toBe(EXIT.usage);
    expect(notId.err).toMatch(/is not a batch id/);

    const list = writeNumberList(harness.dir, 'list.csv', 5);
    const id = (await cli(['submit', list.path])).out.trim();
    const early = await cli(['result', id, '--out', join(harness.dir, 'early.csv')]);
    expect(early.code).toBe(EXIT.internal);
    expect(early.err).toMatch(/has no result yet \(queued/);
    expect(existsSync(join(harness.dir, 'early.csv'))).toBe(false);
  }, 60_000);
});

describe('estimate', () => {
  it('counts questions per API and what the shared cache already holds, calling nothing; the staged bill from the cached line statuses', async () => {
    // 30% of lines not in service: the staged batch decides some numbers' other questions.
    harness = await startHarness({ notInService: 0.3 });
    Object.assign(process.env, harness.env);
    const list = writeNumberList(harness.dir, 'list.csv', 40, { dates: true });
    const before = await cli(['estimate', list.path, '--json']);
    expect(before.code).toBe(EXIT.ok);
    const estimate = JSON.parse(before.out);
    expect(estimate.counts).toMatchObject({ rows: 40, valid: 40, unique: 40 });
    expect(estimate.questions.status).toBe(40);
    expect(estimate.questions.resale).toBe(40);
    expect(estimate.billableUpperBound).toBe(40 * 3 + estimate.questions.callDuration);
    expect(estimate.cached.status).toBe(0);
    expect(estimate.cacheFrom).toBe('redis');
    // Nothing known yet: both plans expect their (common) upper bound.
    expect(estimate.plans.all).toMatchObject({ upperBound: estimate.billableUpperBound, expected: estimate.billableUpperBound });
    expect(estimate.plans.staged).toMatchObject({ upperBound: estimate.billableUpperBound, expected: estimate.billableUpperBound });
    expect(estimate.staging).toMatchObject({ numbers: 40, known: 0, savedTotal: 0 });
    expect(harness.emulator.ledger.stats().calls).toBe(0);

    // Screen it once under staged; the estimate then finds every answer asked in the
    // cache, and counts the questions the batch decided as what staged saves.
    await harness.startWorker(['--concurrency', '8']);
    const id = await harness.submit({ file: list.path, plan: 'staged' });
    const view = await harness.waitFor(id, 60_000);
    expect(view.counts.decided).toBeGreaterThan(0);
    const after = JSON.parse((await cli(['estimate', list.path, '--json'])).out);
    expect(after.cached.status).toBe(40);
    expect(after.staging).toMatchObject({ known: 40, knownFromCache: 40, savedTotal: view.counts.decided });
    for (const api of ['tenure', 'resale', 'callDuration'] as const) {
      expect(after.staging.saved[api]).toBe(view.counts[`decided.${api}`] ?? 0);
      expect(after.cached[api] + after.staging.saved[api]).toBe(after.questions[api]);
    }
    expect(after.plans.all.expected).toBe(view.counts.decided);
    expect(after.plans.staged.expected).toBe(0);
  }, 120_000);
});
