/**
 * Batches always end: a job that BullMQ fails past its stall limit (its code never runs
 * for that) still leaves its question with a failed result, so the batch reaches its
 * report. On the queue engine with a real Redis and worker processes, with short lock
 * and stall timings so a dead worker's job is noticed in seconds.
 */
import { readFileSync } from 'node:fs';
import { UnrecoverableError, Worker } from 'bullmq';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTaskResult, encodeTaskResult } from '../../../src/engine/task-result.js';
import { silentLogger } from '../../../src/log/logger.js';
import { buildEngineParts } from '../../../workers/engine-parts.js';
import { sweepFailedJobs } from '../../../workers/unrecorded-failures.js';
import { startHarness, writeNumberList, type EngineHarness } from './harness.js';

let harness: EngineHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function resultRecords(path: string): Record<string, string>[] {
  return parse(readFileSync(path), { bom: true, columns: true }) as Record<string, string>[];
}

describe('batches always end', () => {
  it('a job failed past the stall limit leaves its question a failed result, and the batch reaches its report', async () => {
    // Lock and stall check 3 s; the first stall fails the job (RISKSCREEN_MAX_STALLS=0).
    harness = await startHarness({ latencyMs: 3_500 }, { RISKSCREEN_STALL_CHECK_MS: '3000', RISKSCREEN_MAX_STALLS: '0' });
    const list = writeNumberList(harness.dir, 'stall.csv', 12);
    await harness.startWorker(['--queues', 'ingest,report']);
    const victim = await harness.startWorker(['--queues', 'status', '--concurrency', '1']);
    const id = await harness.submit({ file: list.path, profile: 'status' });

    // The victim's first call is at the emulator (3.5 s to answer): its worker dies mid-job.
    await until(() => harness!.emulator.ledger.size >= 1, 30_000);
    const lost = harness.emulator.ledger.entries().next().value!.mobile;
    victim.kill('SIGKILL');
    await new Promise((resolve) => victim.once('exit', resolve));
    await harness.startWorker(['--queues', 'status', '--concurrency', '4']);

    const view = await harness.waitFor(id, 90_000);
    expect(view.status).toBe('done');
    // The victim held two jobs (one call slot, two job slots): the one calling and one
    // waiting behind it. Both were lost with it; every other question was answered.
    const { failed: lostJobs } = view.counts;
    expect(lostJobs).toBeGreaterThanOrEqual(1);
    expect(lostJobs).toBeLessThanOrEqual(2);
    expect(view.counts).toMatchObject({ tasks: 12, final: 12, answered: 12 - lostJobs });
    expect(view.reason).toBe(`${lostJobs} questions failed (see the error column)`);
    const rows = resultRecords(view.resultPath!);
    expect(rows).toHaveLength(12);
    const failed = rows.filter((row) => row.line_status === 'failed');
    expect(failed).toHaveLength(lostJobs);
    expect(failed.map((row) => row.mobile)).toContain(lost);
    for (const row of failed) {
      expect(row.line_status_code).toBe('RISKSCREEN_JOB_LOST');
      expect(row.error).toMatch(/stopped \(died or hung\) more than 0 times \(RISKSCREEN_MAX_STALLS\)/);
    }
  }, 120_000);

  it('the sweep settles a job failed for good whose worker died before it could record it', async () => {
    harness = await startHarness({});
    const list = writeNumberList(harness.dir, 'sweep.csv', 3);
    // Ingest by hand: a worker on the ingest queue only, so the API jobs just wait.
    const ingest = await harness.startWorker(['--queues', 'ingest']);
    const id = await harness.submit({ file: list.path, profile: 'status' });
    await harness.waitFor(id, 30_000, (view) => view.counts.ingestDone === 1);
    await new Promise((resolve) => ingest.once('exit', resolve).kill('SIGTERM'));

    // A bare BullMQ worker fails every status job for good, as a worker that died right
    // after BullMQ failed them would leave them: failed, nothing recorded.
    const connection = harness.redis.client.duplicate();
    const bare = new Worker('api-status', async () => {
      throw new UnrecoverableError('job stalled more than allowable limit');
    }, { connection, prefix: harness.options.engine.prefix });
    const queue = harness.queues.api.status;
    for (let waited = 0; (await queue.getFailedCount()) < 3; waited += 50) {
      if (waited > 20_000) throw new Error('the bare worker did not fail the jobs');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await bare.close();
    await connection.quit();
    expect((await harness.stores.batches.get(id))!.counts.final).toBe(0);

    const parts = buildEngineParts(harness.options, harness.stores, silentLogger);
    try {
      const context = { ...parts.context, scheduler: harness.queues };
      expect(await sweepFailedJobs(context, new Map([['api-status', queue]]))).toBe(3);
      // Idempotent: a second sweep finds nothing left to settle.
      expect(await sweepFailedJobs(context, new Map([['api-status', queue]]))).toBe(0);
    } finally {
      await parts.client.close();
    }
    const view = (await harness.stores.batches.get(id))!;
    expect(view.counts).toMatchObject({ tasks: 3, final: 3, failed: 3 });
    const task = (await queue.getJobs(['failed']))[0]!.data.taskId;
    const [stored] = await harness.stores.batches.getResults(id, [task]);
    expect(decodeTaskResult('status', stored!)).toMatchObject({ kind: 'failed', code: 'RISKSCREEN_JOB_LOST' });
    // The last result queued the report.
    expect(await harness.queues.report.getJob(`${id}.report`)).toBeDefined();
  }, 60_000);

  it('staged: the sweep also settles a first-stage job that kept its answer but failed before its next stage: the next stage is queued', async () => {
    harness = await startHarness({});
    const list = writeNumberList(harness.dir, 'sweep-staged.csv', 3);
    const ingest = await harness.startWorker(['--queues', 'ingest']);
    const id = await harness.submit({ file: list.path, profile: 'basic', plan: 'staged' });
    await harness.waitFor(id, 30_000, (view) => view.counts.ingestDone === 1);
    await new Promise((resolve) => ingest.once('exit', resolve).kill('SIGTERM'));
    expect(await harness.queues.api.tenure.getWaitingCount()).toBe(0);

    // Each status job keeps an answer that leaves the level open, then fails for good
    // before its next stage is queued (its worker died right after).
    const connection = harness.redis.client.duplicate();
    const stores = harness.stores;
    const bare = new Worker(
      'api-status',
      async (job) => {
        const data = job.data as { batchId: string; taskId: string };
        await stores.batches.recordResult(data.batchId, data.taskId, encodeTaskResult('status', { kind: 'answered', signals: { lineStatus: { value: 'normal', raw: '0' } } }), {
          answered: 1,
          'final.status': 1,
        });
        throw new UnrecoverableError('job stalled more than allowable limit');
      },
      { connection, prefix: harness.options.engine.prefix },
    );
    const queue = harness.queues.api.status;
    for (let waited = 0; (await queue.getFailedCount()) < 3; waited += 50) {
      if (waited > 20_000) throw new Error('the bare worker did not fail the jobs');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await bare.close();
    await connection.quit();
    expect((await harness.stores.batches.get(id))!.counts.final).toBe(3);

    const parts = buildEngineParts(harness.options, harness.stores, silentLogger);
    try {
      const context = { ...parts.context, scheduler: harness.queues };
      expect(await sweepFailedJobs(context, new Map([['api-status', queue]]))).toBe(3);
    } finally {
      await parts.client.close();
    }
    // The kept answers stay; the next stage of every number is queued, nothing counted twice.
    expect(await harness.queues.api.tenure.getWaitingCount()).toBe(3);
    expect((await harness.stores.batches.get(id))!.counts).toMatchObject({ tasks: 6, final: 3, answered: 3, failed: 0 });
  }, 60_000);
});
