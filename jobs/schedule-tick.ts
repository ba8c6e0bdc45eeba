/**
 * A schedule's tick: every complete file in the inbox becomes a batch of its own, and
 * leaves the inbox (to `taken/`, named after its batch; or, refused by the input layer,
 * to `rejected/` with a note saying why). BullMQ's job scheduler makes each tick one
 * job, so one worker runs it however many run; this code makes running it again safe:
 *
 * - one tick of a schedule at a time: a lock held by this delivery of the job (a job
 *   whose worker died, delivered again, waits until the dead one's lock lapses);
 * - each file's batch id is recorded (claims) *before* the batch is made, so a tick
 *   that dies between making the batch and moving the file makes the same batch again
 *   (it exists: nothing is made) and moves the file: never a second batch;
 * - a refused file's place in `rejected/` is recorded before its note is written, so a
 *   tick that dies half-way writes the same note and moves the file there;
 * - queueing the batch's ingest and recording its run are idempotent.
 *
 * Files still being written are left alone; when some are, a follow-up look is queued
 * (when they would have settled; every few minutes for files waiting for a marker), so
 * a drop that ends after the tick still runs the same night, for up to FOLLOW_UP_HOURS.
 * A file that cannot be taken for a reason not its own (the share hiccups) is recorded
 * and left for the next look; the other files go on.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { FINAL_STATUSES, newBatchId } from '../src/engine/batch.js';
import { HoldJob } from '../src/engine/control.js';
import { InputChangedError, submitBatch } from '../src/engine/submit.js';
import { errorKindOf } from '../src/shared/error-kind.js';
import { fileIdentity, moveToRejected, moveToTaken, rejectedPathFor, scanInbox, unchangedSince, type InboxFile } from '../src/nightly/inbox.js';
import type { HeldLock, NightlyRun, TickRecord } from '../src/nightly/nightly-store.js';
import { outboxStem, runDateOf } from '../src/nightly/outbox.js';
import { schedulePlan, type ScheduleSpec } from '../src/nightly/schedule.js';
import { fileFailedPayload, rejectedPayload, tickFailedPayload } from '../src/nightly/webhook-event.js';
import { maskNumbersIn } from '../src/report/masking.js';
import type { JobAttempt, NightlyContext, TickJobData } from './nightly-context.js';

/** How long a tick keeps looking again for files still being written. */
export const FOLLOW_UP_HOURS = 6;
/** How often a tick looks again for files waiting for their marker. */
export const MARKER_POLL_MS = 5 * 60_000;
/** Another tick of the schedule holds the lock: look again after this long. */
const BUSY_WAIT_MS = 2_000;

/**
 * `owner` is the worker's token for this job (BullMQ's): a second delivery of the same
 * job while the first still runs (its worker stalled, not dead) holds another, and waits.
 */
export async function runScheduleTick(ctx: NightlyContext, queued: TickJobData, jobId: string, owner: string, attempt: JobAttempt): Promise<TickRecord> {
  const name = queued.schedule.name;
  const log = ctx.logger.child({ schedule: name, job: jobId });
  const started = new Date();
  // A scheduled tick carries the schedule as it is; a follow-up look or a `schedule run`
  // was queued earlier, and the schedule may have been replaced or removed since.
  const spec = await ctx.scheduler.currentSchedule(name);
  if (!spec) {
    log.info('the schedule was removed: nothing done');
    return emptyRecord(name, jobId, started);
  }
  // Held while the tick runs; a lock found gone (this worker stalled past it, Redis failed
  // over) stops the tick before its next file.
  const held = await ctx.nightly.hold(name, owner, ctx.lockMs);
  if (!held) throw new HoldJob(BUSY_WAIT_MS, `another tick of schedule ${name} is running`);
  try {
    const record = await tick(ctx, { ...queued, schedule: spec }, jobId, started, log, held);
    await ctx.nightly.recordTick(record);
    log.info({ taken: record.taken.length, rejected: record.rejected.length, waiting: record.waiting.length, failed: record.failed.length }, 'tick done');
    return record;
  } catch (err) {
    if (attempt.last) await tickFailed(ctx, spec, jobId, started, err as Error).catch(() => undefined);
    throw err;
  } finally {
    await held.release();
  }
}

