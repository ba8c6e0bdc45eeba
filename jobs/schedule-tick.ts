/**
 * A schedule's tick: every complete file in the inbox becomes a batch of its own, and
 * leaves the inbox (to `taken/`, named after its batch; or, refused by the input layer,
 * to `rejected/` with a note saying why). BullMQ's job scheduler makes each tick one
 * job, so one worker runs it however many run; this code makes running it again safe:
 *
 * - one tick of a schedule at a time (a lock; the same job delivered again after its
 *   worker died takes it back at once, another waits);
 * - each file's batch id is recorded (claims) *before* the batch is made, so a tick
 *   that dies between making the batch and moving the file makes the same batch again
 *   (it exists: nothing is made) and moves the file: never a second batch;
 * - queueing the batch's ingest and recording its run are idempotent.
 *
 * Files still being written are left alone; when some are, a follow-up look is
 * queued for when they would have settled, so a drop that ends after the tick still
 * runs the same night (for up to FOLLOW_UP_HOURS).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { newBatchId } from '../src/engine/batch.js';
import { HoldJob } from '../src/engine/control.js';
import { InputChangedError, submitBatch } from '../src/engine/submit.js';
import { errorKindOf } from '../src/shared/error-kind.js';
import { fileIdentity, moveToRejected, moveToTaken, scanInbox, unchangedSince, type InboxFile } from '../src/nightly/inbox.js';
import type { TickRecord } from '../src/nightly/nightly-store.js';
import { outboxStem, runDateOf } from '../src/nightly/outbox.js';
import { rejectedPayload } from '../src/nightly/webhook-event.js';
import { maskNumbersIn } from '../src/report/masking.js';
import type { NightlyContext, TickJobData } from './nightly-context.js';

/** The tick lock lives this long unless renewed (every third of it while the tick runs). */
export const TICK_LOCK_MS = 60_000;
/** How long a tick keeps looking again for files still being written. */
export const FOLLOW_UP_HOURS = 6;
/** Another tick of the schedule holds the lock: look again after this long. */
const BUSY_WAIT_MS = 5_000;

export async function runScheduleTick(ctx: NightlyContext, queued: TickJobData, jobId: string): Promise<TickRecord> {
  const log = ctx.logger.child({ schedule: queued.schedule.name, job: jobId });
  const started = new Date();
  // A scheduled tick carries the schedule as it is; a follow-up look or a `schedule run`
  // was queued earlier, and the schedule may have been replaced or removed since.
  const current = await ctx.scheduler.currentSchedule(queued.schedule.name);
  if (!current) {
    log.info('the schedule was removed: nothing done');
    return emptyRecord(queued.schedule.name, jobId, started);
  }
  const data: TickJobData = { ...queued, schedule: current };
  const spec = current;
  if (!(await ctx.nightly.lock(spec.name, jobId, TICK_LOCK_MS))) {
    throw new HoldJob(BUSY_WAIT_MS, `another tick of schedule ${spec.name} is running`);
  }
  const renew = setInterval(() => void ctx.nightly.lock(spec.name, jobId, TICK_LOCK_MS).catch(() => undefined), TICK_LOCK_MS / 3);
  renew.unref();
  try {
    const record = await tick(ctx, data, jobId, started, log);
    await ctx.nightly.recordTick(record);
    log.info({ taken: record.taken.length, rejected: record.rejected.length, waiting: record.waiting.length }, 'tick done');
    return record;
  } finally {
    clearInterval(renew);
    await ctx.nightly.unlock(spec.name, jobId).catch(() => undefined);
  }
}

