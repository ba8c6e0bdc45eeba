/** The Redis result cache's count of cached hashes (one EXISTS for many) and their answers (one MGET), on a real Redis. */
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisStores } from '../../../src/engine/redis-store.js';
import { silentLogger } from '../../../src/log/logger.js';
import { connectRedis } from '../../../workers/connection.js';
import { startRedisCluster } from '../../support/redis-cluster.js';
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

describe('RedisResultCache.getMany', () => {
  it('gives the answers in order, per API, null where none is kept; expired ones are gone', async () => {
    const { cache } = redisStores(redis.client, redis.prefix);
    const hashes = Array.from({ length: 700 }, (_, i) => `h${i}`);
    for (const [i, hash] of hashes.entries()) if (i % 7 === 0) await cache.set('status', hash, `A${i}`, 600);
    await cache.set('tenure', 'h3', 'B', 1);
    expect(await cache.getMany('status', [])).toEqual([]);
    expect(await cache.getMany('status', hashes)).toEqual(hashes.map((_, i) => (i % 7 === 0 ? `A${i}` : null)));
    expect(await cache.getMany('tenure', ['h2', 'h3', 'h3'])).toEqual([null, 'B', 'B']);
    // Another prefix's answers are not this one's.
    expect(await redisStores(redis.client, `${redis.prefix}x`).cache.getMany('status', ['h0'])).toEqual([null]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await cache.getMany('tenure', ['h3'])).toEqual([null]);
  });
});

describe('on a Redis Cluster', () => {
  it('counts and reads many answers in one command each: the keys of a hash-tagged prefix share a slot', async () => {
    const cluster = await startRedisCluster(3);
    const client = connectRedis(cluster.url, silentLogger, 'test');
    try {
      expect(client).toBeInstanceOf(Cluster);
      const { cache } = redisStores(client, `{test-${randomBytes(4).toString('hex')}}`);
      const hashes = Array.from({ length: 300 }, (_, i) => `h${i}`);
      for (const [i, hash] of hashes.entries()) if (i % 4 === 0) await cache.set('status', hash, `A${i}`, 600);
      expect(await cache.countCached('status', hashes)).toBe(75);
      expect(await cache.getMany('status', hashes)).toEqual(hashes.map((_, i) => (i % 4 === 0 ? `A${i}` : null)));
    } finally {
      await client.quit().catch(() => client.disconnect());
      await cluster.stop();
    }
  }, 60_000);
});
