/**
 * Per-test Redis isolation: every test gets its own key prefix on the shared test
 * server and deletes everything under it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

export interface TestRedis {
  url: string;
  /** A key prefix no other test uses, e.g. `test-3f9a1c2b`. */
  prefix: string;
  client: Redis;
  /** Delete every key under the prefix and close the client. */
  cleanup(): Promise<void>;
}

/** On the run's test Redis, or on `url` (a server a test started itself). */
export async function isolatedRedis(url: string = inject('redisUrl')): Promise<TestRedis> {
  const prefix = `test-${randomBytes(4).toString('hex')}`;
  const client = new Redis(url, { maxRetriesPerRequest: null });
  return {
    url,
    prefix,
    client,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
      await client.quit();
    },
  };
}
