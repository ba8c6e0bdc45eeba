/**
 * Opening a runner for a command: the local runner (in memory, no Redis) when
 * REDIS_URL is unset, the BullMQ queues otherwise. Commands see one shape.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Options } from '../src/config/options.js';
import { memoryStores } from '../src/engine/memory-store.js';
import { redisStores, type RedisBatchStore } from '../src/engine/redis-store.js';
import type { EngineStores } from '../src/engine/store.js';
import { BullmqQueues } from './bullmq-queues.js';
import { assertRedisReachable, connectRedis } from './connection.js';
import { buildEngineParts, type EngineParts } from './engine-parts.js';
import { LocalRunner } from './local-runner.js';

export interface LocalSession {
  kind: 'local';
  stores: EngineStores;
  parts: EngineParts;
  runner: LocalRunner;
  dataDir: string;
  abort: AbortController;
  close(): Promise<void>;
}

export interface QueueSession {
  kind: 'queue';
  redis: Redis;
  redisUrl: string;
  stores: EngineStores & { batches: RedisBatchStore };
  /** Only when the command calls the Juhe service (it needs JUHE_KEY). */
  parts: EngineParts | null;
  queues: BullmqQueues;
  dataDir: string;
  close(): Promise<void>;
}

/** The local engine, with its files in a temporary directory removed on close. */
export async function openLocalSession(options: Options, logger: Logger): Promise<LocalSession> {
  const dataDir = await mkdtemp(join(tmpdir(), 'riskscreen-local-'));
  const stores = memoryStores();
  const parts = buildEngineParts(options, stores, logger, dataDir);
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  const runner = new LocalRunner({ context: parts.context, signal: abort.signal });
  return {
    kind: 'local',
    stores,
    parts,
    runner,
    dataDir,
    abort,
    async close() {
      await parts.client.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function openQueueSession(options: Options, logger: Logger, use: { juhe: boolean }): Promise<QueueSession> {
  const redisUrl = options.engine.redisUrl;
  if (!redisUrl) throw new NeedsQueueEngineError();
  const redis = connectRedis(redisUrl, logger, 'cli');
  try {
    await assertRedisReachable(redis, redisUrl);
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  const stores = redisStores(redis, options.engine.prefix);
  let parts: EngineParts | null = null;
  try {
    parts = use.juhe ? buildEngineParts(options, stores, logger) : null;
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  const queues = new BullmqQueues(redis, options.engine.prefix);
  return {
    kind: 'queue',
    redis,
    redisUrl,
    stores,
    parts,
    queues,
    dataDir: options.engine.dataDir,
    async close() {
      await queues.close();
      await parts?.client.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** A command that works on stored batches, run without REDIS_URL. */
export class NeedsQueueEngineError extends Error {
  readonly code = 'RISKSCREEN_NEEDS_QUEUE_ENGINE';
  readonly kind = 'usage';
  constructor() {
    super('this command needs the queue engine: set REDIS_URL (the local engine keeps no state between commands)');
    this.name = 'NeedsQueueEngineError';
  }
}
