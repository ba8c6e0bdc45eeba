/**
 * `riskscreen worker --metrics-port 0` as ops run it: a spawned worker on a Redis this
 * test starts (so it can stop it), screening lists on the emulator. Its /metrics agrees
 * with the emulator's ledger (calls by code, billed calls) and with the batch's
 * manifest (rows by status and level), counts the second batch of the same list as cache hits,
 * exports the queue, batch, worker and quota gauges, and never holds a number, the key
 * or a batch id; /healthz answers; /readyz says 503 with the reason while Redis is
 * away, and 200 again once it is back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestPathOf, readManifest } from '../../../src/report/manifest.js';
import { samples, total } from '../../support/metrics-text.js';
import { freePort, spawnRedisServer, type RedisServerProcess } from '../../support/redis-server.js';
import { startHarness, writeNumberList, type EngineHarness } from './harness.js';

const FULL_NUMBER = /(?<![\dA-Za-z])1[3-9]\d{9}(?![\dA-Za-z])/;

let redisDir: string;
let redisPort: number;
let redis: RedisServerProcess;
let harness: EngineHarness;

beforeAll(async () => {
  redisDir = mkdtempSync(join(tmpdir(), 'riskscreen-metrics-redis-'));
  redisPort = await freePort();
  redis = await spawnRedisServer(redisPort, redisDir, ['--appendonly', 'no']);
  harness = await startHarness({}, { RISKSCREEN_QUOTA_CALLS: 'status=5000,tenure=4000' }, redis.url);
});

afterAll(async () => {
  await harness?.close();
  await redis?.stop('SIGTERM');
  rmSync(redisDir, { recursive: true, force: true });
});

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a worker\'s /metrics, /healthz and /readyz', () => {
  it('counts what the ledger and the manifest say, exports the gauges, holds no number or key, and says not ready while Redis is away', async () => {
    const worker = await harness.startWorker(['--metrics-port', '0']);
    const url = /worker metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(harness.stderrOf(worker))?.[1];
    expect(url, harness.stderrOf(worker)).toBeDefined();

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, role: 'worker' });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const list = writeNumberList(harness.dir, 'metrics.csv', 60);
    const first = await harness.submit({ file: list.path, profile: 'basic' });
    const view = await harness.waitFor(first, 30_000);
    expect(view.status).toBe('done');

    const scrape = await fetch(`${url}/metrics`);
    expect(scrape.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await scrape.text();
    for (const [name, type] of [
      ['riskscreen_juhe_calls_total', 'counter'],
      ['riskscreen_juhe_billed_calls_total', 'counter'],
      ['riskscreen_juhe_call_duration_seconds', 'histogram'],
      ['riskscreen_rate_gate_wait_seconds', 'histogram'],
      ['riskscreen_queue_jobs', 'gauge'],
      ['riskscreen_batches', 'gauge'],
      ['riskscreen_workers_alive', 'gauge'],
      ['process_resident_memory_bytes', 'gauge'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
      expect(text).toContain(`# HELP ${name} `);
    }
    let got = samples(text);
    const ledger = harness.emulator.ledger.stats();
    expect(total(got, 'riskscreen_juhe_calls_total')).toBe(ledger.calls);
    for (const [code, calls] of Object.entries(ledger.byCode)) expect(total(got, 'riskscreen_juhe_calls_total', (labels) => labels.includes(`code="${code}"`)), code).toBe(calls);
    expect(total(got, 'riskscreen_juhe_billed_calls_total')).toBe(ledger.billed);
    expect(total(got, 'riskscreen_juhe_billed_calls_total')).toBe(view.counts.billed);
    expect(total(got, 'riskscreen_juhe_call_duration_seconds_count')).toBe(ledger.calls);
    const manifest = await readManifest(manifestPathOf(view.resultPath!));
    for (const [status, byLevel] of Object.entries(manifest.rows.by_status_and_level)) {
      for (const [level, rows] of Object.entries(byLevel)) expect(got.get(`riskscreen_result_rows_total{status="${status}",level="${level}"}`), `${status} ${level}`).toBe(rows);
    }
    expect(total(got, 'riskscreen_result_rows_total')).toBe(60);
    expect(total(got, 'riskscreen_result_rows_total', (labels) => labels.includes('status="screened"'))).toBe(view.counts.rowsScreened);
    // Gauges read at the scrape: every queue's states, the batch just done, this worker, the quota.
    expect(got.get('riskscreen_queue_jobs{queue="api-status",state="waiting"}')).toBe(0);
    expect(got.has('riskscreen_queue_jobs{queue="ingest",state="completed"}')).toBe(true);
    expect(got.get('riskscreen_batches{status="done"}')).toBe(1);
    expect(got.get('riskscreen_batches{status="screening"}')).toBe(0);
    expect(got.get('riskscreen_batches_stuck')).toBe(0);
    expect(got.get('riskscreen_workers_alive')).toBe(1);
    expect(got.get('riskscreen_juhe_quota_calls{api="status"}')).toBe(5000);
    // The running totals kept in Redis (what the quota alert compares with the quota): the ledger's, per API as the batch counts them.
    expect(total(got, 'riskscreen_juhe_recorded_billed_calls')).toBe(ledger.billed);
    expect(got.get('riskscreen_juhe_recorded_billed_calls{api="status"}')).toBe(view.counts['billed.status']);
    expect(got.get('riskscreen_juhe_recorded_billed_calls{api="tenure"}')).toBe(view.counts['billed.tenure']);
    expect(got.get('riskscreen_juhe_recorded_maybe_billed_calls{api="status"}')).toBe(view.counts['maybeBilled.status']);
    expect(got.get('riskscreen_metrics_collect_errors_total')).toBe(0);

    // The same list again: answered from the cache, nothing more billed. The batch gauges
    // come from a reading at most 5 s old: the new batch shows within that.
    const second = await harness.submit({ file: list.path, profile: 'basic' });
    const again = await harness.waitFor(second, 30_000);
    got = await until(
      async () => samples(await (await fetch(`${url}/metrics`)).text()),
      (now) => now.get('riskscreen_batches{status="done"}') === 2,
      10_000,
    );
    expect(total(got, 'riskscreen_cache_hits_total')).toBe(again.counts.cacheHits);
    // Every question asked the first time is in the cache (staged: those the line status decided were not asked, then or now).
    expect(again.counts.decided).toBe(view.counts.decided);
    expect(total(got, 'riskscreen_cache_hits_total')).toBe(view.counts.tasks - view.counts.decided);
    expect(total(got, 'riskscreen_juhe_billed_calls_total')).toBe(harness.emulator.ledger.stats().billed);
    expect(total(got, 'riskscreen_juhe_recorded_billed_calls')).toBe(harness.emulator.ledger.stats().billed);
    expect(got.get('riskscreen_batches{status="done"}')).toBe(2);

    const final = await (await fetch(`${url}/metrics`)).text();
    expect(final).not.toMatch(FULL_NUMBER);
    for (const secret of [harness.env.JUHE_KEY!, harness.env.JUHE_OPENID!, first, second, ...list.numbers.slice(0, 5)]) expect(final).not.toContain(secret);

    // Redis goes away: the worker lives on (healthz) but is not ready, and says why; its gauges are left out.
    await redis.stop('SIGTERM');
    const notReady = await until(
      () => fetch(`${url}/readyz`),
      (response) => response.status === 503,
      10_000,
    );
    expect(await notReady.json()).toMatchObject({ ready: false, reason: expect.stringMatching(/^Redis (is not connected|did not answer)/) });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const started = Date.now();
    await fetch(`${url}/metrics`);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Once the last reading (at most 5 s old) has aged out, the gauges are left out.
    got = await until(
      async () => samples(await (await fetch(`${url}/metrics`)).text()),
      (now) => !now.has('riskscreen_workers_alive'),
      10_000,
    );
    expect(got.get('riskscreen_metrics_collect_errors_total')).toBeGreaterThan(0);
    expect(total(got, 'riskscreen_juhe_billed_calls_total')).toBe(harness.emulator.ledger.stats().billed);

    // Back: ready again once the worker has reconnected.
    redis = await spawnRedisServer(redisPort, redisDir, ['--appendonly', 'no']);
    await until(
      async () => (await fetch(`${url}/readyz`)).status,
      (status) => status === 200,
      15_000,
    );
  });
});
