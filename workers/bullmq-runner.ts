/**
 * The BullMQ runner: BullMQ Workers for the ingest, API and report queues, running the
 * same job code as the local runner. Control-flow errors become BullMQ's own (mapped in
 * job-errors.ts): RetryLater -> retry after its delay (a custom backoffStrategy),
 * HoldQueue -> queue.rateLimit + RateLimitError, HoldJob -> moveToDelayed +
 * DelayedError, GiveUp -> UnrecoverableError. Any number of these processes, on any
 * number of machines, share the work.
 */
import { setMaxListeners } from 'node:events';
import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { RedisConnection } from '../src/shared/redis-url.js';
import type { Logger } from 'pino';
import { runApiCallJob } from '../jobs/api-call.js';
import { runIngestJob } from '../jobs/ingest.js';
import { runReportJob } from '../jobs/report.js';
import { runBatchEndJob } from '../jobs/batch-end.js';
import type { BatchEndJobData, NightlyContext, TickJobData, WebhookJobData } from '../jobs/nightly-context.js';
import { runScheduleTick } from '../jobs/schedule-tick.js';
import { runWebhookDelivery } from '../jobs/webhook-delivery.js';
import { NightlyStore } from '../src/nightly/nightly-store.js';
import { NIGHTLY_DEFAULTS, type NightlyOptions } from '../src/nightly/options.js';
import { createWebhookAgent } from '../src/nightly/webhook-send.js';
import { API_IDS } from '../src/juhe/catalogue.js';
import { GiveUp, RetryLater } from '../src/engine/control.js';
import { jobSlots, type ApiJobData, type EngineContext, type IngestJobData, type ReportJobData } from '../src/engine/context.js';
import type { BullmqQueues } from './bullmq-queues.js';
import { onJobError } from './job-errors.js';
import { startHeartbeat } from './heartbeats.js';
import { INGEST_QUEUE, NIGHTLY_QUEUE, REPORT_QUEUE, WEBHOOK_QUEUE, apiQueueName } from './queue-names.js';
import { failedJobSweeper, settleFailedJob } from './unrecorded-failures.js';

export interface WorkerSettings {
  context: Omit<EngineContext, 'scheduler'>;
  queues: BullmqQueues;
  /** A connection factory: each BullMQ Worker needs its own blocking connection. */
  connect: (name: string) => RedisConnection;
  /** Queue names to work on; all by default. */
  only?: readonly string[];
  /** API calls in flight per API queue in this process. */
  concurrency: number;
  logger: Logger;
  /** Webhook timeouts and retries; the defaults when unset. */
  nightly?: NightlyOptions;
  /** Tests only: crash points of a tick (jobs/nightly-context.ts). */
  nightlyFaults?: NightlyContext['faults'];
}

export interface RunningWorkers {
  workers: Worker[];
  /** Resolves once the workers' heartbeat is in Redis: `status` and `submit` see them from then on. */
  ready: Promise<void>;
  /** Stop taking jobs; wait up to `timeoutMs` for jobs in flight, then interrupt them. */
  close(timeoutMs: number): Promise<{ interrupted: boolean }>;
}

/** How often every worker sweeps the failed sets for jobs nobody settled (unrecorded-failures.ts). */
const SWEEP_EVERY_MS = 60_000;

