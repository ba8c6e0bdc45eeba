import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isolatedRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
beforeEach(async () => {
  redis = await isolatedRedis();
});
afterEach(async () => {
  await redis?.cleanup();
});

describe('the integration Redis', () => {
  it('answers, and each test has a prefix of its own that is emptied afterwards', async () => {
    expect(await redis.client.ping()).toBe('PONG');
    await redis.client.set(`${redis.prefix}:a`, '1');
    const other = await isolatedRedis();
    try {
      expect(other.prefix).not.toBe(redis.prefix);
      await other.client.set(`${other.prefix}:a`, '2');
      await other.cleanup();
      expect(await redis.client.exists(`${other.prefix}:a`)).toBe(0);
      expect(await redis.client.get(`${redis.prefix}:a`)).toBe('1');
    } finally {
      if (other.client.status === 'ready') await other.client.quit();
    }
  });
});
