/**
 * On the queue engine, only calls wait for an API's rate: answers from the shared cache
 * do not (the BullMQ limiter never holds a job back), while a 10011 from the service
 * still holds the whole API (BullMQ's manual rate limit and the rate gate) and the batch
 * answers every question in the end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, writeNumberList, type EngineHarness } from './harness.js';

let harness: EngineHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('rates and holds on the queue engine', () => {
  it('a re-run answered from the cache does not wait for the rate: 400 answers at 5 calls a second take seconds, not 80 s', async () => {
    harness = await startHarness({});
    const list = writeNumberList(harness.dir, 'cached.csv', 400);
    await harness.startWorker(['--concurrency', '16']);
    const first = await harness.waitFor(await harness.submit({ file: list.path, profile: 'status' }), 60_000);
    expect(first.counts.billed + first.counts.noRecord).toBe(400);

    await harness.queues.setRates({ status: 5 });
    const started = Date.now();
    const again = await harness.waitFor(await harness.submit({ file: list.path, profile: 'status' }), 60_000);
    expect(again.status).toBe('done');
    expect(again.counts).toMatchObject({ cacheHits: 400, billed: 0 });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(harness.emulator.ledger.stats().calls).toBe(400);
  }, 120_000);

  it('a 10011 (too many requests) holds the API and is noted for status; every question is answered in the end', async () => {
    // The service allows 30 calls a second; the workers are allowed 5000.
    harness = await startHarness({ qps: 30 });
    const list = writeNumberList(harness.dir, 'throttled.csv', 300);
    await Promise.all([harness.startWorker(['--concurrency', '8']), harness.startWorker(['--concurrency', '8'])]);
    const view = await harness.waitFor(await harness.submit({ file: list.path, profile: 'status' }), 120_000);

    expect(view.status).toBe('done');
    expect(view.counts.failed).toBe(0);
    expect(view.counts.answered + view.counts.noRecord).toBe(300);
    expect(view.errorsByCode['10011']).toBeGreaterThan(0);
    expect(view.holds.status?.map((hold) => hold.code)).toEqual([10011]);
    const stats = harness.emulator.ledger.stats();
    expect(stats.byCode['10011']).toBe(view.errorsByCode['10011']);
    expect(stats.duplicateBilled).toBe(0);
  }, 150_000);
});
