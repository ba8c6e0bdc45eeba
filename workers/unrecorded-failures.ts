/**
 * Jobs that BullMQ failed for good without their code recording it. A job past its stall
 * limit (its workers died mid-job too often) is failed by BullMQ itself, and its code
 * never runs for that; a job can also fail in a way its code did not catch. Either way
 * its question must still get a result, or its batch never reaches the report: an API
 * job's question is recorded as failed, an ingest or report job fails its batch with the
 * reason in plain words.
 *
 * Two paths, so no crash window is left open: the worker that failed the job settles it
 * at once (its `failed` event), and every worker sweeps the newest failed jobs when it
 * starts and then every minute, settling any whose batch is still waiting for them (the
 * worker that failed it may have died before it could).
 */
import type { Job, Queue } from 'bullmq';
import { settleUnrecordedJob } from '../jobs/api-call.js';
import { FINAL_STATUSES } from '../src/engine/batch.js';
import type { ApiJobData, EngineContext } from '../src/engine/context.js';
import { INGEST_QUEUE, REPORT_QUEUE } from './queue-names.js';

/** Failed jobs looked at per queue and sweep: the newest, which are the ones a crash can have left. */
const SWEEP_LIMIT = 500;

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
    // No change to a batch that already ended (a report that failed after it was written, say).
    await context.stores.batches.setStatus(batchId, 'failed', `${queueName} failed: ${why}`, { times: { finished: new Date().toISOString() } });
    return;
  }
  await settleUnrecordedJob(context, job.data as ApiJobData, why);
}

/** Settle the newest failed jobs whose batch is still running and has no result for them. Returns how many. */
export async function sweepFailedJobs(context: EngineContext, queues: ReadonlyMap<string, Queue>): Promise<number> {
  const { batches } = context.stores;
  let settled = 0;
  for (const [name, queue] of queues) {
    const failed = (await queue.getJobs(['failed'], 0, SWEEP_LIMIT - 1)).filter((job): job is Job => Boolean(job?.data));
    const byBatch = new Map<string, Job[]>();
    for (const job of failed) {
      const batchId = (job.data as { batchId: string }).batchId;
      const list = byBatch.get(batchId) ?? [];
      list.push(job);
      byBatch.set(batchId, list);
    }
    for (const [batchId, jobs] of byBatch) {
      const status = await batches.status(batchId);
      if (status === undefined || FINAL_STATUSES.has(status)) continue;
      const open =
        name === INGEST_QUEUE || name === REPORT_QUEUE
          ? jobs
          : await batches.getResults(batchId, jobs.map((job) => (job.data as ApiJobData).taskId)).then((results) => jobs.filter((_, i) => results[i] === null));
      for (const job of open) {
        await settleFailedJob(context, name, job, job.failedReason ?? 'unknown failure');
        settled++;
      }
    }
  }
  return settled;
}
