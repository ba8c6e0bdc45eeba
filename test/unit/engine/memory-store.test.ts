import { describe, expect, it } from 'vitest';
import { emptyCounters, FINAL_STATUSES, newBatchId, isBatchId, type BatchMeta, type BatchStatus } from '../../../src/engine/batch.js';
import { MemoryBatchStore, MemoryInflightLocks, MemoryResultCache, memoryStores } from '../../../src/engine/memory-store.js';

function meta(overrides: Partial<BatchMeta> = {}): BatchMeta {
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

async function created(store = new MemoryBatchStore(), overrides: Partial<BatchMeta> = {}): Promise<{ store: MemoryBatchStore; id: string }> {
  const m = meta(overrides);
  await store.create(m);
  return { store, id: m.id };
}

describe('batch ids', () => {
  it('are sortable by creation time, never all digits, no ":"', () => {
    const id = newBatchId(new Date('2026-11-22T10:15:00.000Z'));
    expect(id).toMatch(/^b20261122-101500-[0-9a-z]{4}$/);
    expect(isBatchId(id)).toBe(true);
    expect(isBatchId('20261122-101500-abcd')).toBe(false);
    expect(newBatchId(new Date('2026-01-01T00:00:00Z')) < newBatchId(new Date('2026-01-01T00:00:01Z'))).toBe(true);
  });
});

describe('MemoryBatchStore', () => {
  it('creates a record with zero counters and refuses the same id twice', async () => {
    const m = meta();
    const store = new MemoryBatchStore();
    await store.create(m);
    await expect(store.create(m)).rejects.toThrow(/exists/);
    const view = await store.get(m.id);
    expect(view).toMatchObject({ id: m.id, status: 'queued', reason: null, resultPath: null, errorsByCode: {}, exhausted: {} });
    expect(view!.counts).toEqual(emptyCounters());
    expect(await store.get('b20260101-000000-zzzz')).toBeUndefined();
    expect(await store.status('b20260101-000000-zzzz')).toBeUndefined();
  });

  it('hands out copies: changing a view changes nothing stored', async () => {
    const { store, id } = await created();
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
    const { store, id } = await created();
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
    const { store, id } = await created();
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
    const { store, id } = await created();
    await store.addCounts(id, { billed: 1, maybeBilled: 0 }, { '224915': 1 });
    await store.addCounts(id, { billed: 2 }, { '224915': 2, http_502: 1 });
    const view = (await store.get(id))!;
    expect(view.counts.billed).toBe(3);
    expect(view.counts.maybeBilled).toBe(0);
    expect(view.errorsByCode).toEqual({ '224915': 3, http_502: 1 });
  });

  it('recordResult stores and counts a task once; a second record changes nothing', async () => {
    const { store, id } = await created();
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
    const { store, id } = await created();
    await store.recordResult(id, 't.1', '["n",224922]', { noRecord: 1 });
    const done = await store.finishIngest(id, 3, { rows: 5, valid: 4, invalid: 1, unique: 3, duplicates: 1 });
    expect(done).toEqual({ isNew: true, final: 1, tasks: 3 });
    expect(await store.recordResult(id, 't.2', '["n",224922]', { noRecord: 1 })).toEqual({ isNew: true, final: 2, tasks: 3 });
    expect(await store.recordResult(id, 't.3', '["n",224922]', { noRecord: 1 })).toEqual({ isNew: true, final: 3, tasks: 3 });
  });

  it('finishIngest and setCounts set counters (a re-run never adds twice)', async () => {
    const { store, id } = await created();
    await store.setCounts(id, { rows: 10_000 });
    await store.setCounts(id, { rows: 20_000 });
    expect((await store.get(id))!.counts.rows).toBe(20_000);
    await store.finishIngest(id, 7, { rows: 25_000, valid: 20, fields: 3 });
    await store.finishIngest(id, 7, { rows: 25_000, valid: 20, fields: 3 });
    const view = (await store.get(id))!;
    expect(view.counts).toMatchObject({ rows: 25_000, valid: 20, fields: 3, tasks: 7, ingestDone: 1 });
  });

  it('reserveCall hands out at most maxCalls units; releaseCall gives one back', async () => {
    const { store, id } = await created();
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
    const { store, id } = await created();
    expect(await store.isExhausted(id, 'tenure')).toBeNull();
    await store.markExhausted(id, 'tenure', 'first: 10012');
    await store.markExhausted(id, 'tenure', 'second: 10013');
    await store.markExhausted(id, 'resale', 'resale: 10012');
    expect(await store.isExhausted(id, 'tenure')).toBe('first: 10012');
    expect(await store.isExhausted(id, 'status')).toBeNull();
    expect((await store.get(id))!.exhausted).toEqual({ tenure: 'first: 10012', resale: 'resale: 10012' });
  });

  it('dropResults removes the results but keeps the record and its counts', async () => {
    const { store, id } = await created();
    await store.recordResult(id, 'status.h1', '["n",224922]', { noRecord: 1 });
    await store.dropResults(id);
    expect(await store.getResults(id, ['status.h1'])).toEqual([null]);
    expect((await store.get(id))!.counts.noRecord).toBe(1);
  });

  it('every write to an unknown batch throws', async () => {
    const store = new MemoryBatchStore();
    const id = 'b20260101-000000-none';
    await expect(store.setStatus(id, 'done')).rejects.toThrow(/no batch/);
    await expect(store.addCounts(id, { rows: 1 })).rejects.toThrow(/no batch/);
    await expect(store.recordResult(id, 't', 'x', {})).rejects.toThrow(/no batch/);
    await expect(store.reserveCall(id, 1)).rejects.toThrow(/no batch/);
  });
});

describe('MemoryResultCache', () => {
  it('keeps an entry for its TTL, per API and hash', async () => {
    let now = 1_000_000;
    const cache = new MemoryResultCache(() => now);
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

  it('a new set replaces the value and restarts the TTL', async () => {
    let now = 0;
    const cache = new MemoryResultCache(() => now);
    await cache.set('status', 'h1', 'A', 10);
    now = 9_000;
    await cache.set('status', 'h1', 'A2', 10);
    now = 18_000;
    expect(await cache.get('status', 'h1')).toBe('A2');
  });
});

describe('MemoryInflightLocks', () => {
  it('one holder at a time per question, until release or expiry', async () => {
    let now = 0;
    const locks = new MemoryInflightLocks(() => now);
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
    const locks = new MemoryInflightLocks(() => now);
    expect(await locks.acquire('status', 'h1', 'owner', 1_000)).toBe(true);
    now = 900;
    expect(await locks.acquire('status', 'h1', 'owner', 1_000)).toBe(true);
    now = 1_500;
    expect(await locks.acquire('status', 'h1', 'other', 1_000)).toBe(false);
    now = 1_900;
    expect(await locks.acquire('status', 'h1', 'other', 1_000)).toBe(true);
  });

  it('only the holder releases a lock', async () => {
    const locks = new MemoryInflightLocks(() => 0);
    expect(await locks.acquire('status', 'h1', 'owner', 1_000)).toBe(true);
    await locks.release('status', 'h1', 'someone-else');
    expect(await locks.acquire('status', 'h1', 'other', 1_000)).toBe(false);
    await locks.release('status', 'h1', 'owner');
    expect(await locks.acquire('status', 'h1', 'other', 1_000)).toBe(true);
  });

  it('memoryStores gives fresh, separate stores', async () => {
    const a = memoryStores();
    const b = memoryStores();
    await a.cache.set('status', 'h', 'x', 60);
    expect(await b.cache.get('status', 'h')).toBeNull();
    expect(await a.locks.acquire('status', 'h', 'o1', 1_000)).toBe(true);
    expect(await b.locks.acquire('status', 'h', 'o2', 1_000)).toBe(true);
  });
});