async function tick(ctx: NightlyContext, data: TickJobData, jobId: string, started: Date, log: NightlyContext['logger'], held: HeldLock): Promise<TickRecord> {
  const spec = data.schedule;
  const scan = await scanInbox(spec.inbox, { settleMs: spec.settleSeconds * 1_000, markers: spec.markers });
  const record = emptyRecord(spec.name, jobId, started);
  const waiting = new Set(scan.waiting.map((file) => file.name));

  for (const file of scan.complete) {
    if (held.lost) throw new Error(`the lock of schedule ${spec.name}'s tick was lost (this worker stalled past it): another worker goes on`);
    try {
      const outcome = await takeFile(ctx, spec, file, started, log);
      if (outcome.kind === 'waiting') waiting.add(file.name);
      else if (outcome.kind === 'taken') record.taken.push({ file: maskNumbersIn(file.name), batchId: outcome.batchId });
      else if (outcome.kind === 'rejected') record.rejected.push({ file: maskNumbersIn(file.name), problem: maskNumbersIn(outcome.problem) });
    } catch (err) {
      // Not the file's fault (a read error of the share, Redis gone): the other files go
      // on, this one is looked at again at the next look, and the webhook hears of it
      // once per file (nobody reads logs at 2 a.m.).
      const problem = maskNumbersIn((err as Error).message);
      record.failed.push({ file: maskNumbersIn(file.name), problem });
      log.error({ file: maskNumbersIn(file.name), err: { message: problem } }, 'inbox file not taken; it is looked at again');
      if (spec.webhook) {
        const payload = fileFailedPayload(spec.name, file.name, problem, `${spec.name}.${fileIdentity(file)}.failed`);
        await ctx.scheduler
          .addWebhook({ deliveryId: payload.delivery_id, event: payload.event, url: spec.webhook, secretOwner: `schedule:${spec.name}`, body: JSON.stringify(payload) })
          .catch(() => undefined);
      }
    }
  }

  record.waiting = [...waiting].sort().map(maskNumbersIn);
  const followUpAt = nextLook(spec, scan.settlesAt, waiting.size > 0, record.failed.length > 0);
  const firstTick = data.followUpOf ? Date.parse(data.followUpOf) : started.getTime();
  if (followUpAt !== null && followUpAt - firstTick < FOLLOW_UP_HOURS * 3_600_000) {
    await ctx.scheduler.addFollowUpTick({ schedule: spec, followUpOf: new Date(firstTick).toISOString() }, followUpAt);
    record.followUp = new Date(followUpAt).toISOString();
  }
  record.finished = new Date().toISOString();
  return record;
}

type TakeOutcome = { kind: 'taken'; batchId: string } | { kind: 'rejected'; problem: string } | { kind: 'waiting' } | { kind: 'gone' };

async function takeFile(ctx: NightlyContext, spec: ScheduleSpec, file: InboxFile, started: Date, log: NightlyContext['logger']): Promise<TakeOutcome> {
  if (!(await unchangedSince(file))) return { kind: 'waiting' };
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
        plan: schedulePlan(spec),
        ...(spec.rubric ? { rubric: spec.rubric } : {}),
        submittedBy: `schedule ${spec.name}`,
      });
    } catch (err) {
      // Written to while it was read (the copy's digest, or the reader's own check, saw it
      // change), or changed since the look before: not complete after all, whatever the
      // reader made of the half-written bytes. The next look takes it.
      if (err instanceof InputChangedError || (err as { code?: unknown }).code === 'INPUT_CHANGED' || !(await unchangedSince(file))) {
        await ctx.nightly.releaseClaim(spec.name, identity);
        return { kind: 'waiting' };
      }
      if ((err as { code?: unknown }).code === 'INPUT_NOT_FOUND') {
        // Taken away by someone between the scan and the read.
        await ctx.nightly.releaseClaim(spec.name, identity);
        return { kind: 'gone' };
      }
      if (errorKindOf(err) !== 'input') throw err;
      const problem = (err as Error).message;
      await reject(ctx, spec, file, identity, problem);
      log.warn({ file: maskNumbersIn(file.name), problem: maskNumbersIn(problem) }, 'inbox file rejected');
      return { kind: 'rejected', problem };
    }
  }
  const made = await ctx.batches.get(batchId);
  if (made && FINAL_STATUSES.has(made.status) && !(await ctx.nightly.run(batchId))) {
    // Made by a tick that died after queueing it, and ended (and handed on) since: only the file is left to move.
    return moveTaken(ctx, spec, file, identity, batchId, log);
  }
  // Recorded before the ingest is queued: the batch cannot end before its run is known.
  const run: NightlyRun = {
    batchId,
    schedule: {
      name: spec.name,
      file: file.name,
      stem: outboxStem(file.name),
      runDate: runDateOf(started.toISOString(), spec.tz),
      outbox: spec.outbox,
      output: spec.output,
      keep: spec.keep,
      taken: null,
    },
    webhook: spec.webhook ? { url: spec.webhook, secretOwner: `schedule:${spec.name}` } : null,
  };
  await ctx.nightly.putRun(run);
  await ctx.faults?.at?.('batch-created', batchId);
  await ctx.scheduler.addIngestJob(batchId);
  return moveTaken(ctx, spec, file, identity, batchId, log);
}