export function startBullmqRunner(settings: WorkerSettings): RunningWorkers {
  const context: EngineContext = {
    ...settings.context,
    scheduler: settings.queues,
    // A batch that a schedule made, or one submitted with a webhook, is handed on when it ends.
    events: {
      async ended(batchId) {
        if (await nightlyStore.run(batchId)) await settings.queues.addBatchEnd(batchId);
      },
    },
  };
  const abort = new AbortController();
  // Every call in flight listens on it: more than the default ten is expected.
  setMaxListeners(0, abort.signal);
  const wanted = new Set(settings.only ?? [INGEST_QUEUE, REPORT_QUEUE, ...API_IDS.map(apiQueueName), NIGHTLY_QUEUE, WEBHOOK_QUEUE]);
  const { stallCheckMs, maxStalls } = context.options;
  const common = {
    prefix: settings.queues.prefix,
    // A dead worker's job comes back after its lock lapses, at the next stalled-job check;
    // past `maxStalls` BullMQ fails it, and the failed handler below records its question.
    lockDuration: stallCheckMs,
    stalledInterval: stallCheckMs,
    maxStalledCount: maxStalls,
    settings: {
      backoffStrategy: (_attempts: number, _type?: string, err?: Error) => (err instanceof RetryLater ? err.delayMs : 5_000),
    },
  };
  const workers: Worker[] = [];
  // BullMQ does not close connections it was given; they are closed with the workers.
  const connections: RedisConnection[] = [];
  const connect = (name: string): RedisConnection => {
    const connection = settings.connect(name);
    connections.push(connection);
    return connection;
  };
  // Its own connection: the tick and outbox locks it renews stop with this process.
  const nightlyStore = new NightlyStore(connect('nightly-store'), settings.queues.prefix);

  /** Each queue this process works, for the sweep of failed jobs. */
  const queuesWorked = new Map<string, Queue>();
  const watch = (worker: Worker, name: string, queue: Queue) => {
    worker.on('error', (err) => settings.logger.error({ err: { message: err.message }, queue: name }, 'worker error'));
    worker.on('failed', (job, err) => {
      // `finishedOn` is set only when BullMQ has failed the job for good (no retry left).
      if (job?.finishedOn) {
        // Settled even when job code gave up itself (then nothing changes): a job failed past
        // its stall limit never ran its code, and its batch would wait for it for ever.
        settleFailedJob(context, name, job, err.message).catch((error: unknown) =>
          settings.logger.error({ err: { message: (error as Error).message }, queue: name, job: job.id }, 'could not record a failed job; the sweep will'),
        );
      }
      // Retries and give-ups are job code's, which logged what mattered.
      if (err instanceof RetryLater || (err instanceof UnrecoverableError && !/stalled/.test(err.message))) return;
      settings.logger.warn({ queue: name, job: job?.id, err: { message: err.message } }, 'job failed');
    });
    workers.push(worker);
    queuesWorked.set(name, queue);
  };

  if (wanted.has(INGEST_QUEUE)) {
    const worker = new Worker<IngestJobData>(
      INGEST_QUEUE,
      async (job) => stepJob(context, job, () => runIngestJob(context, job.data), 'ingest'),
      { ...common, connection: connect('ingest'), concurrency: 2 },
    );
    watch(worker, INGEST_QUEUE, settings.queues.ingest);
  }
  for (const api of API_IDS) {
    const name = apiQueueName(api);
    if (!wanted.has(name)) continue;
    const worker = new Worker<ApiJobData>(name, (job, token) => apiJob(context, settings.queues, job, token, abort.signal), {
      ...common,
      connection: connect(name),
      concurrency: jobSlots(settings.concurrency),
    });
    watch(worker, name, settings.queues.api[api]);
  }
  if (wanted.has(REPORT_QUEUE)) {
    const worker = new Worker<ReportJobData>(
      REPORT_QUEUE,
      async (job) => stepJob(context, job, () => runReportJob(context, job.data), 'report'),
      { ...common, connection: connect('report'), concurrency: 1 },
    );
    watch(worker, REPORT_QUEUE, settings.queues.report);
  }

  const nightlyOptions = settings.nightly ?? NIGHTLY_DEFAULTS;
  const nightly: NightlyContext = {
    batches: context.stores.batches,
    nightly: nightlyStore,
    scheduler: settings.queues,
    dataDir: context.dataDir,
    options: nightlyOptions,
    logger: settings.logger,
    joinKey: () => context.keys.joinKey,
    dispatcher: createWebhookAgent({ timeoutMs: nightlyOptions.webhookTimeoutMs }),
    lockMs: 2 * stallCheckMs,
    ...(settings.nightlyFaults ? { faults: settings.nightlyFaults } : {}),
  };
  /** Queues besides the engine's own (not swept for unrecorded failures: their jobs answer no question). */
  const nightlyQueues: string[] = [];
  const watchNightly = (worker: Worker, name: string) => {
    worker.on('error', (err) => settings.logger.error({ err: { message: err.message }, queue: name }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (err instanceof RetryLater) return;
      settings.logger.warn({ queue: name, job: job?.id, err: { message: err.message } }, 'job failed');
    });
    workers.push(worker);
    nightlyQueues.push(name);
  };
  if (wanted.has(NIGHTLY_QUEUE)) {
    const worker = new Worker<TickJobData | BatchEndJobData>(
      NIGHTLY_QUEUE,
      async (job, token) => {
        try {
          const attempt = { last: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) };
          // The worker's token for the job it runs (one per fetch slot of this worker, and each
          // worker's its own): a second delivery of a job whose worker stalled holds another,
          // and waits for the first to let its lock go or lapse.
          const owner = token ?? `${job.id}.${job.attemptsStarted}`;
          if (job.name === 'tick') return await runScheduleTick(nightly, job.data as TickJobData, job.id!, owner, attempt);
          if (job.name === 'batch-end') return await runBatchEndJob(nightly, job.data as BatchEndJobData, owner, attempt);
          throw new UnrecoverableError(`unknown job ${job.name}`);
        } catch (err) {
          throw await onJobError<Promise<Error>>(err, {
            retry: async (_ms, error) => error,
            holdQueue: async (_api, _ms, error) => error,
            holdJob: async (ms) => {
              await job.moveToDelayed(Date.now() + ms, token);
              return new DelayedError();
            },
            giveUp: async (error) => new UnrecoverableError(error.message),
            unexpected: async (error) => error as Error,
          });
        }
      },
      { ...common, connection: connect(NIGHTLY_QUEUE), concurrency: 2 },
    );
    watchNightly(worker, NIGHTLY_QUEUE);
  }
  if (wanted.has(WEBHOOK_QUEUE)) {
    const worker = new Worker<WebhookJobData>(
      WEBHOOK_QUEUE,
      async (job) => {
        // A one-off batch's secret (submit --webhook) is needed only until its one delivery ends.
        const done = async () => {
          if (job.data.secretOwner.startsWith('batch:')) await nightlyStore.dropSecret(job.data.secretOwner).catch(() => undefined);
        };
        try {
          const delivered = await runWebhookDelivery(nightly, job.data, { attempt: job.attemptsMade + 1, firstAt: job.timestamp });
          await done();
          return delivered;
        } catch (err) {
          if (err instanceof GiveUp) {
            await done();
            throw new UnrecoverableError(err.message);
          }
          throw err;
        }
      },
      { ...common, connection: connect(WEBHOOK_QUEUE), concurrency: 8 },
    );
    watchNightly(worker, WEBHOOK_QUEUE);
  }

  const sweepOnce = failedJobSweeper(context, queuesWorked);
  const sweep = () =>
    sweepOnce().then(
      (settled) => settled > 0 && settings.logger.warn({ settled }, 'recorded failed jobs nobody had settled'),
      (error: unknown) => settings.logger.warn({ err: { message: (error as Error).message } }, 'sweep of failed jobs did not finish; it runs again'),
    );
  void sweep();
  const sweeper = setInterval(() => void sweep(), SWEEP_EVERY_MS);
  sweeper.unref();
  const heartbeat = startHeartbeat(connect('heartbeat'), settings.queues.prefix, { queues: [...queuesWorked.keys(), ...nightlyQueues], concurrency: settings.concurrency }, (error) =>
    settings.logger.warn({ err: { message: error.message } }, 'heartbeat not written; retrying'),
  );

  return {
    workers,
    ready: heartbeat.first,
    async close(timeoutMs) {
      clearInterval(sweeper);
      const graceful = Promise.all(workers.map((worker) => worker.close()));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        // Calls still running are interrupted; their jobs come back (stalled) elsewhere.
        abort.abort(new Error('worker shutting down'));
        await Promise.all(workers.map((worker) => worker.close(true)));
      }
      // Only now: while calls finish, the worker is still alive for status and submit.
      await heartbeat.stop();
      await nightly.dispatcher.close().catch(() => undefined);
      await Promise.all(connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
      return { interrupted: timedOut };
    },
  };
}

