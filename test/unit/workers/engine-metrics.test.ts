/**
 * The engine's metrics, fed by the jobs through the observer, on the local runner with
 * a scripted Juhe client: every call that went out is counted once with its API, form
 * and code (a retried one once per attempt), an attempt that could not connect is not a
 * call, billed and maybe-billed calls match the batch's own counts (a billed call is
 * never also maybe billed), a code no document lists is `other`, holds by code, cache
 * hits on a second batch of the same list, rows by status and level as the manifest
 * counts them, and the rate gate's wait once per call that leaves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { manifestPathOf, readManifest } from '../../../src/report/manifest.js';
import { memoryStores } from '../../../src/engine/memory-store.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { samples, total } from '../../support/metrics-text.js';
import { FakeJuhe, harness, juheError, numbers, QUICK_RETRY, type Harness } from './local-harness.js';

let open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.map((h) => h.close()));
  open = [];
});

const rowsOf = (list: readonly string[]) => ['手机号', ...list];

describe('engine metrics on the local runner', () => {
  it('counts calls by api, form and code, billed and maybe billed as the batch does, holds, cache hits and rows by status and level', async () => {
    const list = numbers('cmcc', 12);
    const flaky = list[3]!;
    const lost = list[5]!;
    const held = list[7]!;
    const juhe = new FakeJuhe({
      reply: (req, nth) => {
        if (req.api === 'status' && req.mobile === flaky && nth === 1) return juheError(req, 224915, { retry: QUICK_RETRY });
        // A timeout after sending: no Juhe code, maybe billed.
        if (req.api === 'status' && req.mobile === lost && nth === 1)
          return juheError(req, 224915, { juheCode: null, httpStatus: undefined, maybeBilled: true, retry: QUICK_RETRY, reason: 'headers timeout' });
        if (req.api === 'status' && req.mobile === held && nth === 1) return juheError(req, 224924, { holdOffMs: 5 });
        if (req.api === 'tenure' && req.mobile === list[0]) return { noRecord: 224801 };
        return 'answer';
      },
    });
    const metrics = createMetrics();
    const stores = memoryStores();
    const h = await harness({ juhe, observe: metrics.observer, stores });
    open.push(h);
    const file = await h.csv('list.csv', rowsOf(list));
    const view = await h.screen(file, { profile: 'basic' });
    expect(view.status).toBe('done');

    let got = samples(await metrics.exposition());
    // Every call the fake saw, counted once, by its code.
    const calls = [...got].filter(([name]) => name.startsWith('riskscreen_juhe_calls_total{'));
    expect(calls.reduce((sum, [, n]) => sum + n, 0)).toBe(juhe.calls.length);
    expect(got.get('riskscreen_juhe_calls_total{api="status",form="plain",code="0"}')).toBe(12);
    expect(got.get('riskscreen_juhe_calls_total{api="status",form="plain",code="224915"}')).toBe(1);
    expect(got.get('riskscreen_juhe_calls_total{api="status",form="plain",code="juhe_transient"}')).toBe(1);
    expect(got.get('riskscreen_juhe_calls_total{api="status",form="plain",code="224924"}')).toBe(1);
    expect(got.get('riskscreen_juhe_calls_total{api="tenure",form="plain",code="224801"}')).toBe(1);
    expect(got.get('riskscreen_juhe_calls_total{api="tenure",form="plain",code="0"}')).toBe(11);
    // As the batch counts them.
    expect(got.get('riskscreen_juhe_billed_calls_total{api="status"}')).toBe(view.counts['billed.status']);
    expect(got.get('riskscreen_juhe_billed_calls_total{api="tenure"}')).toBe(view.counts['billed.tenure']);
    expect(got.get('riskscreen_juhe_maybe_billed_calls_total{api="status"}')).toBe(1);
    expect(view.counts['maybeBilled.status']).toBe(1);
    expect(got.get('riskscreen_juhe_holds_total{api="status",code="224924"}')).toBe(1);
    expect(got.get('riskscreen_juhe_call_duration_seconds_count{api="status"}')).toBe(15);
    // Every call that went out passed the rate gate (a retry too).
    expect(got.get('riskscreen_rate_gate_wait_seconds_count{api="status"}')).toBe(15);
    expect(got.get('riskscreen_cache_hits_total{api="status"}')).toBe(0);
    const manifest = await readManifest(manifestPathOf(view.resultPath!));
    const resultRows = (status: string, level: string) => got.get(`riskscreen_result_rows_total{status="${status}",level="${level}"}`);
    for (const [status, byLevel] of Object.entries(manifest.rows.by_status_and_level)) {
      for (const [level, n] of Object.entries(byLevel)) expect(resultRows(status, level), `${status} ${level}`).toBe(n);
    }
    expect(total(got, 'riskscreen_result_rows_total', (labels) => labels.includes('status="screened"'))).toBe(view.counts.rowsScreened);
    expect(total(got, 'riskscreen_result_rows_total')).toBe(manifest.rows.total);

    // The same list again: every answer from the shared cache, no call.
    const before = juhe.calls.length;
    const again = await h.screen(file, { profile: 'basic' });
    expect(juhe.calls.length).toBe(before);
    got = samples(await metrics.exposition());
    expect(got.get('riskscreen_cache_hits_total{api="status"}')).toBe(again.counts['cacheHits.status']);
    expect(got.get('riskscreen_cache_hits_total{api="status"}')).toBe(12);
    expect(got.get('riskscreen_cache_hits_total{api="tenure"}')).toBe(12);
    expect(got.get('riskscreen_juhe_billed_calls_total{api="status"}')).toBe(12);
    for (const [status, byLevel] of Object.entries(manifest.rows.by_status_and_level)) {
      for (const [level, n] of Object.entries(byLevel)) expect(resultRows(status, level), `${status} ${level}`).toBe(2 * n);
    }
  });

  it('not a call: an attempt that could not connect; billed, not maybe billed: an answer billed but unreadable; `other`: a code no document lists', async () => {
    const list = numbers('cmcc', 6);
    const [refused, unreadable, strange] = [list[1]!, list[2]!, list[3]!];
    const juhe = new FakeJuhe({
      reply: (req, nth) => {
        // The request never left: connection refused (the client marks it notSent).
        if (req.api === 'status' && req.mobile === refused && nth === 1)
          return juheError(req, 224915, { juheCode: null, httpStatus: undefined, notSent: true, retry: QUICK_RETRY, reason: 'could not connect (ECONNREFUSED)' });
        // Billed (error_code 0) but its result unreadable: the API layer says billed and maybe billed.
        if (req.api === 'tenure' && req.mobile === unreadable) return juheError(req, 0, { billed: true, maybeBilled: true, meaning: 'answered and billed, but the result could not be read' });
        if (req.api === 'tenure' && req.mobile === strange) return juheError(req, 999123);
        return 'answer';
      },
    });
    const metrics = createMetrics();
    const h = await harness({ juhe, observe: metrics.observer });
    open.push(h);
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'basic' });
    expect(view.status).toBe('done');
    const got = samples(await metrics.exposition());

    // 7 attempts at status, 6 of them calls: the refused one is counted apart, not timed.
    expect(juhe.calls.filter((call) => call.api === 'status')).toHaveLength(7);
    expect(total(got, 'riskscreen_juhe_calls_total', (labels) => labels.includes('api="status"'))).toBe(6);
    expect(got.has('riskscreen_juhe_calls_total{api="status",form="plain",code="juhe_transient"}')).toBe(false);
    expect(got.get('riskscreen_juhe_connect_failures_total{api="status"}')).toBe(1);
    expect(got.get('riskscreen_juhe_call_duration_seconds_count{api="status"}')).toBe(6);
    // It passed the rate gate, so its wait is observed: once per attempt that left the gate.
    expect(got.get('riskscreen_rate_gate_wait_seconds_count{api="status"}')).toBe(7);
    // The batch still counts it among its errors (it was retried), under juhe_transient.
    expect(view.errorsByCode.juhe_transient).toBe(1);

    // Billed once, not also maybe billed: billed + maybe billed is the worst case, in the metrics and the batch alike.
    expect(got.get('riskscreen_juhe_billed_calls_total{api="tenure"}')).toBe(5);
    expect(view.counts['billed.tenure']).toBe(5);
    expect(got.get('riskscreen_juhe_maybe_billed_calls_total{api="tenure"}')).toBe(0);
    expect(view.counts['maybeBilled.tenure']).toBe(0);
    expect(got.get('riskscreen_juhe_calls_total{api="tenure",form="plain",code="0"}')).toBe(5);

    // An undocumented code: `other` in the label, the real code in the batch's errors by code.
    expect(got.get('riskscreen_juhe_calls_total{api="tenure",form="plain",code="other"}')).toBe(1);
    expect([...got.keys()].some((key) => key.includes('999123'))).toBe(false);
    expect(view.errorsByCode['999123']).toBe(1);
  });

  it('the rate gate is observed once per call that leaves: not for a call that reserved a slot and then was skipped', async () => {
    const list = numbers('cucc', 4);
    // The first call answers; the next says the quota is spent, so the calls waiting for their slots are skipped.
    let answered = 0;
    const juhe = new FakeJuhe({ reply: (req) => (answered++ === 0 ? 'answer' : juheError(req, 10012)) });
    const metrics = createMetrics();
    const h = await harness({ juhe, observe: metrics.observer, rate: 2 });
    open.push(h);
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status' });
    expect(juhe.calls).toHaveLength(2);
    expect(view.counts.skipped).toBe(2);
    const got = samples(await metrics.exposition());
    expect(got.get('riskscreen_rate_gate_wait_seconds_count{api="status"}')).toBe(juhe.calls.length);
    // The second call waited for its slot (2 per second): the wait observed is its whole time at the gate.
    expect(got.get('riskscreen_rate_gate_wait_seconds_sum{api="status"}')).toBeGreaterThan(0.2);
  });

  it('a 10011 is a hold of the whole API, counted with its code', async () => {
    const list = numbers('cucc', 4);
    const juhe = new FakeJuhe({ reply: (req, nth) => (req.mobile === list[1] && nth === 1 ? juheError(req, 10011, { holdOffMs: 5 }) : 'answer') });
    const metrics = createMetrics();
    const h = await harness({ juhe, observe: metrics.observer });
    open.push(h);
    await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status' });
    const got = samples(await metrics.exposition());
    expect(got.get('riskscreen_juhe_holds_total{api="status",code="10011"}')).toBe(1);
    expect(got.get('riskscreen_juhe_calls_total{api="status",form="plain",code="10011"}')).toBe(1);
    expect(got.get('riskscreen_juhe_billed_calls_total{api="status"}')).toBe(4);
  });
});
