/**
 * What `status` and `submit` need to say why a batch is not moving: the workers alive
 * (heartbeats), the rate gate, the shared rates and the store's clock, read from Redis
 * and handed to the engine's pure diagnosis (src/engine/batch-health.ts).
 */
import type { RedisConnection } from '../src/shared/redis-url.js';
import type { BatchFacts } from '../src/engine/batch-health.js';
import type { EngineOptions } from '../src/engine/options.js';
import type { SqliteStores } from '../src/engine/sqlite-store.js';
import type { EngineStores } from '../src/engine/store.js';
import { API_IDS, isApiId, type ApiId } from '../src/juhe/catalogue.js';
import type { BullmqQueues } from './bullmq-queues.js';
import { aliveWorkers } from './heartbeats.js';
import { INGEST_QUEUE, REPORT_QUEUE, apiQueueName } from './queue-names.js';

export async function gatherBatchFacts(
  session: { redis: RedisConnection; stores: EngineStores; queues: BullmqQueues },
  options: Pick<EngineOptions, 'prefix' | 'stuckAfterSeconds' | 'maxWaiting'>,
): Promise<BatchFacts> {
  const { redis, stores } = session;
  const [now, workers, gates, shared, pendingApiJobs] = await Promise.all([
    stores.batches.now(),
    aliveWorkers(redis, options.prefix),
    Promise.all(API_IDS.map((api) => stores.gate.waitFor(api))),
    redis.hgetall(`${options.prefix}:rates`),
    session.queues.pendingApiJobs(),
  ]);
  const count = (queue: string) => workers.filter((worker) => worker.queues.includes(queue)).length;
  const rates: Partial<Record<ApiId, number>> = {};
  for (const [api, rate] of Object.entries(shared)) if (isApiId(api)) rates[api] = Number(rate);
  return {
    now,
    workers: {
      ingest: count(INGEST_QUEUE),
      report: count(REPORT_QUEUE),
      api: Object.fromEntries(API_IDS.map((api) => [api, count(apiQueueName(api))])),
    },
    gateWaitMs: Object.fromEntries(API_IDS.map((api, i) => [api, gates[i]!])),
    rates,
    stuckAfterMs: options.stuckAfterSeconds * 1000,
    pendingApiJobs,
    maxWaiting: options.maxWaiting,
  };
}

/**
 * The same facts for a batch of the local engine: the `riskscreen run` working it (its
 * claim in the local store) stands for every worker.
 */
export async function gatherLocalBatchFacts(
  stores: SqliteStores,
  batchId: string,
  options: Pick<EngineOptions, 'stuckAfterSeconds' | 'maxWaiting' | 'rates'>,
): Promise<BatchFacts> {
  const [now, claimant, gates] = await Promise.all([
    stores.batches.now(),
    stores.batches.claimant(batchId),
    Promise.all(API_IDS.map((api) => stores.gate.waitFor(api))),
  ]);
  const alive = claimant ? 1 : 0;
  return {
    now,
    workers: { ingest: alive, report: alive, api: Object.fromEntries(API_IDS.map((api) => [api, alive])) },
    gateWaitMs: Object.fromEntries(API_IDS.map((api, i) => [api, gates[i]!])),
    rates: { ...options.rates },
    stuckAfterMs: options.stuckAfterSeconds * 1000,
    pendingApiJobs: 0,
    maxWaiting: options.maxWaiting,
    localRun: { pid: claimant?.pid ?? null },
  };
}

/** Plain words when no worker would pick a new batch up: for `submit`, at once. */
export function noWorkerWarning(facts: BatchFacts, apis: readonly ApiId[]): string | null {
  const missing = [
    ...(facts.workers.ingest === 0 ? [INGEST_QUEUE] : []),
    ...apis.filter((api) => !facts.workers.api[api]).map(apiQueueName),
    ...(facts.workers.report === 0 ? [REPORT_QUEUE] : []),
  ];
  if (missing.length === 0) return null;
  const all = facts.workers.ingest + facts.workers.report + Object.values(facts.workers.api).reduce((a, b) => a + (b ?? 0), 0) === 0;
  return all
    ? 'no riskscreen worker is running: the batch waits until one starts (riskscreen worker)'
    : `no riskscreen worker is running for ${missing.join(', ')}: the batch waits at that step until one starts (riskscreen worker)`;
}
