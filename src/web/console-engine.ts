/**
 * The engine the console drives, one shape for both: with REDIS_URL the queue engine
 * (batches in Redis, worked by `riskscreen worker` processes and, unless --no-worker,
 * by workers in the web process), else the local engine inside the web process
 * (batches in the data dir's SQLite store; a batch running when the process stops
 * resumes when the console starts again).
 */
import type { RedisConnection } from '../shared/redis-url.js';
import type { Logger } from 'pino';
import type { Options } from '../config/options.js';
import { FINAL_STATUSES, type BatchMeta, type BatchStatus, type BatchView } from '../engine/batch.js';
import { diagnoseBatch, type BatchHealth } from '../engine/batch-health.js';
import { deriveEngineKeys, type EngineKeys } from '../engine/keys.js';
import { isStoreWriteError } from '../engine/store-errors.js';
import type { ResultCache } from '../engine/store.js';
import { submitBatch, type SubmitRequest } from '../engine/submit.js';
import type { Readiness } from '../metrics/ops-server.js';
import { createMetrics, type Metrics } from '../metrics/registry.js';
import { gatherBatchFacts, gatherLocalBatchFacts } from '../../workers/batch-facts.js';
import { localClusterReadings, queueClusterReadings } from '../../workers/cluster-readings.js';
import { redisReadiness } from '../../workers/readiness.js';
import type { BullmqQueues } from '../../workers/bullmq-queues.js';
import { startBullmqRunner, type RunningWorkers } from '../../workers/bullmq-runner.js';
import { openLocalSession, openQueueSession, type LocalSession, type QueueSession } from '../../workers/sessions.js';
import { checkRedisForWorkers } from '../../workers/redis-policy.js';
import { WebError } from './web-error.js';

export interface ConsoleEngine {
  readonly kind: 'local' | 'queue';
  readonly dataDir: string;
  /** Redis, for sessions and the login throttle shared by every web process (queue engine only). */
  readonly redis: RedisConnection | null;
  /** The BullMQ queues, for the admins' dashboard (queue engine only). */
  readonly queues: BullmqQueues | null;
  /** The shared answer cache and the keys of its entries, for a preview's "the cache saves". */
  readonly cache: { store: ResultCache; keys: EngineKeys } | null;
  /** Every batch's id and status, newest first. */
  list(): Promise<Array<{ id: string; status: BatchStatus }>>;
  get(id: string): Promise<BatchView | undefined>;
  health(view: BatchView): Promise<BatchHealth>;
  submit(request: SubmitRequest): Promise<BatchMeta>;
  /** False when the batch had already finished. */
  cancel(id: string, by: string): Promise<boolean>;
  /** This process's metrics (`GET /metrics`): the calls it makes, and the batches (and on the queue engine the queues and workers) it can read. */
  readonly metrics: Metrics;
  /** Whether batches can be read and worked now (`GET /readyz`). */
  readiness(): Promise<Readiness>;
  close(): Promise<void>;
}

/** Store reads and writes on a request's path: past this, Redis is taken to be down (503), not waited for. */
const REQUEST_DEADLINE_MS = 10_000;

async function withinDeadline<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WebError('RISKSCREEN_UNAVAILABLE', 'Redis does not answer; the batches cannot be read or changed now. Try again in a moment.')), REQUEST_DEADLINE_MS);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function openConsoleEngine(options: Options, logger: Logger, settings: { work: boolean }): Promise<ConsoleEngine> {
  return options.engine.redisUrl ? openQueueConsole(options, logger, settings.work) : openLocalConsole(options, logger);
}

async function openQueueConsole(options: Options, logger: Logger, work: boolean): Promise<ConsoleEngine> {
  const session: QueueSession = await openQueueSession(options, logger, { juhe: work });
  const metrics = createMetrics({ quotaCalls: options.ops.quotaCalls, cluster: queueClusterReadings(session, options.engine), logger });
  let closing = false;
  let workers: RunningWorkers | null = null;
  try {
    if (work) await checkRedisForWorkers(session.redis, session.redisUrl, logger);
    await session.queues.prepare(options.engine.rates);
    if (work && session.parts) {
      workers = startBullmqRunner({
        context: { ...session.parts.context, observe: metrics.observer },
        queues: session.queues,
        connect: (name) => session.connect(name),
        concurrency: options.engine.concurrency,
        logger,
        nightly: options.nightly,
      });
    }
  } catch (err) {
    await session.close();
    throw err;
  }
  const { batches } = session.stores;
  const keys = session.parts?.context.keys ?? cacheKeys(options);
  return {
    kind: 'queue',
    dataDir: session.dataDir,
    redis: session.redis,
    queues: session.queues,
    cache: keys ? { store: session.stores.cache, keys } : null,
    async list() {
      return withinDeadline(
        (async () => {
          const ids = await batches.list(Number.MAX_SAFE_INTEGER);
          const statuses = await Promise.all(ids.map((id) => batches.status(id)));
          return ids.flatMap((id, i) => (statuses[i] ? [{ id, status: statuses[i] }] : []));
        })(),
      );
    },
    get: (id) => withinDeadline(batches.get(id)),
    async health(view) {
      return diagnoseBatch(view, await withinDeadline(gatherBatchFacts(session, options.engine)));
    },
    async submit(request) {
      const { meta } = await submitBatch(batches, session.dataDir, request);
      try {
        await withinDeadline(session.queues.addIngestJob(meta.id));
      } catch (err) {
        // Not left queued with no job: it says so, and the operator starts the list again.
        await batches.setStatus(meta.id, 'failed', 'it could not be queued (Redis did not answer); start the list again').catch(() => undefined);
        throw err;
      }
      return meta;
    },
    // No time patch: the report sets `finished` when it is written (a patch would also move a finished batch's time).
    cancel: (id, by) => withinDeadline(batches.setStatus(id, 'cancelled', `cancelled by ${by} in the console`)),
    metrics,
    async readiness() {
      if (closing) return { ready: false, reason: 'the console is stopping' };
      return redisReadiness(session.redis, options.engine.prefix);
    },
    async close() {
      closing = true;
      if (workers) await workers.close(options.engine.shutdownTimeoutMs);
      await session.close();
    },
  };
}

