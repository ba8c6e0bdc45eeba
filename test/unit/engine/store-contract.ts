/**
 * What every BatchStore, ResultCache, InflightLocks and RateGate must do, whatever keeps
 * the state: `storeContract(name, open)` registers the tests for the stores `open` makes
 * (each call a fresh, empty set of stores on the given clock). Used by the memory store's
 * and the SQLite store's tests; the semantics are the memory store's.
 */
import { describe, expect, it } from 'vitest';
import { emptyCounters, FINAL_STATUSES, newBatchId, withApiCounts, type BatchMeta, type BatchStatus } from '../../../src/engine/batch.js';
import { emptyBilledTotals, type BatchStore, type EngineStores } from '../../../src/engine/store.js';
import { paceIntervalMs } from '../../../src/engine/rate-window.js';

/** Fresh, empty stores on `clock` (ms), or on the store's own clock when none is given. */
export type OpenStores = (clock?: () => number) => Promise<EngineStores>;

export function meta(overrides: Partial<BatchMeta> = {}): BatchMeta {
  return {
    id: newBatchId(),
    status: 'queued',
    reason: null,
    input: {
      path: '/data/batches/x/input.csv',
      name: 'list.csv',
      sha256: 'ab'.repeat(32),
      bytes: 123,
      fingerprint: { bytes: 123, mtimeMs: 0, ino: 1, sha256: 'ab'.repeat(32), rows: 3, layoutKey: 'csv,utf-8' },
    },
    options: { profile: 'status', apis: ['status'], input: {}, maxCalls: null, rates: {} },
    times: { created: '2026-01-01T00:00:00.000Z' },
    resultPath: null,
    ...overrides,
  };
}

async function created(open: OpenStores, overrides: Partial<BatchMeta> = {}, clock?: () => number): Promise<{ store: BatchStore; id: string }> {
  const store = (await open(clock)).batches;
  const m = meta(overrides);
  await store.create(m);
  return { store, id: m.id };
}

/**
 * The running totals of billed calls (BatchStore.billedTotals): what the quota gauge
 * reads. Registered by storeContract, and on its own for the Redis store (whose other
 * semantics its integration tests cover).
 */
