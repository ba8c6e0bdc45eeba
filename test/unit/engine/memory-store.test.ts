import { describe, expect, it } from 'vitest';
import { newBatchId, isBatchId } from '../../../src/engine/batch.js';
import { MemoryBatchStore, MemoryInflightLocks, MemoryRateGate, MemoryResultCache, memoryStores } from '../../../src/engine/memory-store.js';
import { storeContract } from './store-contract.js';

storeContract('memory', async (clock) => ({
  batches: new MemoryBatchStore(clock),
  cache: new MemoryResultCache(clock),
  locks: new MemoryInflightLocks(clock),
  gate: new MemoryRateGate(clock),
}));

describe('batch ids', () => {
  it('are sortable by creation time, never all digits, no ":"', () => {
    const id = newBatchId(new Date('2026-11-22T10:15:00.000Z'));
    expect(id).toMatch(/^b20261122-101500-[0-9a-z]{4}$/);
    expect(isBatchId(id)).toBe(true);
    expect(isBatchId('20261122-101500-abcd')).toBe(false);
    expect(newBatchId(new Date('2026-01-01T00:00:00Z')) < newBatchId(new Date('2026-01-01T00:00:01Z'))).toBe(true);
  });
});

describe('memoryStores', () => {
  it('gives fresh, separate stores', async () => {
    const a = memoryStores();
    const b = memoryStores();
    await a.cache.set('status', 'h', 'x', 60);
    expect(await b.cache.get('status', 'h')).toBeNull();
    expect(await a.locks.acquire('status', 'h', 'o1', 1_000)).toBe(true);
    expect(await b.locks.acquire('status', 'h', 'o2', 1_000)).toBe(true);
  });
});
