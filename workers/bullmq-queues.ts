/**
 * The queue engine's producer side: BullMQ queues under one prefix, one per API plus
 * ingest and report. Job ids are deterministic, so adding a job twice adds it once.
 * Calls per second are kept per API in Redis (`<prefix>:rates`) for the rate gate,
 * which paces the calls themselves in every worker on every machine.
 */
import { Queue, type Job, type JobSchedulerJson, type JobsOptions } from 'bullmq';
import type { RedisConnection } from '../src/shared/redis-url.js';
import { MAX_JOB_ATTEMPTS } from '../jobs/api-call.js';
import { API_IDS, type ApiId } from '../src/juhe/catalogue.js';
import { apiJobId, reportJobId, type ApiJobData, type IngestJobData, type JobScheduler, type ReportJobData } from '../src/engine/context.js';
import type { BatchEndJobData, NightlyScheduler, TickJobData, WebhookJobData } from '../jobs/nightly-context.js';
import type { ScheduleSpec } from '../src/nightly/schedule.js';
import { INGEST_QUEUE, NIGHTLY_QUEUE, REPORT_QUEUE, WEBHOOK_QUEUE, apiQueueName } from './queue-names.js';

/** The custom backoff type: the delay is the one job code chose (RetryLater.delayMs). */
export const BACKOFF_TYPE = 'riskscreen';

const WEEK_SECONDS = 7 * 24 * 3600;

const API_JOB_OPTIONS: JobsOptions = {
  attempts: MAX_JOB_ATTEMPTS,
  backoff: { type: BACKOFF_TYPE },
  // Results live in the batch store; finished jobs would only cost Redis memory.
  removeOnComplete: true,
  removeOnFail: { age: WEEK_SECONDS },
};

const STEP_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  // Kept a week, so adding the same ingest or report job again is a no-op.
  removeOnComplete: { age: WEEK_SECONDS },
  removeOnFail: { age: WEEK_SECONDS },
};

/** Ticks and batch ends: a few quick retries (a file system or Redis hiccup), then the failed set. */
const NIGHTLY_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: WEEK_SECONDS },
  removeOnFail: { age: WEEK_SECONDS },
};

/**
 * Webhooks: job code gives up when the give-up time has passed (the attempts cap is only
 * a backstop); the wait between attempts is job code's (RetryLater, the custom backoff).
 */
const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  attempts: 1_000,
  backoff: { type: BACKOFF_TYPE },
  removeOnComplete: { age: WEEK_SECONDS },
  removeOnFail: { age: WEEK_SECONDS },
};

/** What a schedule's ticks carry: the whole checked schedule. */
type NightlyJobData = TickJobData | BatchEndJobData;

/**
 * The API queues' BullMQ limiter: so high it never holds a job back. Calls are paced by
 * the rate gate (src/engine/rate-window.ts) when they leave, so jobs that make no call (an
 * answer from the cache, a skip of a cancelled or blocked batch) must not wait their
 * turn at the API's rate: a cached re-run of a million rows would take half a day, a
 * blocked batch as long to reach its report. The limiter is there at all because
 * BullMQ's manual rate limit (`queue.rateLimit`, how a 10011 holds the whole API) only
 * takes effect on a queue that has one.
 */
export const NO_START_LIMIT = { max: 1_000_000, duration: 1_000 } as const;

export class BullmqQueues implements JobScheduler, NightlyScheduler {
  readonly ingest: Queue<IngestJobData>;
  readonly report: Queue<ReportJobData>;
  readonly nightly: Queue<NightlyJobData>;
  readonly webhook: Queue<WebhookJobData>;
  readonly api: Record<ApiId, Queue<ApiJobData>>;

  constructor(
    readonly connection: RedisConnection,
    readonly prefix: string,
  ) {
    const opts = { connection, prefix };
    this.ingest = new Queue<IngestJobData>(INGEST_QUEUE, opts);
    this.report = new Queue<ReportJobData>(REPORT_QUEUE, opts);
    this.nightly = new Queue<NightlyJobData>(NIGHTLY_QUEUE, opts);
    this.webhook = new Queue<WebhookJobData>(WEBHOOK_QUEUE, opts);
    this.api = Object.fromEntries(API_IDS.map((api) => [api, new Queue<ApiJobData>(apiQueueName(api), opts)])) as Record<ApiId, Queue<ApiJobData>>;
    for (const queue of this.all()) queue.on('error', () => {});
  }

  all(): Queue[] {
    return [this.ingest, this.report, ...Object.values(this.api), this.nightly, this.webhook] as Queue[];
  }