/** The keys of cache entries, when a secret to derive them is known (else no cache can be asked). */
function cacheKeys(options: Options): EngineKeys | null {
  return options.engine.secret || options.juhe.key ? deriveEngineKeys(options.engine.secret, options.juhe.key) : null;
}

/** Not finished: no result yet and not failed (a cancelled batch still writes its result). */
function unfinished(view: BatchView): boolean {
  return view.resultPath === null && view.status !== 'failed';
}

async function openLocalConsole(options: Options, logger: Logger): Promise<ConsoleEngine> {
  const session: LocalSession = await openLocalSession(options, logger);
  const { batches } = session.stores;
  const metrics = createMetrics({ quotaCalls: options.ops.quotaCalls, cluster: localClusterReadings(session.stores, options.engine), logger });
  // The session built the runner's context; its observer is added here, before any batch runs.
  session.runner.context.observe = metrics.observer;
  let closed = false;
  /** Set when the data dir cannot be written: nothing more can be run until the console restarts. */
  let broken: unknown = null;
  const runs = new Set<Promise<void>>();

  const start = (id: string) => {
    const run = session.runner.run(id).then(
      () => undefined,
      (err: unknown) => {
        if (session.abort.signal.aborted) return;
        if (isStoreWriteError(err)) broken = err;
        logger.error({ err, batch: id }, 'a console batch stopped with an error');
        void batches.setStatus(id, 'failed', `the run stopped: ${(err as Error).message}`, { times: { finished: new Date().toISOString() } }).catch(() => undefined);
      },
    );
    runs.add(run);
    void run.finally(() => runs.delete(run));
  };

  // Batches this console started and did not finish (it was stopped or crashed): taken up
  // again, paying only for what was not answered. A batch another run works is left to it.
  try {
    for (const view of await batches.list()) {
      if (!view.submittedBy || !unfinished(view)) continue;
      if (!(await batches.claim(view.id)).claimed) continue;
      await batches.forgetKeyChecks(view.id);
      logger.info({ batch: view.id }, 'resuming a console batch left unfinished');
      start(view.id);
    }
  } catch (err) {
    await session.close();
    throw err;
  }

  return {
    kind: 'local',
    dataDir: session.dataDir,
    redis: null,
    queues: null,
    cache: { store: session.stores.cache, keys: session.parts.context.keys },
    async list() {
      return (await batches.list()).sort((a, b) => b.id.localeCompare(a.id)).map((view) => ({ id: view.id, status: view.status }));
    },
    get: (id) => batches.get(id),
    async health(view) {
      return diagnoseBatch(view, await gatherLocalBatchFacts(session.stores, view.id, options.engine));
    },
    async submit(request) {
      if (broken) throw new WebError('RISKSCREEN_UNAVAILABLE', `the data dir ${session.dataDir} cannot be written (${(broken as Error).message}); free space, then restart riskscreen web`);
      // Created claimed by this process (one transaction): no riskscreen run takes it.
      const { meta } = await submitBatch(batches, session.dataDir, request);
      start(meta.id);
      return meta;
    },
    cancel: (id, by) => batches.setStatus(id, 'cancelled', `cancelled by ${by} in the console`),
    metrics,
    async readiness() {
      if (closed) return { ready: false, reason: 'the console is stopping' };
      // Plain words without paths: /readyz answers anyone who can reach the port (the log has the details).
      if (broken) return { ready: false, reason: 'the data dir cannot be written (see the log); free space, then restart riskscreen web' };
      try {
        // One read of the store's file (the newest batch): it is open and answers.
        await batches.list(1);
        return { ready: true };
      } catch (err) {
        logger.warn({ err }, 'readiness: the local store cannot be read');
        return { ready: false, reason: 'the local store in the data dir cannot be read (see the log)' };
      }
    },
    async close() {
      closed = true;
      // Calls in flight are interrupted; their batches resume at the next start (a stopped
      // run never settles: it is left behind, holding nothing).
      session.runner.stop();
      session.abort.abort(new Error('the console is stopping'));
      runs.clear();
      await session.close();
    },
  };
}

export function isActive(status: BatchStatus): boolean {
  return !FINAL_STATUSES.has(status);
}