async function apiJob(
  context: EngineContext,
  queues: BullmqQueues,
  job: Job<ApiJobData>,
  token: string | undefined,
  signal: AbortSignal,
): Promise<string> {
  try {
    return await runApiCallJob(context, job.data, job.attemptsMade, signal);
  } catch (err) {
    throw await onJobError<Promise<Error>>(err, {
      // Rethrown: BullMQ retries after the delay job code chose (backoffStrategy above).
      retry: async (_ms, error) => error,
      holdQueue: async (api, ms) => {
        await queues.api[api].rateLimit(ms);
        return Worker.RateLimitError();
      },
      holdJob: async (ms) => {
        await job.moveToDelayed(Date.now() + ms, token);
        return new DelayedError();
      },
      giveUp: async (error) => new UnrecoverableError(error.message),
      unexpected: async (error) => error as Error,
    });
  }
}

/** Ingest and report: on their last attempt, the batch fails with the reason in plain words. */
async function stepJob<T>(context: EngineContext, job: Job, run: () => Promise<T>, step: string): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const last = err instanceof GiveUp || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (last) {
      const batchId = (job.data as { batchId: string }).batchId;
      const reason = `${step} failed: ${(err as Error).message}`;
      // Failed even if it was cancelled or blocked before: no result file will come.
      await context.stores.batches.setStatus(batchId, 'failed', reason, { times: { finished: new Date().toISOString() }, evenIfStopped: true });
      await context.events?.ended(batchId);
      throw new UnrecoverableError(reason);
    }
    throw err;
  }
}

