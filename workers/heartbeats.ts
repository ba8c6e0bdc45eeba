/**
 * Worker heartbeats in Redis: every worker process says every few seconds that it is
 * alive and which queues it works, so `status` can say "no worker is running for
 * api-status" instead of leaving a batch to wait in silence, and `submit` can warn at
 * once. On Redis's clock, so machines with skewed clocks agree.
 *
 *   <p>:workers          sorted set: worker id -> last beat (ms, Redis clock)
 *   <p>:worker:<id>      JSON of the worker (host, pid, queues, concurrency, started), PX 3 beats
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisConnection } from '../src/shared/redis-url.js';
import { NOW_MS } from '../src/engine/redis-store.js';

/** A beat every 5 s; a worker missing three in a row (15 s) is taken for dead. */
export const BEAT_EVERY_MS = 5_000;
const DEAD_AFTER_MS = 3 * BEAT_EVERY_MS;

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  started: string;
}

/** KEYS: set, info. ARGV: id, info JSON, ttl ms. */
const BEAT = `
${NOW_MS}
redis.call('ZADD', KEYS[1], nowMs, ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return nowMs
`;

/** KEYS: set. ARGV: dead after ms. Drops the dead, returns the ids alive. */
const ALIVE = `
${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs - tonumber(ARGV[1]))
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

export interface Heartbeat {
  readonly id: string;
  /** Resolves once the first beat is written (or failed): from then on `status` sees this worker. */
  readonly first: Promise<void>;
  stop(): Promise<void>;
}

/** Beat now and every BEAT_EVERY_MS until stopped; a failed beat (Redis restarting) is retried at the next. */
export function startHeartbeat(redis: RedisConnection, prefix: string, worker: Omit<WorkerInfo, 'id' | 'host' | 'pid' | 'started'>, onError: (error: Error) => void): Heartbeat {
  const id = `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
  const info: WorkerInfo = { id, host: hostname(), pid: process.pid, started: new Date().toISOString(), ...worker };
  const json = JSON.stringify(info);
  const beat = () =>
    redis.eval(BEAT, 2, `${prefix}:workers`, `${prefix}:worker:${id}`, id, json, DEAD_AFTER_MS).then(
      () => undefined,
      (error: Error) => onError(error),
    );
  const first = beat();
  const timer = setInterval(() => void beat(), BEAT_EVERY_MS);
  timer.unref();
  return {
    id,
    first,
    async stop() {
      clearInterval(timer);
      // Bounded: with Redis down the removal would wait for ever; the beat then just lapses.
      const removed = redis.multi().zrem(`${prefix}:workers`, id).del(`${prefix}:worker:${id}`).exec().catch(() => undefined);
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([removed, new Promise((resolve) => (timeout = setTimeout(resolve, 2_000)))]);
      clearTimeout(timeout);
    },
  };
}

/** The workers that beat within the last 15 s. */
export async function aliveWorkers(redis: RedisConnection, prefix: string): Promise<WorkerInfo[]> {
  const ids = (await redis.eval(ALIVE, 1, `${prefix}:workers`, DEAD_AFTER_MS)) as string[];
  if (ids.length === 0) return [];
  const infos = await redis.mget(ids.map((id) => `${prefix}:worker:${id}`));
  return infos.flatMap((text) => (text ? [JSON.parse(text) as WorkerInfo] : []));
}
