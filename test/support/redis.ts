/**
 * Per-test Redis isolation: every test gets its own key prefix on the shared test
 * server and deletes everything under it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';
import { parseRedisUrl, type RedisConnection } from '../../src/shared/redis-url.js';
import { silentLogger } from '../../src/log/logger.js';
import { connectRedis } from '../../workers/connection.js';

export interface TestRedis {
  url: string;
  /** A key prefix no other test uses, e.g. `test-3f9a1c2b`. */
  prefix: string;
  /** A single server's client, or a cluster's when `url` is a redis+cluster:// URL. */
  client: RedisConnection;
  /** Delete every key under the prefix and close the client. */
  cleanup(): Promise<void>;
}

/** On the run's test Redis, or on `url` (a server a test started itself). */
export async function isolatedRedis(url: string = inject('redisUrl')): Promise<TestRedis> {
  const prefix = `test-${randomBytes(4).toString('hex')}`;
  const client: RedisConnection = parseRedisUrl(url).cluster ? connectRedis(url, silentLogger, 'test') : new Redis(url, { maxRetriesPerRequest: null });
  return {
    url,
    prefix,
    client,
    async cleanup() {
      // SCAN walks one server: on a cluster, each master in turn.
      for (const node of client instanceof Cluster ? client.nodes('master') : [client]) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
          cursor = next;
          // One DEL a key, pipelined: keys of other hash tags on one node are in other slots.
          if (keys.length > 0) await node.pipeline(keys.map((key) => ['del', key])).exec();
        } while (cursor !== '0');
      }
      await client.quit();
    },
  };
}