export function billedTotalsContract(name: string, open: OpenStores): void {
  describe(`${name}: billed totals`, () => {
    it('start at 0 for every API', async () => {
      const store = (await open()).batches;
      expect(await store.billedTotals()).toEqual(emptyBilledTotals());
    });

    it("add each batch's per-API billed and maybe-billed calls exactly as the batch counts them, across batches", async () => {
      const stores = await open();
      const store = stores.batches;
      const a = meta();
      const b = meta();
      await store.create(a);
      await store.create(b);
      // An answer billed, recorded once: a re-delivered job records nothing and adds nothing.
      await store.recordResult(a.id, 'status.h1', 'x', withApiCounts('status', { answered: 1, billed: 1 }));
      await store.recordResult(a.id, 'status.h1', 'x', withApiCounts('status', { answered: 1, billed: 1 }));
      // Failed attempts, each a call, as a store may be told them: billed (an unreadable
      // answer; jobs count it as billed only) and maybe billed (a timeout after sending).
      await store.addCounts(a.id, withApiCounts('tenure', { billed: 1, maybeBilled: 1 }), { juhe_unknown: 1 });
      await store.addCounts(a.id, withApiCounts('status', { billed: 0, maybeBilled: 1 }), { juhe_transient: 1 });
      await store.addCounts(b.id, withApiCounts('status', { billed: 0, maybeBilled: 1 }), { juhe_transient: 1 });
      await store.recordResult(b.id, 'status.h1', 'x', withApiCounts('status', { answered: 1, billed: 1 }));
      // A cache hit, a no-record answer, a counter without an API: nothing billed.
      await store.recordResult(b.id, 'status.h2', 'y', withApiCounts('status', { cacheHits: 1, answered: 1 }));
      await store.recordResult(b.id, 'tenure.h2', 'n', withApiCounts('tenure', { noRecord: 1, billed: 0 }));
      await store.addCounts(b.id, { billed: 5 });
      const expected = emptyBilledTotals();
      expected.status = { billed: 2, maybeBilled: 2 };
      expected.tenure = { billed: 1, maybeBilled: 1 };
      expect(await store.billedTotals()).toEqual(expected);
      // The same as the batches' own per-API counts.
      const [va, vb] = [(await store.get(a.id))!, (await store.get(b.id))!];
      expect(va.counts['billed.status'] + vb.counts['billed.status']).toBe(expected.status.billed);
      expect(va.counts['maybeBilled.status'] + vb.counts['maybeBilled.status']).toBe(expected.status.maybeBilled);
      expect(va.counts['billed.tenure'] + vb.counts['billed.tenure']).toBe(expected.tenure.billed);
    });

    it('a result for a reported batch (a late delivery) adds nothing; a view of the totals is a copy', async () => {
      const store = (await open()).batches;
      const m = meta();
      await store.create(m);
      await store.recordResult(m.id, 'status.h1', 'x', withApiCounts('status', { answered: 1, billed: 1 }));
      await store.setStatus(m.id, 'done', null, { resultPath: '/data/result.csv' });
      await store.recordResult(m.id, 'status.h2', 'x', withApiCounts('status', { answered: 1, billed: 1 }));
      const totals = await store.billedTotals();
      expect(totals.status).toEqual({ billed: 1, maybeBilled: 0 });
      totals.status.billed = 99;
      expect((await store.billedTotals()).status.billed).toBe(1);
    });

    it('a write to an unknown batch adds nothing when it throws', async () => {
      const store = (await open()).batches;
      await store.recordResult('b20260101-000000-none', 't', 'x', withApiCounts('status', { billed: 1 })).catch(() => undefined);
      const totals = await store.billedTotals();
      expect(totals.status.billed).toBe(0);
    });
  });
}

