/**
 * The local runner, the embedded default: the same job code as the BullMQ runner, run
 * in one process with no Redis. One in-memory queue per API with its own concurrency;
 * calls are paced by the rate gate, as on the queue engine, so jobs that make no call
 * (cached answers, skips) never wait for the API's rate. Control-flow errors are mapped
 * by the same function as BullMQ's (job-errors.ts). State is in the stores it is given
 * (the local store in the data dir, for `riskscreen run`).
 */
import { runApiCallJob, settleUnrecordedJob } from '../jobs/api-call.js';
import { runIngestJob } from '../jobs/ingest.js';
import { runReportJob } from '../jobs/report.js';
import type { ApiId } from '../src/juhe/catalogue.js';
import { apiJobId, jobSlots, type ApiJobData, type EngineContext, type JobScheduler } from '../src/engine/context.js';
import { isStoreWriteError } from '../src/engine/store-errors.js';
import { onJobError } from './job-errors.js';

interface QueuedJob {
  id: string;
  data: ApiJobData;
  attemptsMade: number;
}

/** One API's queue: FIFO, `concurrency` at once; held as a whole for a while by a 10011. */
class LocalApiQueue {
  private readonly waiting: QueuedJob[] = [];
  private head = 0;
  private delayed = 0;
  private running = 0;
  private holdUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly runner: LocalRunner,
    readonly api: ApiId,
    private readonly concurrency: number,
  ) {}

  get pending(): number {
    return this.waiting.length - this.head + this.delayed;
  }

  add(job: QueuedJob): void {
    if (this.stopped) return;
    this.waiting.push(job);
    this.pump();
  }

  later(job: QueuedJob, ms: number): void {
    this.delayed++;
    setTimeout(() => {
      this.delayed--;
      this.add(job);
    }, ms).unref?.();
  }

  hold(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, Date.now() + ms);
  }

  /** Drop everything waiting; calls in flight end with the runner's abort signal. */
  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
    this.head = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  pump(): void {
    if (this.timer || this.stopped) return;
    while (this.running < this.concurrency && this.head < this.waiting.length) {
      const now = Date.now();
      if (now < this.holdUntil) return this.wake(this.holdUntil - now);
      const job = this.waiting[this.head++]!;
      if (this.head > 4096 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      this.running++;
      void this.run(job);
    }
  }

  private wake(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(1, ms));
  }

  private async run(job: QueuedJob): Promise<void> {
    try {
      await runApiCallJob(this.runner.context, job.data, job.attemptsMade, this.runner.signal);
      this.runner.jobDone(job.id);
    } catch (err) {
      onJobError(err, {
        retry: (ms) => this.later({ ...job, attemptsMade: job.attemptsMade + 1 }, ms),
        holdQueue: (_api, ms) => {
          this.hold(ms);
          this.waiting.splice(this.head, 0, job);
        },
        holdJob: (ms) => this.later(job, ms),
        giveUp: () => this.runner.jobDone(job.id),
        unexpected: (error) => {
          this.runner.jobDone(job.id);
          // Stopped on purpose (an interrupt): the question stays open for a later run.
          if (this.runner.signal?.aborted) return;
          // The store cannot keep answers (a full disk): no more calls, the run ends with that error.
          if (isStoreWriteError(error)) return this.runner.fail(error);
          this.runner.context.logger.error({ err: error, job: job.id }, 'local API job failed');
          // Its question still gets a result, or the batch would never reach its report.
          void settleUnrecordedJob(this.runner.context, job.data, `the job failed: ${(error as Error).message}`).catch((settleError: unknown) =>
            this.runner.context.logger.error({ err: settleError, job: job.id }, 'could not record a failed job'),
          );
        },
      });
    } finally {
      this.running--;
      this.pump();
    }
  }
}

export interface LocalRunnerSettings {
  /** Everything but the scheduler, which is the runner itself. */
  context: Omit<EngineContext, 'scheduler'>;
  /** Aborted to stop: calls in flight are interrupted. */
  signal?: AbortSignal;
}

export class LocalRunner implements JobScheduler {
  readonly context: EngineContext;
  readonly signal: AbortSignal | undefined;
  private readonly queues = new Map<ApiId, LocalApiQueue>();
  /** Job ids queued and not yet finished: adding one again is a no-op, as in BullMQ. */
  private readonly live = new Set<string>();
  private readonly reports = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, Array<(error?: unknown) => void>>();

  constructor(settings: LocalRunnerSettings) {
    this.context = { ...settings.context, scheduler: this };
    this.signal = settings.signal;
  }

  private queue(api: ApiId): LocalApiQueue {
    let queue = this.queues.get(api);
    if (!queue) {
      queue = new LocalApiQueue(this, api, jobSlots(this.context.options.concurrency));
      this.queues.set(api, queue);
    }
    return queue;
  }

  async addApiJobs(api: ApiId, jobs: readonly ApiJobData[]): Promise<void> {
    const queue = this.queue(api);
    for (const data of jobs) {
      const id = apiJobId(data);
      if (this.live.has(id)) continue;
      this.live.add(id);
      queue.add({ id, data, attemptsMade: 0 });
    }
  }

  async pendingApiJobs(): Promise<number> {
    let total = 0;
    for (const queue of this.queues.values()) total += queue.pending;
    return total;
  }

  async addReportJob(batchId: string): Promise<void> {
    if (this.reports.has(batchId)) return;
    const run = runReportJob(this.context, { batchId }).then(
      () => this.settle(batchId),
      (err: unknown) => this.settle(batchId, err),
    );
    this.reports.set(batchId, run);
  }

  jobDone(id: string): void {
    this.live.delete(id);
  }

  /** Run the ingest of a created batch, then wait until its report is written. */
  async run(batchId: string): Promise<void> {
    const finished = new Promise<void>((resolve, reject) => {
      const list = this.waiters.get(batchId) ?? [];
      list.push((error) => (error ? reject(error) : resolve()));
      this.waiters.set(batchId, list);
    });
    // Ingest queues the report itself when nothing is left to ask; otherwise the last API
    // job does. The run may fail while ingest still reads (the store cannot be written):
    // it ends then, and ingest, left behind, stops at its next store write.
    const ingest = runIngestJob(this.context, { batchId });
    ingest.catch(() => undefined);
    finished.catch(() => undefined);
    await Promise.race([ingest, finished]);
    await finished;
  }

  /** Stop every queue: nothing more is asked (after an interrupt). */
  stop(): void {
    for (const queue of this.queues.values()) queue.stop();
  }

  /** Stop every queue and end every `run` with this error: the work cannot go on (the store cannot be written). */
  fail(error: unknown): void {
    this.stop();
    for (const batchId of [...this.waiters.keys()]) this.settle(batchId, error);
  }

  private settle(batchId: string, error?: unknown): void {
    for (const resolve of this.waiters.get(batchId) ?? []) resolve(error);
    this.waiters.delete(batchId);
  }
}
