/** The Redis result cache's count of cached hashes (one EXISTS for many), on a real Redis. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisStores } from '../../../src/engine/redis-store.js';
import { isolatedRedis, type TestRedis } from '../../support/redis.js';

let redis: TestRedis;
beforeEach(async () => {
  redis = await isolatedRedis();
});
afterEach(async () => {
  await redis.cleanup();
});

describe('RedisResultCache.countCached', () => {
  it('counts the hashes that have an answer, per API; expired ones are gone', async () => {
    const { cache } = redisStores(redis.client, redis.prefix);
    const hashes = Array.from({ length: 700 }, (_, i) => `h${i}`);
    for (const [i, hash] of hashes.entries()) if (i % 7 === 0) await cache.set('status', hash, 'A', 600);
    await cache.set('tenure', 'h3', 'B', 1);
    expect(await cache.countCached('status', [])).toBe(0);
    expect(await cache.countCached('status', hashes)).toBe(100);
    expect(await cache.countCached('tenure', hashes)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await cache.countCached('tenure', hashes)).toBe(0);
  });
});