/**
 * The file out of the inbox, named after its batch. A file replaced under the same name
 * since it was read is not the file the batch screened: it stays, and the next look
 * takes it as the new file it is.
 */
async function moveTaken(ctx: NightlyContext, spec: ScheduleSpec, file: InboxFile, identity: string, batchId: string, log: NightlyContext['logger']): Promise<TakeOutcome> {
  if (await unchangedSince(file)) {
    const taken = await moveToTaken(spec.inbox, file, batchId);
    log.info({ file: maskNumbersIn(file.name), batch: batchId, taken: maskNumbersIn(taken) }, 'inbox file taken');
  } else {
    log.warn({ file: maskNumbersIn(file.name), batch: batchId }, 'inbox file changed after its batch was made: the new file is left for the next look');
  }
  await ctx.faults?.at?.('file-moved', batchId);
  await ctx.nightly.releaseClaim(spec.name, identity);
  return { kind: 'taken', batchId };
}

/**
 * Out of the inbox with a note saying why, and the schedule's webhook told. The place
 * in rejected/ is recorded first, the webhook queued (one job id per file) before the
 * file moves: a tick that dies anywhere in here, run again, finishes the same way.
 */
async function reject(ctx: NightlyContext, spec: ScheduleSpec, file: InboxFile, identity: string, problem: string): Promise<void> {
  const at = new Date();
  const target = await ctx.nightly.rejectTarget(spec.name, identity, await rejectedPathFor(spec.inbox, file.name, at));
  const sha256 = await digestOf(file.path).catch(() => null);
  if (spec.webhook) {
    const payload = rejectedPayload({
      schedule: spec.name,
      file: file.name,
      sha256,
      bytes: file.size,
      problem,
      movedTo: target,
      errorFile: `${target}.error.txt`,
      deliveryId: `${spec.name}.${identity}.rejected`,
    });
    await ctx.scheduler.addWebhook({ deliveryId: payload.delivery_id, event: payload.event, url: spec.webhook, secretOwner: `schedule:${spec.name}`, body: JSON.stringify(payload) });
  }
  await moveToRejected(spec.inbox, file, problem, at, target);
  await ctx.nightly.releaseClaim(spec.name, identity);
}

/** The tick failed for good: recorded for `schedule list`, and the webhook told (nobody watches at 2 a.m.). */
async function tickFailed(ctx: NightlyContext, spec: ScheduleSpec, jobId: string, started: Date, err: Error): Promise<void> {
  const error = maskNumbersIn(err.message);
  await ctx.nightly.recordTick({ ...emptyRecord(spec.name, jobId, started), finished: new Date().toISOString(), error });
  ctx.logger.error({ schedule: spec.name, job: jobId, err: { message: error } }, 'tick failed');
  if (!spec.webhook) return;
  const payload = tickFailedPayload(spec.name, jobId, error);
  await ctx.scheduler.addWebhook({ deliveryId: payload.delivery_id, event: payload.event, url: spec.webhook, secretOwner: `schedule:${spec.name}`, body: JSON.stringify(payload) });
}

/** When to look again, if at all: when waiting files would have settled, every few minutes for markers or after a failure. */
function nextLook(spec: ScheduleSpec, settlesAt: number | null, anyWaiting: boolean, anyFailed: boolean): number | null {
  const now = Date.now();
  const candidates: number[] = [];
  if (anyWaiting) {
    if (spec.markers) candidates.push(now + MARKER_POLL_MS);
    // A settled file that changed between scan and take has no settle time from the scan: one settle period.
    else candidates.push(Math.max((settlesAt ?? now + spec.settleSeconds * 1_000) + 1_000, now + 1_000));
  }
  if (anyFailed) candidates.push(now + MARKER_POLL_MS);
  return candidates.length > 0 ? Math.min(...candidates) : null;
}

async function digestOf(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function emptyRecord(schedule: string, job: string, started: Date): TickRecord {
  return { schedule, job, started: started.toISOString(), finished: started.toISOString(), taken: [], rejected: [], failed: [], waiting: [], followUp: null, error: null };
}
