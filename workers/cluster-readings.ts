/**
 * What the metrics' gauges read at a scrape (src/metrics/cluster-gauges.ts), from the
 * runner's state: on the queue engine, every BullMQ queue's job counts, the batches in
 * Redis, and the workers' heartbeats; on the local engine, the batches in the data
 * dir's store (it has no queues, and no worker but its own process). On both, the
 * store's running totals of billed calls per API (one hash read, or one small table).
 *
 * Bounded: only the newest BATCHES_READ batches are looked at (on Redis one status read
 * each, sent together; on the local store chosen in its query), and only those that
 * have not ended are diagnosed the way `riskscreen status` does
 * (src/engine/batch-health.ts). A batch older than that is not counted, however it
 * stands. How often these run is bounded too: a reading serves the scrapes of the next
 * 5 s (src/metrics/cluster-gauges.ts), in a worker and in the console alike.
 */
import { FINAL_STATUSES, type BatchStatus, type BatchView } from '../src/engine/batch.js';
import { diagnoseBatch } from '../src/engine/batch-health.js';
import type { EngineOptions } from '../src/engine/options.js';
import type { RedisBatchStore } from '../src/engine/redis-store.js';
import type { SqliteStores } from '../src/engine/sqlite-store.js';
import type { EngineStores } from '../src/engine/store.js';
import type { ClusterReadings } from '../src/metrics/cluster-gauges.js';
import type { RedisConnection } from '../src/shared/redis-url.js';
import { gatherBatchFacts, gatherLocalBatchFacts } from './batch-facts.js';
import type { BullmqQueues } from './bullmq-queues.js';
import { aliveWorkers } from './heartbeats.js';

/** The newest batches the gauges look at. */
export const BATCHES_READ = 1_000;

type Counted = { byStatus: Partial<Record<BatchStatus, number>>; stuck: number };

export function queueClusterReadings(
  session: { redis: RedisConnection; stores: EngineStores & { batches: RedisBatchStore }; queues: BullmqQueues },
  options: Pick<EngineOptions, 'prefix' | 'stuckAfterSeconds' | 'maxWaiting'>,
): ClusterReadings {
  const { redis, stores, queues } = session;
  // A command sent while Redis is away waits in the client's queue until it is back (as
  // the workers want); a scrape must not pile them up there: it fails at once instead.
  const connected = () => {
    if (redis.status !== 'ready') throw new Error(`Redis is not connected (${redis.status})`);
  };
  return {
    async queueJobs() {
      connected();
      const all = queues.all();
      const counts = await Promise.all(all.map((queue) => queue.getJobCounts()));
      return Object.fromEntries(all.map((queue, i) => [queue.name, counts[i]!]));
    },
    async batches() {
      connected();
      const ids = await stores.batches.list(BATCHES_READ);
      const statuses = await Promise.all(ids.map((id) => stores.batches.status(id)));
      const open = ids.filter((_, i) => statuses[i] !== undefined && statuses[i] !== 'done' && statuses[i] !== 'failed');
      const views = await Promise.all(open.map((id) => stores.batches.get(id)));
      return count(
        statuses,
        views.filter((view): view is BatchView => view !== undefined),
        async () => gatherBatchFacts(session, options),
      );
    },
    async workersAlive() {
      connected();
      return (await aliveWorkers(redis, options.prefix)).length;
    },
    async billedTotals() {
      connected();
      return stores.batches.billedTotals();
    },
  };
}

/** The local engine's store: batches only (its queues live and die with this process). */
export function localClusterReadings(stores: SqliteStores, options: Pick<EngineOptions, 'stuckAfterSeconds' | 'maxWaiting' | 'rates'>): ClusterReadings {
  return {
    async batches() {
      // The newest only, chosen in the query (the store's batch list would read every batch whole).
      const views = await stores.batches.list(BATCHES_READ);
      const open = views.filter((view) => view.status !== 'done' && view.status !== 'failed');
      const counted = emptyCount(views.map((view) => view.status));
      for (const view of open) {
        if (diagnoseBatch(view, await gatherLocalBatchFacts(stores, view.id, options)).stuck) counted.stuck++;
      }
      return counted;
    },
    billedTotals: () => stores.batches.billedTotals(),
  };
}

async function count(
  statuses: ReadonlyArray<BatchStatus | undefined>,
  open: readonly BatchView[],
  facts: () => ReturnType<typeof gatherBatchFacts>,
): Promise<Counted> {
  const counted = emptyCount(statuses);
  // Facts are read only when some batch could be stuck (most scrapes: none has not ended).
  const unfinished = open.filter((view) => !FINAL_STATUSES.has(view.status) || view.resultPath === null);
  if (unfinished.length > 0) {
    const known = await facts();
    counted.stuck = unfinished.filter((view) => diagnoseBatch(view, known).stuck).length;
  }
  return counted;
}

function emptyCount(statuses: ReadonlyArray<BatchStatus | undefined>): Counted {
  const byStatus: Partial<Record<BatchStatus, number>> = {};
  for (const status of statuses) if (status) byStatus[status] = (byStatus[status] ?? 0) + 1;
  return { byStatus, stuck: 0 };
}
