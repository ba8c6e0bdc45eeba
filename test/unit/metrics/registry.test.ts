/**
 * The metrics registry: every documented metric with its type, help and labels; the
 * observer's counts (a Juhe code the documents do not list as `other`, a billed call
 * never also maybe billed, attempts that could not connect apart from calls); gauges
 * read at the scrape that leave themselves out (and count the failure) when their
 * reading fails or hangs, without failing the scrape; one reading serving the scrapes
 * of the next few seconds, shared by scrapes that come together.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keptReading } from '../../../src/metrics/cluster-gauges.js';
import { metricCodeOf } from '../../../src/metrics/engine-metrics.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { series as samples } from '../../support/metrics-text.js';
import { emptyBilledTotals } from '../../../src/engine/store.js';
import { API_IDS } from '../../../src/juhe/catalogue.js';

/** docs/metrics.md's table of metrics: name, type and labels of each, as the registry must give them. */
const DOCUMENTED: Record<string, { type: string; labels: string[] }> = Object.fromEntries(
  readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8')
    .split('\n')
    .flatMap((line) => {
      const match = /^\| `(riskscreen_[a-z_]+)` \| (counter|gauge|histogram) \|([^|]*)\|/.exec(line);
      return match ? [[match[1]!, { type: match[2]!, labels: [...match[3]!.matchAll(/`([a-z]+)`/g)].map((label) => label[1]!) }]] : [];
    }),
);

const ALLOWED_LABELS = new Set(['api', 'form', 'code', 'status', 'state', 'queue', 'level']);

const everyGauge = {
  queueJobs: async () => ({ ingest: { waiting: 1, active: 0 }, 'api-status': { waiting: 7, delayed: 2 } }),
  batches: async () => ({ byStatus: { screening: 2, done: 5 }, stuck: 1 }),
  workersAlive: async () => 3,
  billedTotals: async () => emptyBilledTotals(),
};

