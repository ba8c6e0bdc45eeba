/**
 * The ingest job: read the batch's stored list (input layer), decide which questions
 * each unique number asks, and queue one job per question, never more than
 * `maxWaiting` API jobs waiting at once so Redis memory stays bounded for a
 * million-row list. Re-runnable after a crash: job ids are deterministic (a job
 * already queued is not added twice; one already answered finds its result), and
 * counts are set, not added.
 */
import { readPhoneList } from '../src/input/index.js';
import type { ApiId } from '../src/juhe/catalogue.js';
import { FINAL_STATUSES, planOf } from '../src/engine/batch.js';
import { GiveUp } from '../src/engine/control.js';
import type { ApiJobData, EngineContext, IngestJobData } from '../src/engine/context.js';
import { sealNumber } from '../src/engine/keys.js';
import { planRecord, ResaleQuestionsSeen } from '../src/engine/plan.js';
import { resolveProfile } from '../src/engine/profiles.js';
import { StagePlanner } from '../src/engine/stages.js';
import { DEFAULT_RUBRIC } from '../src/risk/index.js';

/** Jobs handed to the queue in one call. */
const FLUSH_AT = 500;
/** How often ingest looks at the queue depth and the batch status while it waits. */
const BACKPRESSURE_POLL_MS = 200;
/** How often progress (rows read) is written. */
const PROGRESS_EVERY_ROWS = 10_000;

export async function runIngestJob(ctx: EngineContext, data: IngestJobData): Promise<{ tasks: number }> {
  const { batches } = ctx.stores;
  const batch = await batches.get(data.batchId);
  if (!batch) throw new GiveUp(`batch ${data.batchId} does not exist`);
  if (FINAL_STATUSES.has(batch.status)) {
    // Cancelled (or blocked) before ingest ran: nothing is asked, the report still runs.
    if (!batch.counts.ingestDone) {
      await batches.finishIngest(data.batchId, 0, {});
      await ctx.scheduler.addReportJob(data.batchId);
    } else if (batch.resultPath === null) {
      // Stopped after ingest and never reported: a local run resumed after it was cancelled
      // while no run worked it (its queued questions died with that run). The report marks
      // what was not answered as not asked.
      await ctx.scheduler.addReportJob(data.batchId);
    }
    return { tasks: batch.counts.tasks };
  }
  const log = ctx.logger.child({ batch: data.batchId, job: 'ingest' });
  await batches.setStatus(data.batchId, 'ingesting', null, { times: { ingestStarted: new Date().toISOString() } });

  const profile = resolveProfile(batch.options.profile);
  const reader = await readPhoneList(batch.input.path, batch.options.input, { expect: batch.input.fingerprint });
  log.info({ layout: { encoding: reader.layout.encoding, phoneColumn: reader.layout.phoneColumn } }, 'ingest started');
  const pending = new Map<ApiId, ApiJobData[]>();
  let pendingCount = 0;
  let tasks = 0;
  const tasksByApi = new Map<ApiId, number>();
  let rowsRead = 0;
  let fields = reader.layout.header?.length ?? 0;
  let stopped: string | null = null;
  const resaleSeen = new ResaleQuestionsSeen();
  // Staged plan: a number's first question carries the others; they are counted in
  // `tasks` here all the same, so the batch ends when every one has a result.
  const stages = new StagePlanner(planOf(batch.options), batch.options.rubric ?? DEFAULT_RUBRIC);
  // A waiting first-stage job turns into up to one job per other API of the profile when
  // it is answered: ingest waits at a share of maxWaiting then, so the jobs waiting stay
  // within maxWaiting once every carried question is queued too.
  const waitLimit = stages.stages ? Math.max(FLUSH_AT, Math.floor(ctx.options.maxWaiting / Math.max(1, profile.apis.length))) : ctx.options.maxWaiting;

  const flush = async () => {
    for (const [api, jobs] of pending) if (jobs.length > 0) await ctx.scheduler.addApiJobs(api, jobs);
    pending.clear();
    pendingCount = 0;
    // Backpressure: wait while the queues hold more than maxWaiting jobs.
    while ((await ctx.scheduler.pendingApiJobs()) > waitLimit) {
      const status = await batches.status(data.batchId);
      if (status && FINAL_STATUSES.has(status)) return;
      await new Promise((resolve) => setTimeout(resolve, BACKPRESSURE_POLL_MS));
    }
  };

  try {
    for await (const record of reader) {
      rowsRead++;
      if (record.fields.length > fields) fields = record.fields.length;
      if (rowsRead % PROGRESS_EVERY_ROWS === 0) {
        await batches.setCounts(data.batchId, { rows: rowsRead });
        const status = await batches.status(data.batchId);
        if (status && FINAL_STATUSES.has(status)) {
          stopped = status;
          break;
        }
      }
      const mobile = record.mobile;
      if (!mobile) continue;
      // A number's questions are asked once, on its first row; the resale question
      // once per (number, date), since duplicate rows may carry other dates.
      const asked = planRecord(record, profile, ctx.keys).filter((task) =>
        task.api === 'resale' ? resaleSeen.add(mobile, task.date!) : record.status === 'valid',
      );
      if (asked.length === 0) continue;
      for (const task of asked) {
        tasks++;
        tasksByApi.set(task.api, (tasksByApi.get(task.api) ?? 0) + 1);
      }
      const sealed = sealNumber(ctx.keys, mobile);
      const staged = stages.split(asked);
      for (const task of staged.now) {
        let list = pending.get(task.api);
        if (!list) pending.set(task.api, (list = []));
        list.push({
          batchId: data.batchId,
          api: task.api,
          taskId: task.taskId,
          hash: task.hash,
          sealed,
          date: task.date,
          carrier: record.carrier,
          maxCalls: batch.options.maxCalls,
          ...(staged.first?.task === task ? { next: staged.first.next, decides: staged.first.decides } : {}),
        });
        if (++pendingCount >= FLUSH_AT) await flush();
      }
    }
    await flush();
  } finally {
    await reader.close();
  }

  const counts = stopped ? null : reader.counts();
  const outcome = await batches.finishIngest(data.batchId, tasks, {
    rows: counts?.rows ?? rowsRead,
    fields,
    ...Object.fromEntries([...tasksByApi].map(([api, n]) => [`tasks.${api}`, n])),
    ...(counts ? { valid: counts.valid, invalid: counts.invalid, duplicates: counts.duplicates, unique: counts.unique } : {}),
  });
  await batches.setStatus(data.batchId, 'screening', null, { times: { screeningStarted: new Date().toISOString() } });
  log.info({ tasks, rows: counts?.rows ?? rowsRead, stopped }, 'ingest done');
  if (outcome.final >= tasks) await ctx.scheduler.addReportJob(data.batchId);
  return { tasks };
}
