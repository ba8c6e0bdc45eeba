/**
 * Opening a runner for a command: the local runner (no Redis; its state in one SQLite
 * file in the data dir) when REDIS_URL is unset, the BullMQ queues otherwise. Commands
 * see one shape.
 */
import { existsSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Options } from '../src/config/options.js';
import { redisStores, type RedisBatchStore } from '../src/engine/redis-store.js';
import { openSqliteStores, type SqliteStores } from '../src/engine/sqlite-store.js';
import type { EngineStores } from '../src/engine/store.js';
import { BullmqQueues } from './bullmq-queues.js';
import { assertRedisReachable, connectRedis, type RedisConnection, type RedisSettings } from './connection.js';
import { buildEngineParts, type EngineParts } from './engine-parts.js';
import { LocalRunner } from './local-runner.js';

export interface LocalSession {
  kind: 'local';
  stores: SqliteStores;
  parts: EngineParts;
  runner: LocalRunner;
  dataDir: string;
  abort: AbortController;
  close(): Promise<void>;
}

export interface QueueSession {
  kind: 'queue';
  redis: RedisConnection;
  redisUrl: string;
  /** A new connection to the same Redis (BullMQ workers each need their own). */
  connect(name: string): RedisConnection;
  stores: EngineStores & { batches: RedisBatchStore };
  /** Only when the command calls the Juhe service (it needs JUHE_KEY). */
  parts: EngineParts | null;
  queues: BullmqQueues;
  dataDir: string;
  close(): Promise<void>;
}

/** The local engine's store: one SQLite file in the data dir, beside the batches' folders. */
export function localStoreFile(dataDir: string): string {
  return join(resolve(dataDir), 'local.db');
}

/**
 * The local engine: batches, answers and files in the data dir (RISKSCREEN_DATA_DIR,
 * `riskscreen-data/` by default), kept after the process ends, so a rerun after a crash
 * pays only for what was not answered and a result can always be exported again.
 */
export async function openLocalSession(options: Options, logger: Logger): Promise<LocalSession> {
  const dataDir = resolve(options.engine.dataDir);
  const stores = openSqliteStores({ file: localStoreFile(dataDir) });
  let parts: EngineParts;
  try {
    parts = buildEngineParts(options, stores, logger, dataDir);
  } catch (err) {
    stores.close();
    throw err;
  }
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
      stores.close();
    },
  };
}

/** Batches of the local engine, without running them: for status, result, cancel, gc. */
export interface LocalStoreSession {
  kind: 'local-store';
  stores: SqliteStores;
  dataDir: string;
  close(): Promise<void>;
}

/** Opens the data dir's local store; a data dir where the local engine never ran is a NoLocalStoreError (nothing is made). */
export function openLocalStoreSession(options: Options): LocalStoreSession {
  const dataDir = resolve(options.engine.dataDir);
  if (!existsSync(localStoreFile(dataDir))) throw new NoLocalStoreError(localStoreFile(dataDir));
  const stores = openSqliteStores({ file: localStoreFile(dataDir) });
  return {
    kind: 'local-store',
    stores,
    dataDir,
    async close() {
      stores.close();
    },
  };
}

/** The batches a command works on: the queue engine's with REDIS_URL, else the local store's. */
export async function openBatchSession(options: Options, logger: Logger): Promise<QueueSession | LocalStoreSession> {
  return options.engine.redisUrl ? openQueueSession(options, logger, { juhe: false }) : openLocalStoreSession(options);
}

export async function openQueueSession(options: Options, logger: Logger, use: { juhe: boolean }): Promise<QueueSession> {
  const redisUrl = options.engine.redisUrl;
  if (!redisUrl) throw new NeedsQueueEngineError();
  const settings: RedisSettings = { url: redisUrl, tlsCaFile: options.engine.redisTlsCaFile };
  const redis = connectRedis(settings, logger, 'cli');
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
    connect: (name) => connectRedis(settings, logger, name),
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

/** A command on local batches, with a data dir where `riskscreen run` never ran. */
export class NoLocalStoreError extends Error {
  readonly code = 'RISKSCREEN_NO_LOCAL_STORE';
  readonly kind = 'usage';
  constructor(readonly file: string) {
    super(
      `no local batches: there is no local store at ${file} (the data dir is RISKSCREEN_DATA_DIR, default riskscreen-data/ in the current folder; with REDIS_URL set, the queue engine's batches are asked)`,
    );
    this.name = 'NoLocalStoreError';
  }
}

/** A command that works on stored batches, run without REDIS_URL. */
export class NeedsQueueEngineError extends Error {
  readonly code = 'RISKSCREEN_NEEDS_QUEUE_ENGINE';
  readonly kind = 'usage';
  constructor() {
    super('this command needs the queue engine: set REDIS_URL (without it, riskscreen run screens a list in this process)');
    this.name = 'NeedsQueueEngineError';
  }
}
