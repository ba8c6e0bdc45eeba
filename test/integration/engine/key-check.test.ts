/**
 * The key check before fan-out, on the queue engine with a real Redis and worker
 * processes: the first call of each API in a batch goes alone, so a refused key costs
 * one call per API, and a key refused mid-batch costs no more than the calls already
 * in flight.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ENDPOINTS, type ApiId, type EndpointId } from '../../../src/juhe/catalogue.js';
import { startHarness, writeNumberList, type EngineHarness } from './harness.js';

let harness: EngineHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function callsByApi(harness: EngineHarness): Map<ApiId, number> {
  const counts = new Map<ApiId, number>();
  for (const entry of harness.emulator.ledger.entries()) {
    const api = ENDPOINTS[entry.endpoint as EndpointId].api;
    counts.set(api, (counts.get(api) ?? 0) + 1);
  }
  return counts;
}

describe('the key check before fan-out', () => {
  it('a refused key: one call per API, however many workers and slots, and the batch says why within seconds', async () => {
    harness = await startHarness({}, { JUHE_KEY: 'a-key-juhe-does-not-know' });
    const list = writeNumberList(harness.dir, 'bad-key.csv', 3_000, { dates: true });
    await Promise.all([harness.startWorker(['--concurrency', '32']), harness.startWorker(['--concurrency', '32'])]);
    const started = Date.now();
    const id = await harness.submit({ file: list.path, profile: 'standard' });
    const blocked = await harness.waitFor(id, 30_000, (view) => view.status === 'blocked');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(blocked.reason).toMatch(/^Juhe refused the account: the API key is wrong \(code 10001 from .+\)\. No more calls are made for this batch; fix the key or account and submit it again\.$/);
    const done = await harness.waitFor(id, 60_000, (view) => view.resultPath !== null);
    expect(done.status).toBe('blocked');
    expect(done.counts.final).toBe(done.counts.tasks);

    // standard asks status, tenure, resale (a date on every row) and call minutes (China Telecom).
    const perApi = callsByApi(harness);
    for (const [api, calls] of perApi) expect(calls, api).toBe(1);
    expect(harness.emulator.ledger.stats().calls).toBeLessThanOrEqual(4);
    expect(harness.emulator.ledger.stats().billed).toBe(0);
  }, 120_000);

  it('a key refused mid-batch (it expires after 200 calls): no more calls than those in flight', async () => {
    const WORKERS = 2;
    const CONCURRENCY = 8;
    // 50 calls a second per API: calls queue at the rate gate with their slots reserved,
    // up to a third of a second ahead. Each looks at the batch again when its slot comes,
    // so those do not leave once the key is refused; only calls already out do.
    harness = await startHarness(
      { keyExpiresAfter: 200, latencyMs: '2-8' },
      { RISKSCREEN_RATES: 'status=50,tenure=50,tenureCmcc=50,resale=50,callDuration=50' },
    );
    const list = writeNumberList(harness.dir, 'expiring.csv', 3_000);
    await Promise.all(Array.from({ length: WORKERS }, () => harness!.startWorker(['--concurrency', String(CONCURRENCY)])));
    const id = await harness.submit({ file: list.path, profile: 'basic' });
    const view = await harness.waitFor(id, 120_000);

    expect(view.status).toBe('blocked');
    expect(view.reason).toMatch(/the API key has expired \(code 10003/);
    const stats = harness.emulator.ledger.stats();
    // Every call after the 200th was refused with 10003: the calls that left after the key
    // went bad. At 50 calls a second and a few ms a call, about one per API is out at a
    // time; the 32 call slots (2 workers x 8 x 2 APIs) waiting at the gate did not leave.
    const refused = stats.calls - 200;
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(8);
    expect(view.counts.final).toBe(view.counts.tasks);
    expect(view.counts.rows).toBe(3_000);
  }, 180_000);
});
