/**
 * The queue engine against a real Redis and the emulator, with workers in their own
 * processes, as issue 5 asks: faults, quota, a refused key, a killed worker, and the
 * same file as the local engine. The rate held across processes is measured alone, in
 * test/timing/rate-at-the-service.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../../src/emulator/index.js';
import { APIS, ENDPOINTS, type EndpointId } from '../../../src/juhe/catalogue.js';
import { startEmulatorProcess, startHarness, stopProcess, writeNumberList, type EngineHarness } from './harness.js';

let harness: EngineHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The question a billed ledger entry answered: endpoint's API, number (or hash), date. */
function questionOf(entry: LedgerEntry): string {
  const api = ENDPOINTS[entry.endpoint as EndpointId].api;
  return `${api}|${entry.mobile ?? entry.hash}|${APIS[api].needsDate ? entry.date : ''}`;
}

/** Questions billed more than once, over every endpoint of an API. */
function billedTwice(entries: readonly LedgerEntry[]): string[] {
  const seen = new Map<string, number>();
  for (const entry of entries) if (entry.billed) seen.set(questionOf(entry), (seen.get(questionOf(entry)) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([question]) => question);
}

function resultRows(path: string): string[][] {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  return text
    .trim()
    .split('\r\n')
    .map((line) => line.split(','));
}

describe('the queue engine', () => {
  it('screens 10,000 numbers with 2 worker processes through 20% transient errors, never billing a question twice', async () => {
    // Retries are bounded (6 attempts for these codes), so at 20% a question gives up
    // with probability 0.2^6: about 1.4 of these 22,401 questions on average. The
    // emulator's faults are a pure function of (seed, question, attempt), so a seed
    // decides it: this one leaves none failing all six (scratch search: the default seed
    // has 4, which the engine then reports as failed rows, as it should).
    harness = await startHarness({ seed: 'engine-tests-7', errorRates: '224805=0.2,232401=0.2,224915=0.2' });
    const list = writeNumberList(harness.dir, 'ten-thousand.csv', 10_000);
    await Promise.all([harness.startWorker(['--concurrency', '24']), harness.startWorker(['--concurrency', '24'])]);
    const id = await harness.submit({ file: list.path, profile: 'standard' });
    const view = await harness.waitFor(id, 240_000);

    expect(view.status).toBe('done');
    expect(view.counts.rows).toBe(10_000);
    expect(view.counts.rowsScreened).toBe(10_000);
    expect(view.counts.failed).toBe(0);
    const entries = [...harness.emulator.ledger.entries()];
    const faults = entries.filter((e) => [224805, 232401, 224915].includes(e.error_code));
    expect(faults.length).toBeGreaterThan(2_000); // the faults really happened
    expect(billedTwice(entries)).toEqual([]);
    expect(view.counts.billed).toBe(entries.filter((e) => e.billed).length);
    const rows = resultRows(view.resultPath!);
    expect(rows).toHaveLength(10_001);
    expect(rows.slice(1).map((row) => row[0])).toEqual(list.numbers);
  }, 300_000);

  it('never retries a quota error (10012): the API is exhausted and its remaining rows are marked', async () => {
    // AES, not RSA: the emulator does not decrypt a call it refuses, and the ledger must
    // name the number of each refused call to show none was asked again.
    harness = await startHarness({ quota: 150 }, { JUHE_FORMS: 'status=aes' });
    const list = writeNumberList(harness.dir, 'quota.csv', 600);
    await harness.startWorker(['--concurrency', '8']);
    const id = await harness.submit({ file: list.path, profile: 'status' });
    const view = await harness.waitFor(id, 60_000);

    expect(view.status).toBe('done');
    expect(view.exhausted.status).toMatch(/10012/);
    const entries = [...harness.emulator.ledger.entries()];
    const refused = entries.filter((e) => e.error_code === 10012);
    expect(refused.length).toBeGreaterThan(0);
    // Not one retry: no question that got 10012 was ever sent again.
    const calls = new Map<string, number>();
    for (const entry of entries) calls.set(questionOf(entry), (calls.get(questionOf(entry)) ?? 0) + 1);
    for (const entry of refused) {
      expect(entry.mobile).not.toBeNull();
      expect(calls.get(questionOf(entry))).toBe(1);
    }
    expect(view.counts.billed).toBe(150);
    const c = view.counts;
    expect(c.answered + c.noRecord + c.failed + c.skipped).toBe(600);
    const rows = resultRows(view.resultPath!);
    const header = rows[0]!;
    const status = header.indexOf('row_status');
    const code = header.indexOf('line_status_code');
    const marked = rows.slice(1).filter((row) => row[status] === 'not_screened');
    expect(marked).toHaveLength(600 - c.answered - c.noRecord);
    for (const row of marked) expect(['10012', 'quota_exhausted']).toContain(row[code]);
  }, 120_000);

  it('blocks the batch within seconds when the key is refused (10001), with the reason in plain words', async () => {
    harness = await startHarness({}, { JUHE_KEY: 'a-key-juhe-does-not-know' });
    const list = writeNumberList(harness.dir, 'blocked.csv', 2_000);
    await harness.startWorker(['--concurrency', '8']);
    const started = Date.now();
    const id = await harness.submit({ file: list.path, profile: 'status' });
    const blocked = await harness.waitFor(id, 30_000, (view) => view.status === 'blocked');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(blocked.reason).toMatch(/Juhe refused the account: the API key is wrong \(code 10001/);
    const callsAtBlock = harness.emulator.ledger.stats().calls;
    const done = await harness.waitFor(id, 60_000, (view) => view.resultPath !== null);
    expect(done.status).toBe('blocked');
    // No further calls once blocked: only those already in flight (8) may land after.
    expect(harness.emulator.ledger.stats().calls - callsAtBlock).toBeLessThanOrEqual(8);
    expect(harness.emulator.ledger.stats().calls).toBeLessThan(100);
    expect(harness.emulator.ledger.stats().billed).toBe(0);
  }, 120_000);

  it('survives a worker killed with SIGKILL: the batch completes, no row missing, at most one extra bill per call in flight', async () => {
    // The victim's jobs come back once their locks lapse: a 5 s lock and check instead of 30 s.
    harness = await startHarness({ latencyMs: '5-15' }, { RISKSCREEN_STALL_CHECK_MS: '5000' });
    const list = writeNumberList(harness.dir, 'kill.csv', 3_000);
    const victim = await harness.startWorker(['--concurrency', '6']);
    await harness.startWorker(['--concurrency', '6']);
    const id = await harness.submit({ file: list.path, profile: 'basic' });
    await harness.waitFor(id, 60_000, (view) => view.counts.final > 1_500);
    victim.kill('SIGKILL');
    await new Promise((resolve) => victim.once('exit', resolve));
    await harness.startWorker(['--concurrency', '6']);
    const view = await harness.waitFor(id, 180_000);

    expect(view.status).toBe('done');
    expect(view.counts.rowsScreened).toBe(3_000);
    const rows = resultRows(view.resultPath!);
    expect(rows.slice(1).map((row) => row[0])).toEqual(list.numbers);
    // A call in flight when its process died was billed, but its answer was lost; its job
    // runs again. The bound: the victim's calls in flight (6 per API queue, 2 APIs).
    const twice = billedTwice([...harness.emulator.ledger.entries()]);
    expect(twice.length).toBeLessThanOrEqual(12);
  }, 300_000);

  it('writes byte for byte the same file as the local engine for the same input and emulator seed', async () => {
    harness = await startHarness({ seed: 'same-file' });
    await harness.startWorker(['--concurrency', '16']);
    const sample = join(process.cwd(), 'examples', 'sample-list.csv');
    const id = await harness.submit({ file: sample, profile: 'standard' });
    const queued = await harness.waitFor(id, 120_000);
    expect(queued.status).toBe('done');

    const { runLocal } = await import('./local-run.js');
    const local = await runLocal(sample, harness.dir, 'same-file');
    expect(readFileSync(local).equals(readFileSync(queued.resultPath!))).toBe(true);
  }, 180_000);

  it('leaves no worker running after SIGTERM: each exits cleanly', async () => {
    harness = await startHarness({});
    const worker = await harness.startWorker();
    const stderr: string[] = [];
    worker.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
    const code = await stopProcess(worker);
    expect({ code, signal: worker.signalCode, stderr: stderr.join('') }).toMatchObject({ code: 0, signal: null });
    expect(harness.workers.size).toBe(0);
  }, 60_000);
});
