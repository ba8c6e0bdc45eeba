/**
 * The engine's options, with their defaults. Composed with the other layers' into
 * riskscreen's one options object (src/config/options.ts), which loads and checks them.
 */
import type { ApiId } from '../juhe/catalogue.js';
import { DEFAULT_PLAN, type Plan } from './batch.js';

export interface EngineOptions {
  /**
   * Redis for the queue engine; unset: the local in-process engine. Env `REDIS_URL`:
   * `redis://host:6379`, `rediss://` (TLS), `redis+cluster://h1:7000,h2:7001` or
   * `rediss+cluster://` (a Redis Cluster, by some of its nodes).
   */
  redisUrl: string | undefined;
  /** A PEM file of the CA that signed Redis's TLS certificate, when the system's CAs do not know it. Env `REDIS_TLS_CA_FILE`. */
  redisTlsCaFile: string | undefined;
  /**
   * Key prefix of every queue and record. A Redis Cluster hash tag (`{...}`) keeps a
   * queue's keys in one slot, as BullMQ needs. Env `RISKSCREEN_PREFIX`.
   */
  prefix: string;
  /**
   * Secret for the keyed hash of numbers (cache keys, job ids) and for sealing numbers
   * in job payloads. Unset: derived from `JUHE_KEY`, so every process of one account
   * agrees without more configuration. Env `RISKSCREEN_SECRET`.
   */
  secret: string | undefined;
  /** Where uploaded lists and result files live; shared by every worker. Env `RISKSCREEN_DATA_DIR`. */
  dataDir: string;
  /** Calls in flight per API per worker process. Env `RISKSCREEN_CONCURRENCY`. */
  concurrency: number;
  /** Calls per second per API, across every worker. Env `RISKSCREEN_RATES=status=20,tenure=10`. */
  rates: Record<ApiId, number>;
  /** How long a cached answer is reused, per API, in seconds. Env `RISKSCREEN_CACHE_TTL=status=1d,tenure=7d`. */
  cacheTtlSeconds: Record<ApiId, number>;
  /** Most API jobs waiting at once; ingest pauses above it. Env `RISKSCREEN_MAX_WAITING`. */
  maxWaiting: number;
  /** How long a worker waits for calls in flight on SIGTERM/SIGINT. Env `RISKSCREEN_SHUTDOWN_TIMEOUT_MS`. */
  shutdownTimeoutMs: number;
  /**
   * A job's lock lasts this long and is renewed at half of it; a worker checks this often
   * for jobs whose worker stopped renewing (died), and puts them back. Shorter: a dead
   * worker's jobs come back sooner; too short: a busy machine's jobs look dead. Env
   * `RISKSCREEN_STALL_CHECK_MS`.
   */
  stallCheckMs: number;
  /**
   * How often a job may be put back that way before it is failed (its question is then
   * recorded as failed, so the batch still ends). Env `RISKSCREEN_MAX_STALLS`.
   */
  maxStalls: number;
  /**
   * How a new batch asks its questions: `staged` (line status first; the other APIs only
   * when its answer leaves the level open: the same levels for fewer calls) or `all`
   * (every API at once). Env `RISKSCREEN_PLAN`; `--plan` per batch.
   */
  plan: Plan;
  /** A batch with no progress for this long is flagged stuck, with the reason. Env `RISKSCREEN_STUCK_AFTER` (`10m`, `600s`, `1h`). */
  stuckAfterSeconds: number;
}

export const ENGINE_DEFAULTS: EngineOptions = {
  redisUrl: undefined,
  redisTlsCaFile: undefined,
  prefix: '{riskscreen}',
  secret: undefined,
  dataDir: 'riskscreen-data',
  concurrency: 32,
  rates: { status: 20, tenure: 20, tenureCmcc: 20, resale: 20, callDuration: 20 },
  cacheTtlSeconds: { status: 86_400, tenure: 7 * 86_400, tenureCmcc: 7 * 86_400, resale: 7 * 86_400, callDuration: 7 * 86_400 },
  maxWaiting: 20_000,
  shutdownTimeoutMs: 30_000,
  // BullMQ's own defaults for the lock and the stalled-job check.
  stallCheckMs: 30_000,
  // High: a crashed worker is the case this engine is built for; each stall is a worker lost.
  maxStalls: 20,
  stuckAfterSeconds: 600,
  plan: DEFAULT_PLAN,
};
