/**
 * /readyz's checks with stand-ins for the Redis connection: ready only when it is
 * connected and answers a read of riskscreen's keys within the deadline (a keyed
 * command, so a Redis Cluster routes it to the master of the prefix's slot; never sent
 * into the offline queue of a disconnected client), and for a worker only once its
 * workers started and until it begins to stop.
 */
import { describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../../src/shared/redis-url.js';
import { readinessKey, redisReadiness, workerReadiness, type WorkerLife } from '../../../workers/readiness.js';

const PREFIX = '{riskscreen}';

function fakeRedis(status: string, exists: () => Promise<number>): RedisConnection & { asked: string[][]; pings: number } {
  const fake = {
    status,
    asked: [] as string[][],
    pings: 0,
    exists(...keys: string[]) {
      fake.asked.push(keys);
      return exists();
    },
    ping() {
      fake.pings++;
      return Promise.resolve('PONG');
    },
  };
  return fake as unknown as RedisConnection & { asked: string[][]; pings: number };
}

describe('readiness', () => {
  it('Redis connected and answering: ready; it asked for a key in the prefix\'s slot, not a PING (any node of a cluster)', async () => {
    const redis = fakeRedis('ready', async () => 0);
    expect(await redisReadiness(redis, PREFIX)).toEqual({ ready: true });
    expect(redis.asked).toEqual([['{riskscreen}:batches']]);
    expect(redis.pings).toBe(0);
    expect(readinessKey('{acme}')).toBe('{acme}:batches');
  });

  it('Redis reconnecting: not ready at once, and nothing is queued', async () => {
    const redis = fakeRedis('reconnecting', () => new Promise(() => {}));
    const readiness = await redisReadiness(redis, PREFIX);
    expect(readiness).toEqual({ ready: false, reason: expect.stringMatching(/^Redis is not connected \(the connection is reconnecting\)/) });
    expect(redis.asked).toEqual([]);
  });

  it('a read that hangs past the deadline, or fails: not ready, with the reason', async () => {
    const started = Date.now();
    expect(await redisReadiness(fakeRedis('ready', () => new Promise(() => {})), PREFIX, 50)).toEqual({
      ready: false,
      reason: "Redis did not answer a read of riskscreen's keys within 50 ms",
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await redisReadiness(fakeRedis('ready', async () => Promise.reject(new Error('CLUSTERDOWN The cluster is down'))), PREFIX)).toEqual({
      ready: false,
      reason: "Redis answered a read of riskscreen's keys with an error: CLUSTERDOWN The cluster is down",
    });
  });

  it('a worker: not ready while starting and once stopping, whatever Redis says', async () => {
    const life: WorkerLife = { started: false, closing: false };
    const check = workerReadiness(fakeRedis('ready', async () => 1), PREFIX, life);
    expect(await check()).toMatchObject({ ready: false, reason: expect.stringContaining('starting') });
    life.started = true;
    expect(await check()).toEqual({ ready: true });
    life.closing = true;
    expect(await check()).toMatchObject({ ready: false, reason: expect.stringContaining('stopping') });
  });
});
