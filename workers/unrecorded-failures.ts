/**
 * Jobs that BullMQ failed for good without their code recording it. A job past its stall
 * limit (its workers died mid-job too often) is failed by BullMQ itself, and its code
 * never runs for that; a job can also fail in a way its code did not catch. Either way
 * its question must still get a result, or its batch never reaches the report: an API
 * job's question is recorded as failed, an ingest or report job fails its batch with the
 * reason in plain words.
 *
 * Two paths, so no crash window is left open: the worker that failed the job settles it
 * at once (its `failed` event), and every worker sweeps the failed sets when it starts
 * (looking back a day) and then every minute (looking back to the sweep before),
 * settling any job whose batch is still waiting for it: the worker that failed it may
 * have died before it could.
 */
import type { Job, Queue } from 'bullmq';
import { settleUnrecordedJob } from '../jobs/api-call.js';
import type { ApiJobData, EngineContext } from '../src/engine/context.js';
import { INGEST_QUEUE, REPORT_QUEUE } from './queue-names.js';

/** Failed jobs read per page; the newest come first. */
const PAGE = 500;
/** The first sweep of a process looks back this far (a worker that died in the window may be restarted much later). */
const FIRST_LOOK_BACK_MS = 24 * 3_600_000;
/** Later sweeps look back to the start of the one before, and this much more. */
const OVERLAP_MS = 60_000;
/** The most failed jobs one sweep reads per queue, so a week of give-ups cannot stall a worker's start. */
const MOST_PER_SWEEP = 50_000;

/** Plain words for BullMQ's failure message. */
export function whyFailed(message: string, context: EngineContext): string {
  if (/stalled more than allowable limit/.test(message)) {
    return `the workers running it stopped (died or hung) more than ${context.options.maxStalls} times (RISKSCREEN_MAX_STALLS); a call it made may have been billed`;
  }
  return `the job failed: ${message}`;
}

/** Settle one job that has failed for good (idempotent: what is recorded stays). */
export async function settleFailedJob(context: EngineContext, queueName: string, job: Pick<Job, 'data' | 'failedReason'>, message: string): Promise<void> {
  const why = whyFailed(message, context);
  if (queueName === INGEST_QUEUE || queueName === REPORT_QUEUE) {
    const batchId = (job.data as { batchId: string }).batchId;
    // A batch that has its result keeps it (a report that failed after writing it, say);
    // any other, cancelled or blocked ones too, will never have one: it failed.
    const view = await context.stores.batches.get(batchId);
    if (!view || view.resultPath !== null) return;
    await context.stores.batches.setStatus(batchId, 'failed', `${queueName} failed: ${why}`, { times: { finished: new Date().toISOString() }, evenIfStopped: true });
    await context.events?.ended(batchId);
    return;
  }
  await settleUnrecordedJob(context, job.data as ApiJobData, why);
}

/**
 * Sweeps the failed sets for jobs whose batch still waits for them. Each call looks back
 * to where the previous one started (the first: a day), page by page, newest first.
 */
export function failedJobSweeper(context: EngineContext, queues: ReadonlyMap<string, Queue>): () => Promise<number> {
  let since = Date.now() - FIRST_LOOK_BACK_MS;
  return async () => {
    const started = Date.now();
    const settled = await sweepFailedJobs(context, queues, since);
    since = started - OVERLAP_MS;
    return settled;
  };
}

/** The API jobs of one batch whose question, or a question of the next stage they carry, has no result. */
async function openApiJobs(batches: EngineContext['stores']['batches'], batchId: string, jobs: readonly Job[]): Promise<Job[]> {
  const asked = jobs.map((job) => {
    const data = job.data as ApiJobData;
    return [data.taskId, ...(data.next ?? []).map((question) => `${question.api}.${question.hash}`)];
  });
  const results = await batches.getResults(batchId, asked.flat());
  let at = 0;
  return jobs.filter((_, i) => {
    const ids = asked[i]!;
    const missing = results.slice(at, at + ids.length).some((result) => result === null);
    at += ids.length;
    return missing;
  });
}

/** Settle the failed jobs since `sinceMs` whose batch has no report yet and no result for them (or for the next stage they carry). Returns how many. */
export async function sweepFailedJobs(context: EngineContext, queues: ReadonlyMap<string, Queue>, sinceMs = 0): Promise<number> {
  const { batches } = context.stores;
  let settled = 0;
  for (const [name, queue] of queues) {
    const byBatch = new Map<string, Job[]>();
    for (let start = 0; start < MOST_PER_SWEEP; start += PAGE) {
      const page = (await queue.getJobs(['failed'], start, start + PAGE - 1)).filter((job): job is Job => Boolean(job?.data));
      for (const job of page) {
        if ((job.finishedOn ?? 0) < sinceMs) continue;
        const batchId = (job.data as { batchId: string }).batchId;
        const list = byBatch.get(batchId) ?? [];
        list.push(job);
        byBatch.set(batchId, list);
      }
      if (page.length < PAGE || (page.at(-1)!.finishedOn ?? 0) < sinceMs) break;
    }
    for (const [batchId, jobs] of byBatch) {
      // Waiting for these jobs: a batch without its report (cancelled and blocked ones too).
      const view = await batches.get(batchId);
      if (!view || view.resultPath !== null || view.status === 'done' || view.status === 'failed') continue;
      // An API job is open while its question has no result, or (staged plan) while one of
      // the questions it carries for its number's next stage has none: settling it then
      // queues or decides them from the result kept.
      const open = name === INGEST_QUEUE || name === REPORT_QUEUE ? jobs : await openApiJobs(batches, batchId, jobs);
      for (const job of open) {
        await settleFailedJob(context, name, job, job.failedReason ?? 'unknown failure');
        settled++;
      }
    }
  }
  return settled;
}
