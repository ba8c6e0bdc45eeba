/**
 * Opening an engine for a command: the local engine (in memory, no Redis) when
 * REDIS_URL is unset, the queue engine otherwise. Commands see one shape.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Options } from '../config/options.js';
import { LocalEngine } from '../engine/local-engine.js';
import { memoryStores } from '../engine/memory-store.js';
import { redisStores, type RedisBatchStore } from '../engine/redis-store.js';
import { buildEngineParts, type EngineParts } from '../engine/setup.js';
import type { EngineStores } from '../engine/store.js';
import { assertRedisReachable, connectRedis } from '../queue/connection.js';
import { QueueEngine } from '../queue/queue-engine.js';
import { UsageError } from './io.js';

export interface LocalSession {
  kind: 'local';
  stores: EngineStores;
  parts: EngineParts;
  engine: LocalEngine;
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
  engine: QueueEngine;
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
  const engine = new LocalEngine({ context: parts.context, signal: abort.signal });
  return {
    kind: 'local',
    stores,
    parts,
    engine,
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
  if (!redisUrl) throw new UsageError('this command needs the queue engine: set REDIS_URL (the local engine keeps no state between commands)');
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
  const engine = new QueueEngine(redis, options.engine.prefix);
  return {
    kind: 'queue',
    redis,
    redisUrl,
    stores,
    parts,
    engine,
    dataDir: options.engine.dataDir,
    async close() {
      await engine.close();
      await parts?.client.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