  /**
   * Adds or replaces a schedule: a BullMQ job scheduler whose every tick is one `tick`
   * job carrying the schedule. Called from one place only (`riskscreen schedule add`):
   * concurrent upserts of one scheduler have raced in BullMQ releases.
   */
  async upsertSchedule(spec: ScheduleSpec): Promise<Job> {
    return this.nightly.upsertJobScheduler(
      spec.name,
      { pattern: spec.cron, tz: spec.tz },
      { name: 'tick', data: { schedule: spec }, opts: { ...NIGHTLY_JOB_OPTIONS, attempts: 3 } },
    );
  }

  async schedule(name: string): Promise<JobSchedulerJson<NightlyJobData> | undefined> {
    return this.nightly.getJobScheduler(name);
  }

  async schedules(): Promise<JobSchedulerJson<NightlyJobData>[]> {
    return this.nightly.getJobSchedulers(0, -1, true);
  }

  async currentSchedule(name: string): Promise<ScheduleSpec | null> {
    const scheduler = await this.nightly.getJobScheduler(name);
    return (scheduler?.template?.data as TickJobData | undefined)?.schedule ?? null;
  }

  async removeSchedule(name: string): Promise<boolean> {
    return this.nightly.removeJobScheduler(name);
  }

  /** A tick now (`riskscreen schedule run`), beside the scheduled ones: one attempt, its failure reported at once (someone is there). */
  async runScheduleNow(spec: ScheduleSpec): Promise<Job> {
    return this.nightly.add('tick', { schedule: spec }, { ...NIGHTLY_JOB_OPTIONS, attempts: 1, jobId: `run.${spec.name}.${Date.now()}` });
  }

  async addFollowUpTick(data: TickJobData, atMs: number): Promise<void> {
    await this.nightly.add('tick', data, { ...NIGHTLY_JOB_OPTIONS, jobId: `follow.${data.schedule.name}.${atMs}`, delay: Math.max(0, atMs - Date.now()) });
  }

  /** A batch ended: its outbox files and webhook (one job per batch, however often told). */
  async addBatchEnd(batchId: string): Promise<void> {
    // Ten attempts, waits doubling from 5 s: an outbox share away for most of an hour is
    // waited for; after the last, the webhook still goes, saying the outbox was not written.
    await this.nightly.add('batch-end', { batchId }, { ...NIGHTLY_JOB_OPTIONS, attempts: 10, jobId: `${batchId}.end` });
  }

  async addWebhook(data: WebhookJobData): Promise<void> {
    await this.webhook.add('deliver', data, { ...WEBHOOK_JOB_OPTIONS, jobId: `wh.${data.deliveryId}` });
  }

  async addIngestJob(batchId: string): Promise<void> {
    await this.ingest.add('ingest', { batchId }, { ...STEP_JOB_OPTIONS, jobId: `${batchId}.ingest` });
  }

  async addApiJobs(api: ApiId, jobs: readonly ApiJobData[]): Promise<void> {
    await this.api[api].addBulk(jobs.map((data) => ({ name: 'ask', data, opts: { ...API_JOB_OPTIONS, jobId: apiJobId(data) } })));
  }

  async pendingApiJobs(): Promise<number> {
    const counts = await Promise.all(
      Object.values(this.api).map((queue) => queue.getJobCounts('waiting', 'delayed', 'prioritized')),
    );
    return counts.reduce((sum, c) => sum + (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0), 0);
  }

  async addReportJob(batchId: string): Promise<void> {
    await this.report.add('report', { batchId }, { ...STEP_JOB_OPTIONS, jobId: reportJobId(batchId) });
  }

  /** Set the shared calls-per-second of these APIs, for every process's rate gate. */
  async setRates(rates: Partial<Record<ApiId, number>>): Promise<void> {
    const pairs = Object.entries(rates).flatMap(([api, rate]) => [api, String(rate)]);
    if (pairs.length > 0) await this.connection.hset(`${this.prefix}:rates`, ...pairs);
  }

  /**
   * Before working: each API queue gets its limiter (NO_START_LIMIT, replacing the
   * per-rate one that earlier versions set), and each API a shared rate where none is
   * set yet (a worker starting does not undo a run's --rate).
   */
  async prepare(rates: Record<ApiId, number>): Promise<void> {
    await Promise.all(API_IDS.map((api) => this.api[api].setGlobalRateLimit(NO_START_LIMIT.max, NO_START_LIMIT.duration)));
    for (const api of API_IDS) await this.connection.hsetnx(`${this.prefix}:rates`, api, String(rates[api]));
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
  }
}