export function storeContract(name: string, open: OpenStores): void {
  billedTotalsContract(name, open);

  describe(`${name}: batch store`, () => {
    it('creates a record with zero counters and refuses the same id twice', async () => {
      const m = meta();
      const store = (await open()).batches;
      await store.create(m);
      await expect(store.create(m)).rejects.toThrow(/exists/);
      const view = await store.get(m.id);
      expect(view).toMatchObject({ id: m.id, status: 'queued', reason: null, resultPath: null, errorsByCode: {}, exhausted: {} });
      expect(view!.counts).toEqual(emptyCounters());
      expect(await store.get('b20260101-000000-zzzz')).toBeUndefined();
      expect(await store.status('b20260101-000000-zzzz')).toBeUndefined();
    });

    it('hands out copies: changing a view changes nothing stored', async () => {
      const { store, id } = await created(open);
      const view = (await store.get(id))!;
      view.counts.rows = 99;
      view.times.finished = 'x';
      view.options.apis.push('tenure');
      const again = (await store.get(id))!;
      expect(again.counts.rows).toBe(0);
      expect(again.times.finished).toBeUndefined();
      expect(again.options.apis).toEqual(['status']);
    });

    it('moves between statuses, keeping or replacing the reason, and merging times', async () => {
      const { store, id } = await created(open);
      expect(await store.setStatus(id, 'ingesting', null, { times: { ingestStarted: 't1' } })).toBe(true);
      expect(await store.setStatus(id, 'screening', 'waiting for the quota')).toBe(true);
      expect(await store.setStatus(id, 'reporting', undefined, { times: { reportingStarted: 't2' } })).toBe(true);
      const view = (await store.get(id))!;
      expect(view.status).toBe('reporting');
      // undefined keeps the reason; null clears it.
      expect(view.reason).toBe('waiting for the quota');
      expect(view.times).toEqual({ created: '2026-01-01T00:00:00.000Z', ingestStarted: 't1', reportingStarted: 't2' });
      await store.setStatus(id, 'screening', null);
      expect((await store.get(id))!.reason).toBeNull();
    });

    it.each([...FINAL_STATUSES])('never leaves the final status %s, but still applies patches', async (final) => {
      const { store, id } = await created(open);
      expect(await store.setStatus(id, final, `stopped: ${final}`)).toBe(true);
      for (const next of ['queued', 'ingesting', 'screening', 'reporting', 'done', 'failed', 'cancelled', 'blocked'] as BatchStatus[]) {
        expect(await store.setStatus(id, next, 'another reason')).toBe(false);
      }
      expect(await store.setStatus(id, 'done', null, { times: { finished: 'tf' }, resultPath: '/data/result.csv' })).toBe(false);
      const view = (await store.get(id))!;
      expect(view.status).toBe(final);
      expect(await store.status(id)).toBe(final);
      expect(view.reason).toBe(`stopped: ${final}`);
      expect(view.times.finished).toBe('tf');
      expect(view.resultPath).toBe('/data/result.csv');
    });

    it('adds counts and errors by code', async () => {
      const { store, id } = await created(open);
      await store.addCounts(id, { billed: 1, maybeBilled: 0 }, { '224915': 1 });
      await store.addCounts(id, { billed: 2 }, { '224915': 2, http_502: 1 });
      const view = (await store.get(id))!;
      expect(view.counts.billed).toBe(3);
      expect(view.counts.maybeBilled).toBe(0);
      expect(view.errorsByCode).toEqual({ '224915': 3, http_502: 1 });
    });

    it('recordResult stores and counts a task once; a second record changes nothing', async () => {
      const { store, id } = await created(open);
      const first = await store.recordResult(id, 'status.h1', '["a","normal","0","","",""]', { answered: 1, billed: 1 });
      expect(first).toEqual({ isNew: true, final: 1, tasks: null });
      const second = await store.recordResult(id, 'status.h1', '["s","cancelled"]', { skipped: 1 });
      expect(second).toEqual({ isNew: false, final: 1, tasks: null });
      const view = (await store.get(id))!;
      expect(view.counts).toMatchObject({ final: 1, answered: 1, billed: 1, skipped: 0 });
      expect(await store.getResults(id, ['status.h1', 'status.h2'])).toEqual(['["a","normal","0","","",""]', null]);
      expect(await store.getResults(id, [])).toEqual([]);
    });

    it('recordResult reports tasks only once ingest is done', async () => {
      const { store, id } = await created(open);
      await store.recordResult(id, 't.1', '["n",224922]', { noRecord: 1 });
      const done = await store.finishIngest(id, 3, { rows: 5, valid: 4, invalid: 1, unique: 3, duplicates: 1 });
      expect(done).toEqual({ isNew: true, final: 1, tasks: 3 });
      expect(await store.recordResult(id, 't.2', '["n",224922]', { noRecord: 1 })).toEqual({ isNew: true, final: 2, tasks: 3 });
      expect(await store.recordResult(id, 't.3', '["n",224922]', { noRecord: 1 })).toEqual({ isNew: true, final: 3, tasks: 3 });
    });

    it('finishIngest and setCounts set counters (a re-run never adds twice)', async () => {
      const { store, id } = await created(open);
      await store.setCounts(id, { rows: 10_000 });
      await store.setCounts(id, { rows: 20_000 });
      expect((await store.get(id))!.counts.rows).toBe(20_000);
      await store.finishIngest(id, 7, { rows: 25_000, valid: 20, fields: 3 });
      await store.finishIngest(id, 7, { rows: 25_000, valid: 20, fields: 3 });
      const view = (await store.get(id))!;
      expect(view.counts).toMatchObject({ rows: 25_000, valid: 20, fields: 3, tasks: 7, ingestDone: 1 });
    });

    it('reserveCall hands out at most maxCalls units; releaseCall gives one back', async () => {
      const { store, id } = await created(open);
      const taken = await Promise.all(Array.from({ length: 5 }, () => store.reserveCall(id, 3)));
      expect(taken.filter(Boolean)).toHaveLength(3);
      expect((await store.get(id))!.counts.reserved).toBe(3);
      expect(await store.reserveCall(id, 3)).toBe(false);
      await store.releaseCall(id);
      expect((await store.get(id))!.counts.reserved).toBe(2);
      expect(await store.reserveCall(id, 3)).toBe(true);
      expect(await store.reserveCall(id, 3)).toBe(false);
    });

    it('markExhausted keeps the first reason', async () => {
      const { store, id } = await created(open);
      expect(await store.isExhausted(id, 'tenure')).toBeNull();
      await store.markExhausted(id, 'tenure', 'first: 10012');
      await store.markExhausted(id, 'tenure', 'second: 10013');
      await store.markExhausted(id, 'resale', 'resale: 10012');
      expect(await store.isExhausted(id, 'tenure')).toBe('first: 10012');
      expect(await store.isExhausted(id, 'status')).toBeNull();
      expect((await store.get(id))!.exhausted).toEqual({ tenure: 'first: 10012', resale: 'resale: 10012' });
    });

    it('dropResults removes the results but keeps the record and its counts', async () => {
      const { store, id } = await created(open);
      await store.recordResult(id, 'status.h1', '["n",224922]', { noRecord: 1 });
      await store.dropResults(id);
      expect(await store.getResults(id, ['status.h1'])).toEqual([null]);
      expect((await store.get(id))!.counts.noRecord).toBe(1);
    });

    it('every write to an unknown batch throws', async () => {
      const store = (await open()).batches;
      const id = 'b20260101-000000-none';
      await expect(store.setStatus(id, 'done')).rejects.toThrow(/no batch/);
      await expect(store.addCounts(id, { rows: 1 })).rejects.toThrow(/no batch/);
      await expect(store.recordResult(id, 't', 'x', {})).rejects.toThrow(/no batch/);
      await expect(store.reserveCall(id, 1)).rejects.toThrow(/no batch/);
    });

    it('callTurn: the first job probes alone; others wait until it answers (openCalls) or gives up (releaseProbe)', async () => {
      let now = 1_000;
      const { store, id } = await created(open, {}, () => now);
      expect(await store.callTurn(id, 'status', 'job1', 5_000)).toBe('probe');
      expect(await store.callTurn(id, 'status', 'job2', 5_000)).toBe('wait');
      // The prober itself asking again (re-delivered) keeps its claim.
      expect(await store.callTurn(id, 'status', 'job1', 5_000)).toBe('probe');
      // Other APIs have their own probe.
      expect(await store.callTurn(id, 'tenure', 'job3', 5_000)).toBe('probe');
      expect((await store.get(id))!.keyChecks).toEqual({ status: 6_000, tenure: 6_000 });
      await store.releaseProbe(id, 'status', 'job2');
      expect(await store.callTurn(id, 'status', 'job2', 5_000)).toBe('wait');
      await store.releaseProbe(id, 'status', 'job1');
      expect(await store.callTurn(id, 'status', 'job2', 5_000)).toBe('probe');
      await store.openCalls(id, 'status');
      expect(await store.callTurn(id, 'status', 'job4', 5_000)).toBe('go');
      expect(await store.callTurn(id, 'status', 'job2', 5_000)).toBe('go');
      // An answered probe is no key check; a released one neither.
      await store.releaseProbe(id, 'status', 'job2');
      expect(await store.callTurn(id, 'status', 'job5', 5_000)).toBe('go');
      expect((await store.get(id))!.keyChecks).toEqual({ tenure: 6_000 });
      // A claim lapses after claimMs: another job probes.
      now = 6_000;
      expect((await store.get(id))!.keyChecks).toEqual({});
      expect(await store.callTurn(id, 'tenure', 'job6', 5_000)).toBe('probe');
      expect((await store.get(id))!.keyChecks).toEqual({ tenure: 11_000 });
    });

    it('callTurn says why not to call: gone, cancelled, blocked, quota spent', async () => {
      const { store, id } = await created(open);
      expect(await store.callTurn('b20260101-000000-none', 'status', 'j', 1_000)).toBe('gone');
      await store.markExhausted(id, 'tenure', 'spent');
      expect(await store.callTurn(id, 'tenure', 'j', 1_000)).toBe('quota_exhausted');
      await store.openCalls(id, 'status');
      await store.setStatus(id, 'blocked', 'key refused');
      expect(await store.callTurn(id, 'status', 'j', 1_000)).toBe('account_blocked');
      const other = await created(open);
      await other.store.setStatus(other.id, 'cancelled', 'by the user');
      expect(await other.store.callTurn(other.id, 'status', 'j', 1_000)).toBe('cancelled');
    });

    it('noteHold keeps the last hold per API and code, in the order first noted', async () => {
      let now = 10_000;
      const { store, id } = await created(open, {}, () => now);
      await store.noteHold(id, 'status', 10011, 1_000);
      await store.noteHold(id, 'status', 224924, 500);
      await store.noteHold(id, 'tenure', 10011, 2_000);
      now = 20_000;
      await store.noteHold(id, 'status', 10011, 3_000);
      expect((await store.get(id))!.holds).toEqual({
        status: [
          { code: 10011, until: 23_000 },
          { code: 224924, until: 10_500 },
        ],
        tenure: [{ code: 10011, until: 12_000 }],
      });
    });

    it('stamps progressAt on the store clock when the batch moves, and now() reads that clock', async () => {
      let now = 5_000;
      const { store, id } = await created(open, {}, () => now);
      expect((await store.get(id))!.progressAt).toBe(5_000);
      expect(await store.now()).toBe(5_000);
      now = 6_000;
      await store.setStatus(id, 'ingesting');
      expect((await store.get(id))!.progressAt).toBe(6_000);
      now = 7_000;
      await store.setCounts(id, { rows: 3 });
      expect((await store.get(id))!.progressAt).toBe(7_000);
      now = 8_000;
      await store.recordResult(id, 't.1', 'x', {});
      expect((await store.get(id))!.progressAt).toBe(8_000);
      now = 9_000;
      // A second record of the same task is no progress; neither is a count added.
      await store.recordResult(id, 't.1', 'x', {});
      await store.addCounts(id, { billed: 1 });
      expect((await store.get(id))!.progressAt).toBe(8_000);
      await store.finishIngest(id, 1, {});
      expect((await store.get(id))!.progressAt).toBe(9_000);
      expect(await store.now()).toBe(9_000);
    });

    it('a reported batch (resultPath set) takes no more results', async () => {
      const { store, id } = await created(open);
      await store.recordResult(id, 't.1', 'x', { answered: 1 });
      await store.setStatus(id, 'done', null, { resultPath: '/data/result.csv' });
      expect(await store.recordResult(id, 't.2', 'y', { answered: 1 })).toEqual({ isNew: false, final: 1, tasks: null });
      expect(await store.getResults(id, ['t.1', 't.2'])).toEqual(['x', null]);
      expect((await store.get(id))!.counts).toMatchObject({ final: 1, answered: 1 });
    });

    it('evenIfStopped moves a cancelled or blocked batch, never a done or failed one', async () => {
      for (const stopped of ['cancelled', 'blocked'] as const) {
        const { store, id } = await created(open);
        await store.setStatus(id, stopped, 'stopped');
        expect(await store.setStatus(id, 'failed', 'the report failed', { evenIfStopped: true })).toBe(true);
        expect(await store.status(id)).toBe('failed');
        expect((await store.get(id))!.reason).toBe('the report failed');
      }
      for (const final of ['done', 'failed'] as const) {
        const { store, id } = await created(open);
        await store.setStatus(id, final, 'over');
        expect(await store.setStatus(id, 'failed', 'again', { evenIfStopped: true, times: { finished: 'tf' } })).toBe(false);
        expect((await store.get(id))!).toMatchObject({ status: final, reason: 'over', times: { finished: 'tf' } });
      }
    });

    it('keeps the whole record as given: input, options, times', async () => {
      const m = meta({ options: { profile: 'full', apis: ['status', 'resale'], input: { column: 2 } as never, maxCalls: 50, rates: { status: 20 } } });
      const store = (await open()).batches;
      await store.create(m);
      const { counts, errorsByCode, exhausted, progressAt, holds, keyChecks, ...rest } = (await store.get(m.id))!;
      expect(rest).toEqual(m);
      expect({ counts, errorsByCode, exhausted, holds, keyChecks }).toEqual({ counts: emptyCounters(), errorsByCode: {}, exhausted: {}, holds: {}, keyChecks: {} });
      expect(typeof progressAt).toBe('number');
    });
  });

  describe(`${name}: result cache`, () => {
    it('keeps an entry for its TTL, per API and hash', async () => {
      let now = 1_000_000;
      const cache = (await open(() => now)).cache;
      await cache.set('status', 'h1', 'A', 60);
      await cache.set('tenure', 'h1', 'B', 120);
      expect(await cache.get('status', 'h1')).toBe('A');
      expect(await cache.get('tenure', 'h1')).toBe('B');
      expect(await cache.get('status', 'h2')).toBeNull();
      now += 59_999;
      expect(await cache.get('status', 'h1')).toBe('A');
      now += 1;
      expect(await cache.get('status', 'h1')).toBeNull();
      expect(await cache.get('tenure', 'h1')).toBe('B');
      now += 60_000;
      expect(await cache.get('tenure', 'h1')).toBeNull();
    });

    it('counts the hashes of a list that have an answer, per API, expired ones not, in chunks of any size', async () => {
      let now = 1_000_000;
      const cache = (await open(() => now)).cache;
      const hashes = Array.from({ length: 1_203 }, (_, i) => `h${i}`);
      for (const [i, hash] of hashes.entries()) if (i % 3 === 0) await cache.set('status', hash, 'A', i % 2 === 0 ? 60 : 600);
      await cache.set('tenure', 'h1', 'B', 60);
      expect(await cache.countCached('status', [])).toBe(0);
      expect(await cache.countCached('status', hashes)).toBe(401);
      expect(await cache.countCached('tenure', hashes)).toBe(1);
      expect(await cache.countCached('status', ['h0', 'h0', 'nope'])).toBeGreaterThanOrEqual(1);
      now += 60_000;
      expect(await cache.countCached('status', hashes)).toBe(200);
    });

    it('gives the answers of a list of hashes in order, per API, null where none is kept or it expired, in chunks of any size', async () => {
      let now = 1_000_000;
      const cache = (await open(() => now)).cache;
      const hashes = Array.from({ length: 1_203 }, (_, i) => `h${i}`);
      for (const [i, hash] of hashes.entries()) if (i % 3 === 0) await cache.set('status', hash, `A${i}`, i % 2 === 0 ? 60 : 600);
      await cache.set('tenure', 'h1', 'B', 60);
      expect(await cache.getMany('status', [])).toEqual([]);
      expect(await cache.getMany('status', hashes)).toEqual(hashes.map((_, i) => (i % 3 === 0 ? `A${i}` : null)));
      expect(await cache.getMany('tenure', ['h0', 'h1', 'h2'])).toEqual([null, 'B', null]);
      // The same hash twice answers twice; an unknown one is null.
      expect(await cache.getMany('status', ['h3', 'nope', 'h3'])).toEqual(['A3', null, 'A3']);
      now += 60_000;
      expect(await cache.getMany('status', hashes)).toEqual(hashes.map((_, i) => (i % 3 === 0 && i % 2 === 1 ? `A${i}` : null)));
      expect(await cache.getMany('tenure', ['h1'])).toEqual([null]);
    });

    it('a new set replaces the value and restarts the TTL', async () => {
      let now = 0;
      const cache = (await open(() => now)).cache;
      await cache.set('status', 'h1', 'A', 10);
      now = 9_000;
      await cache.set('status', 'h1', 'A2', 10);
      now = 18_000;
      expect(await cache.get('status', 'h1')).toBe('A2');
    });
  });

  describe(`${name}: inflight locks`, () => {
    it('one holder at a time per question, until release or expiry', async () => {
      let now = 0;
      const locks = (await open(() => now)).locks;
      expect(await locks.acquire('status', 'h1', 'batchA.status.h1', 1_000)).toBe(true);
      expect(await locks.acquire('status', 'h1', 'batchB.status.h1', 1_000)).toBe(false);
      // Other questions are not held by it.
      expect(await locks.acquire('tenure', 'h1', 'batchB.tenure.h1', 1_000)).toBe(true);
      expect(await locks.acquire('status', 'h2', 'batchB.status.h2', 1_000)).toBe(true);
      await locks.release('status', 'h1', 'batchA.status.h1');
      expect(await locks.acquire('status', 'h1', 'batchB.status.h1', 1_000)).toBe(true);
      now = 999;
      expect(await locks.acquire('status', 'h1', 'batchA.status.h1', 1_000)).toBe(false);
      now = 1_000;
      // A lock whose holder died lapses after its TTL.
      expect(await locks.acquire('status', 'h1', 'batchA.status.h1', 1_000)).toBe(true);
    });

    it('the holder may take its own lock again (a re-delivered job), extending it', async () => {
      let now = 0;
      const locks = (await open(() => now)).locks;
      expect(await locks.acquire('status', 'h1', 'owner', 1_000)).toBe(true);
      now = 900;
      expect(await locks.acquire('status', 'h1', 'owner', 1_000)).toBe(true);
      now = 1_500;
      expect(await locks.acquire('status', 'h1', 'other', 1_000)).toBe(false);
      now = 1_900;
      expect(await locks.acquire('status', 'h1', 'other', 1_000)).toBe(true);
    });

    it('only the holder releases a lock', async () => {
      const locks = (await open(() => 0)).locks;
      expect(await locks.acquire('status', 'h1', 'owner', 1_000)).toBe(true);
      await locks.release('status', 'h1', 'someone-else');
      expect(await locks.acquire('status', 'h1', 'other', 1_000)).toBe(false);
      await locks.release('status', 'h1', 'owner');
      expect(await locks.acquire('status', 'h1', 'other', 1_000)).toBe(true);
    });
  });

  describe(`${name}: rate gate`, () => {
    it('hands out evenly paced slots from now; a hold pushes the next slot on', async () => {
      let now = 100_000;
      const gate = (await open(() => now)).gate;
      const step = paceIntervalMs(10);
      expect(await gate.waitFor('status')).toBe(0);
      expect(await gate.reserve('status', 10)).toBe(0);
      expect(await gate.reserve('status', 10)).toBeCloseTo(step, 6);
      expect(await gate.reserve('status', 10)).toBeCloseTo(2 * step, 6);
      expect(await gate.waitFor('status')).toBeCloseTo(3 * step, 6);
      // Each API has its own slots.
      expect(await gate.reserve('tenure', 10)).toBe(0);
      // Time passing frees the slots gone by.
      now += 10_000;
      expect(await gate.waitFor('status')).toBe(0);
      expect(await gate.reserve('status', 10)).toBe(0);
      await gate.hold('status', 5_000);
      expect(await gate.waitFor('status')).toBe(5_000);
      expect(await gate.reserve('status', 10)).toBe(5_000);
      // A shorter hold never pulls the slot back.
      await gate.hold('status', 1_000);
      expect(await gate.waitFor('status')).toBeCloseTo(5_000 + step, 6);
    });
  });
}