async function tick(ctx: NightlyContext, data: TickJobData, jobId: string, started: Date, log: NightlyContext['logger']): Promise<TickRecord> {
  const spec = data.schedule;
  const scan = await scanInbox(spec.inbox, { settleMs: spec.settleSeconds * 1_000, markers: spec.markers });
  const record = emptyRecord(spec.name, jobId, started);
  const waiting = new Set(scan.waiting.map((file) => file.name));

  for (const file of scan.complete) {
    if (!(await unchangedSince(file))) {
      waiting.add(file.name);
      continue;
    }
    const identity = fileIdentity(file);
    const { batchId } = await ctx.nightly.claim(spec.name, identity, newBatchId());
    if (!(await ctx.batches.get(batchId))) {
      try {
        await submitBatch(ctx.batches, ctx.dataDir, {
          id: batchId,
          file: file.path,
          name: file.name,
          input: spec.input,
          profile: spec.profile,
          maxCalls: spec.maxCalls,
          ...(spec.rubric ? { rubric: spec.rubric } : {}),
          submittedBy: `schedule ${spec.name}`,
        });
      } catch (err) {
        if (err instanceof InputChangedError) {
          // Written to while it was read: not complete after all. The next look takes it.
          await ctx.nightly.releaseClaim(spec.name, identity);
          waiting.add(file.name);
          continue;
        }
        if (errorKindOf(err) !== 'input') throw err;
        const problem = (err as Error).message;
        await reject(ctx, data, file, identity, problem);
        record.rejected.push({ file: file.name, problem: maskNumbersIn(problem) });
        log.warn({ file: file.name, problem: maskNumbersIn(problem) }, 'inbox file rejected');
        continue;
      }
    }
    // Recorded before the ingest is queued: the batch cannot end before its run is known.
    const runDate = runDateOf(started.toISOString(), spec.tz);
    const run = {
      batchId,
      schedule: { name: spec.name, file: file.name, stem: outboxStem(file.name), runDate, outbox: spec.outbox, output: spec.output, keep: spec.keep, taken: null },
      webhook: spec.webhook ? { url: spec.webhook, secretOwner: `schedule:${spec.name}` } : null,
    };
    await ctx.nightly.putRun(run);
    await ctx.faults?.afterBatchCreated?.(batchId);
    await ctx.scheduler.addIngestJob(batchId);
    const taken = await moveToTaken(spec.inbox, file, batchId);
    await ctx.nightly.putRun({ ...run, schedule: { ...run.schedule, taken } });
    await ctx.nightly.releaseClaim(spec.name, identity);
    record.taken.push({ file: file.name, batchId });
    log.info({ file: file.name, batch: batchId }, 'inbox file taken');
  }

  record.waiting = [...waiting].sort();
  const firstTick = data.followUpOf ? Date.parse(data.followUpOf) : started.getTime();
  // Settled files that changed between scan and take have no settle time from the scan: look again after one settle period.
  const settlesAt = scan.settlesAt ?? (waiting.size > 0 && !spec.markers ? Date.now() + spec.settleSeconds * 1_000 : null);
  if (settlesAt !== null && record.waiting.length > 0 && settlesAt - firstTick < FOLLOW_UP_HOURS * 3_600_000) {
    const at = Math.max(settlesAt + 1_000, Date.now() + 1_000);
    await ctx.scheduler.addFollowUpTick({ schedule: spec, followUpOf: new Date(firstTick).toISOString() }, at);
    record.followUp = new Date(at).toISOString();
  }
  record.finished = new Date().toISOString();
  return record;
}

/** Out of the inbox with a note saying why, and the schedule's webhook told. */
async function reject(ctx: NightlyContext, data: TickJobData, file: InboxFile, identity: string, problem: string): Promise<void> {
  const spec = data.schedule;
  const sha256 = await digestOf(file.path).catch(() => null);
  const moved = await moveToRejected(spec.inbox, file, problem, new Date());
  await ctx.nightly.releaseClaim(spec.name, identity);
  if (!spec.webhook) return;
  const payload = rejectedPayload({
    schedule: spec.name,
    file: file.name,
    sha256,
    bytes: file.size,
    problem,
    movedTo: moved.path,
    errorFile: moved.errorFile,
    deliveryId: `${spec.name}.${identity}.rejected`,
  });
  await ctx.scheduler.addWebhook({ deliveryId: payload.delivery_id, event: payload.event, url: spec.webhook, secretOwner: `schedule:${spec.name}`, body: JSON.stringify(payload) });
}

async function digestOf(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function emptyRecord(schedule: string, job: string, started: Date): TickRecord {
  return { schedule, job, started: started.toISOString(), finished: started.toISOString(), taken: [], rejected: [], waiting: [], followUp: null };
}