describe('the metrics registry', () => {
  it('has every documented metric, with its type, a help line and only the allowed labels; and the process metrics under their standard names', async () => {
    expect(Object.keys(DOCUMENTED)).toHaveLength(17);
    const metrics = createMetrics({ quotaCalls: { status: 1_000_000 }, cluster: everyGauge });
    const json = await metrics.registry.getMetricsAsJSON();
    const byName = new Map(json.map((metric) => [metric.name, metric]));
    for (const [name, spec] of Object.entries(DOCUMENTED)) {
      const metric = byName.get(name);
      expect(metric, name).toBeDefined();
      expect(metric!.type, name).toBe(spec.type);
      expect(metric!.help.length, name).toBeGreaterThan(20);
    }
    for (const metric of json.filter((m) => m.name.startsWith('riskscreen_'))) {
      expect(Object.keys(DOCUMENTED), `${metric.name} is not in docs/metrics.md`).toContain(metric.name);
      const declared = (metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames: string[] }).labelNames;
      const used = new Set(metric.values.flatMap((value) => Object.keys(value.labels)).filter((label) => label !== 'le'));
      for (const label of [...declared, ...used]) expect(ALLOWED_LABELS.has(label), `${metric.name} has the label ${label}`).toBe(true);
      expect([...declared].sort(), metric.name).toEqual([...DOCUMENTED[metric.name]!.labels].sort());
    }
    expect(byName.get('process_resident_memory_bytes')?.type).toBe('gauge');
    expect(byName.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    const text = await metrics.exposition();
    expect(text).toContain('# TYPE riskscreen_juhe_calls_total counter');
    expect(text).toContain('# HELP riskscreen_juhe_call_duration_seconds ');
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('two registries in one process count apart (none is the global one)', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.observer.cacheHit('status');
    expect(samples(await a.exposition(), 'riskscreen_cache_hits_total').get('{api="status"}')).toBe(1);
    expect(samples(await b.exposition(), 'riskscreen_cache_hits_total').get('{api="status"}')).toBe(0);
  });

  it('counts what the observer is told: calls by api, form and code, billed and maybe billed, latency, waits, holds, cache hits, rows by status and level', async () => {
    const metrics = createMetrics({ quotaCalls: { status: 500, tenure: 20 } });
    const { observer } = metrics;
    observer.called({ api: 'status', form: 'aes', code: '0', billed: true, maybeBilled: false, seconds: 0.07 });
    observer.called({ api: 'status', form: 'aes', code: '0', billed: true, maybeBilled: false, seconds: 0.3 });
    observer.called({ api: 'status', form: 'aes', code: 'juhe_transient', billed: false, maybeBilled: true, seconds: 12 });
    observer.called({ api: 'tenure', form: 'plain', code: '224801', billed: false, maybeBilled: false, seconds: 0.02 });
    // Billed, its result unreadable: billed only (billed + maybe billed is the worst case, nothing counted twice).
    observer.called({ api: 'tenure', form: 'plain', code: '0', billed: true, maybeBilled: true, seconds: 0.02 });
    // A code no document lists: `other`, so the service cannot grow the label.
    observer.called({ api: 'tenure', form: 'plain', code: '999123', billed: false, maybeBilled: false, seconds: 0.02 });
    // Could not connect: no call, no latency.
    observer.connectFailed('resale');
    observer.connectFailed('resale');
    observer.rateWait('status', 0);
    observer.rateWait('status', 2);
    observer.hold('status', '10011');
    observer.hold('tenure', '224924');
    observer.cacheHit('tenure');
    observer.rowsReported({ screened: { low: 3, medium: 0, high: 2, unscored: 0 }, invalid: { low: 0, medium: 0, high: 0, unscored: 1 } });
    observer.rowsReported({ screened: { low: 1, medium: 1, high: 0, unscored: 0 } });
    const text = await metrics.exposition();
    const calls = samples(text, 'riskscreen_juhe_calls_total');
    expect(calls.get('{api="status",form="aes",code="0"}')).toBe(2);
    expect(calls.get('{api="status",form="aes",code="juhe_transient"}')).toBe(1);
    expect(calls.get('{api="tenure",form="plain",code="224801"}')).toBe(1);
    expect(calls.get('{api="tenure",form="plain",code="other"}')).toBe(1);
    expect(calls.has('{api="tenure",form="plain",code="999123"}')).toBe(false);
    expect(samples(text, 'riskscreen_juhe_billed_calls_total').get('{api="tenure"}')).toBe(1);
    expect(samples(text, 'riskscreen_juhe_maybe_billed_calls_total').get('{api="tenure"}')).toBe(0);
    expect(samples(text, 'riskscreen_juhe_connect_failures_total').get('{api="resale"}')).toBe(2);
    expect(samples(text, 'riskscreen_juhe_connect_failures_total').get('{api="status"}')).toBe(0);
    expect(samples(text, 'riskscreen_juhe_call_duration_seconds_count').get('{api="resale"}')).toBe(0);
    expect([...calls.keys()].some((labels) => labels.includes('api="resale"'))).toBe(false);
    expect(samples(text, 'riskscreen_juhe_billed_calls_total').get('{api="status"}')).toBe(2);
    // Known series start at 0, so the first rise shows in rate().
    expect(samples(text, 'riskscreen_juhe_billed_calls_total').get('{api="resale"}')).toBe(0);
    expect(samples(text, 'riskscreen_juhe_holds_total').get('{api="resale",code="http_429"}')).toBe(0);
    expect(samples(text, 'riskscreen_juhe_maybe_billed_calls_total').get('{api="status"}')).toBe(1);
    const latency = samples(text, 'riskscreen_juhe_call_duration_seconds_bucket');
    expect(latency.get('{le="0.1",api="status"}')).toBe(1);
    expect(latency.get('{le="0.5",api="status"}')).toBe(2);
    expect(latency.get('{le="+Inf",api="status"}')).toBe(3);
    expect(samples(text, 'riskscreen_juhe_call_duration_seconds_count').get('{api="status"}')).toBe(3);
    expect(samples(text, 'riskscreen_rate_gate_wait_seconds_count').get('{api="status"}')).toBe(2);
    expect(samples(text, 'riskscreen_rate_gate_wait_seconds_sum').get('{api="status"}')).toBe(2);
    expect(samples(text, 'riskscreen_juhe_holds_total').get('{api="status",code="10011"}')).toBe(1);
    expect(samples(text, 'riskscreen_juhe_holds_total').get('{api="tenure",code="224924"}')).toBe(1);
    expect(samples(text, 'riskscreen_cache_hits_total').get('{api="tenure"}')).toBe(1);
    const rows = samples(text, 'riskscreen_result_rows_total');
    // Every status and level from the start (4 x 4).
    expect(rows.size).toBe(16);
    expect(rows.get('{status="screened",level="low"}')).toBe(4);
    expect(rows.get('{status="screened",level="medium"}')).toBe(1);
    expect(rows.get('{status="screened",level="high"}')).toBe(2);
    expect(rows.get('{status="invalid",level="unscored"}')).toBe(1);
    expect(rows.get('{status="partial",level="low"}')).toBe(0);
    expect([...rows.values()].reduce((sum, n) => sum + n, 0)).toBe(8);
    const quota = samples(text, 'riskscreen_juhe_quota_calls');
    expect(Object.fromEntries(quota)).toEqual({ '{api="status"}': 500, '{api="tenure"}': 20 });
  });

  it("exports the store's running totals of billed and maybe-billed calls for every API, from one reading, beside the quota bought", async () => {
    let reads = 0;
    const metrics = createMetrics({
      quotaCalls: { status: 1_000_000 },
      cluster: {
        billedTotals: async () => {
          reads++;
          return { ...emptyBilledTotals(), status: { billed: 950_000, maybeBilled: 12 } };
        },
      },
    });
    const text = await metrics.exposition();
    expect(text).toContain('# TYPE riskscreen_juhe_recorded_billed_calls gauge\n');
    expect(text).toContain('# TYPE riskscreen_juhe_recorded_maybe_billed_calls gauge\n');
    const zero = Object.fromEntries(API_IDS.map((api) => [`{api="${api}"}`, 0]));
    expect(Object.fromEntries(samples(text, 'riskscreen_juhe_recorded_billed_calls'))).toEqual({ ...zero, '{api="status"}': 950_000 });
    expect(Object.fromEntries(samples(text, 'riskscreen_juhe_recorded_maybe_billed_calls'))).toEqual({ ...zero, '{api="status"}': 12 });
    expect(samples(text, 'riskscreen_juhe_quota_calls').get('{api="status"}')).toBe(1_000_000);
    expect(reads).toBe(1);
  });

  it('reads the gauges afresh at each scrape; the batches once a scrape for both of their gauges', async () => {
    let batchReads = 0;
    let waiting = 7;
    const metrics = createMetrics({
      readingsMaxAgeMs: 0,
      cluster: {
        ...everyGauge,
        queueJobs: async () => ({ 'api-status': { waiting, active: 1 } }),
        batches: async () => {
          batchReads++;
          return { byStatus: { screening: 2, blocked: 1 }, stuck: 1 };
        },
      },
    });
    let text = await metrics.exposition();
    expect(samples(text, 'riskscreen_queue_jobs').get('{queue="api-status",state="waiting"}')).toBe(7);
    waiting = 3;
    text = await metrics.exposition();
    expect(samples(text, 'riskscreen_queue_jobs').get('{queue="api-status",state="waiting"}')).toBe(3);
    const batches = samples(text, 'riskscreen_batches');
    expect(batches.get('{status="screening"}')).toBe(2);
    expect(batches.get('{status="blocked"}')).toBe(1);
    // Every status is there, at 0 when none has it.
    expect(batches.get('{status="queued"}')).toBe(0);
    expect(batches.size).toBe(8);
    expect(samples(text, 'riskscreen_batches_stuck').get('')).toBe(1);
    expect(samples(text, 'riskscreen_workers_alive').get('')).toBe(3);
    // Once a scrape, for both of its gauges.
    expect(batchReads).toBe(2);
  });

  it('a reading that fails or hangs leaves its gauge out (not at 0) and is counted; the scrape still answers, and the gauge comes back', async () => {
    let down = true;
    const metrics = createMetrics({
      collectTimeoutMs: 100,
      readingsMaxAgeMs: 0,
      cluster: {
        queueJobs: async () => {
          if (down) throw new Error('Redis is not connected (reconnecting)');
          return { ingest: { waiting: 0 } };
        },
        // Hangs while down: a command waiting for a Redis that is away.
        workersAlive: () => (down ? new Promise<number>(() => {}) : Promise.resolve(2)),
      },
    });
    const started = Date.now();
    let text = await metrics.exposition();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(samples(text, 'riskscreen_queue_jobs').size).toBe(0);
    expect(samples(text, 'riskscreen_workers_alive').size).toBe(0);
    expect(text).toContain('# TYPE riskscreen_workers_alive gauge');
    expect(samples(text, 'riskscreen_metrics_collect_errors_total').get('')).toBe(2);
    down = false;
    text = await metrics.exposition();
    expect(samples(text, 'riskscreen_workers_alive').get('')).toBe(2);
    expect(samples(text, 'riskscreen_queue_jobs').get('{queue="ingest",state="waiting"}')).toBe(0);
    expect(samples(text, 'riskscreen_metrics_collect_errors_total').get('')).toBe(2);
  });

  it('one reading serves the scrapes of the next 5 s, and scrapes that come together share the one under way', async () => {
    let reads = 0;
    let release = () => {};
    const metrics = createMetrics({
      cluster: {
        workersAlive: () => {
          reads++;
          return new Promise<number>((resolve) => (release = () => resolve(reads)));
        },
      },
    });
    // Three scrapes at once (several Prometheus servers, someone's browser): one reading.
    const scrapes = [metrics.exposition(), metrics.exposition(), metrics.exposition()];
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    for (const text of await Promise.all(scrapes)) expect(samples(text, 'riskscreen_workers_alive').get('')).toBe(1);
    // Within its 5 s: the same value, no reading.
    expect(samples(await metrics.exposition(), 'riskscreen_workers_alive').get('')).toBe(1);
    expect(reads).toBe(1);
  });

  it('a kept reading: shared while under way, kept for its age from its start, read again after; a failure is not kept', async () => {
    let clock = 0;
    let reads = 0;
    let fail = false;
    const read = keptReading(
      async () => {
        reads++;
        if (fail) throw new Error('Redis is away');
        return reads;
      },
      5_000,
      { now: () => clock, giveUpMs: 3_000 },
    );
    expect(await Promise.all([read(), read()])).toEqual([1, 1]);
    expect(reads).toBe(1);
    clock = 4_999;
    expect(await read()).toBe(1);
    clock = 5_000;
    fail = true;
    await expect(read()).rejects.toThrow('Redis is away');
    await expect(read()).rejects.toThrow('Redis is away');
    expect(reads).toBe(3);
    fail = false;
    expect(await read()).toBe(4);
    clock = 9_000;
    expect(await read()).toBe(4);
  });

  it('a kept reading that never ends is shared until the scrape\'s deadline, then a new one is made', async () => {
    let clock = 0;
    let reads = 0;
    const read = keptReading(
      () => {
        reads++;
        return reads === 1 ? new Promise<number>(() => {}) : Promise.resolve(reads);
      },
      5_000,
      { now: () => clock, giveUpMs: 3_000 },
    );
    void read();
    clock = 2_999;
    void read();
    expect(reads).toBe(1);
    clock = 3_000;
    expect(await read()).toBe(2);
    expect(await read()).toBe(2);
  });

  it('the code label: documented codes and the failures as they are, any other Juhe code as `other`', () => {
    for (const code of ['0', '10001', '10012', '224801', '232404', 'http_502', 'http_429', 'juhe_transient', 'juhe_aborted', 'juhe_unknown']) expect(metricCodeOf(code), code).toBe(code);
    for (const code of ['999123', '224803', '-1', '10010', 'http_5020', 'something']) expect(metricCodeOf(code), code).toBe('other');
  });
});
