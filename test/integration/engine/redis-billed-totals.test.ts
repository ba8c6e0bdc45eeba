/**
 * The Redis batch store's running totals of billed calls (`<prefix>:billed`), on a real
 * Redis: the same contract as the memory and SQLite stores, one hash under the prefix,
 * and exact under concurrency (a result recorded by many jobs at once is counted once,
 * in the script that records it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { withApiCounts } from '../../../src/engine/batch.js';
import { redisStores } from '../../../src/engine/redis-store.js';
import { isolatedRedis, type TestRedis } from '../../support/redis.js';
import { billedTotalsContract, meta } from '../../unit/engine/store-contract.js';

let opened: TestRedis[] = [];
afterEach(async () => {
  await Promise.all(opened.map((redis) => redis.cleanup()));
  opened = [];
});

/** Fresh stores under a prefix of their own (Redis keeps its own clock: `clock` is not used). */
async function open() {
  const redis = await isolatedRedis();
  opened.push(redis);
  return Object.assign(redisStores(redis.client, redis.prefix), { redis });
}

billedTotalsContract('redis', open);

describe('redis: billed totals', () => {
  it('are one hash under the prefix, and count a result recorded by many jobs at once once', async () => {
    const stores = await open();
    const m = meta();
    await stores.batches.create(m);
    // 10 questions, each recorded by 5 jobs at once (re-deliveries); 3 failed attempts maybe billed.
    await Promise.all([
      ...Array.from({ length: 50 }, (_, i) => stores.batches.recordResult(m.id, `resale.h${i % 10}`, 'x', withApiCounts('resale', { answered: 1, billed: 1 }))),
      ...Array.from({ length: 3 }, () => stores.batches.addCounts(m.id, withApiCounts('resale', { maybeBilled: 1 }), { juhe_transient: 1 })),
    ]);
    expect((await stores.batches.billedTotals()).resale).toEqual({ billed: 10, maybeBilled: 3 });
    expect((await stores.batches.get(m.id))!.counts['billed.resale']).toBe(10);
    expect(await stores.redis.client.hgetall(`${stores.redis.prefix}:billed`)).toEqual({ 'billed.resale': '10', 'maybeBilled.resale': '3' });
  });
});
