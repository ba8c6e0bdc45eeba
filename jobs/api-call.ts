/**
 * The API job: ask one question (API, number[, date]) at most once for money.
 *
 * In order: skip what must not be asked (batch cancelled or blocked, the API's quota
 * spent, already answered for this batch); answer from the shared cache when it can;
 * hold a short lock so two batches do not pay for the same question at once; take one
 * unit of the --max-calls budget; take a call slot, wait for the API's first call of
 * the batch (the probe, which goes alone so a refused key costs one call) and for the
 * rate gate, looking at the batch again after each wait; call; write the answer to the
 * cache *before* the job is acknowledged, then to the batch. A retry, a re-delivered job after a crash, a
 * re-run or another batch within the cache TTL therefore finds the answer and pays
 * nothing. Failures become control-flow errors chosen by the API layer's policy.
 */
import { APIS, type ApiId } from '../src/juhe/catalogue.js';
import { isServiceCode } from '../src/juhe/error-policy.js';
import { isJuheError, type JuheError } from '../src/juhe/errors.js';
import type { CallOutcome } from '../src/juhe/model.js';
import { withApiCounts, type CounterName } from '../src/engine/batch.js';
import { GiveUp, HoldJob, HoldQueue, RetryLater, retryDelay } from '../src/engine/control.js';
import { apiJobId, type ApiJobData, type EngineContext } from '../src/engine/context.js';
import { callCodeOf } from '../src/engine/error-code.js';
import { openNumber } from '../src/engine/keys.js';
import type { CallTurn } from '../src/engine/store.js';
import { stageValue } from '../src/engine/stages.js';
import { isStoreWriteError } from '../src/engine/store-errors.js';
import { decodeTaskResult, encodeTaskResult, type SkipWhy, type TaskResult } from '../src/engine/task-result.js';

/** What the job did, for logs and tests. */
export type ApiJobOutcome = 'called' | 'cached' | 'already' | 'skipped' | 'failed';

/** How long to come back when another batch is asking the same question right now. */
const LOCKED_RETRY_MS = 2_000;

/**
 * Attempts allowed for a failure that is not the Juhe service's (Redis gone, a bug):
 * then the question is recorded as failed so the batch can still finish.
 */
export const INTERNAL_MAX_ATTEMPTS = 5;
const INTERNAL_RETRY = { maxAttempts: INTERNAL_MAX_ATTEMPTS, baseDelayMs: 2_000, maxDelayMs: 60_000 };

/** Upper bound on a job's attempts in the queue: the largest advice in the error policy. */
export const MAX_JOB_ATTEMPTS = 10;

export async function runApiCallJob(ctx: EngineContext, data: ApiJobData, attemptsMade: number, signal?: AbortSignal): Promise<ApiJobOutcome> {
  try {
    return await askOnce(ctx, data, attemptsMade, signal);
  } catch (err) {
    if (err instanceof RetryLater || err instanceof HoldJob || err instanceof HoldQueue || err instanceof GiveUp) throw err;
    if (signal?.aborted) throw err;
    // A store that cannot keep answers (the local store's disk is full) is not tried
    // again: the runner stops every call at once (an answer it cannot keep is paid twice).
    if (isStoreWriteError(err)) throw err;
    const delay = retryDelay(INTERNAL_RETRY, attemptsMade + 1);
    ctx.logger.error({ err, batch: data.batchId, task: data.taskId, attemptsMade }, 'API job failed unexpectedly');
    if (delay >= 0) throw new RetryLater((err as Error).message, delay, { cause: err });
    const reason = `riskscreen failed: ${(err as Error).message}`;
    await record(ctx, data, encodeTaskResult(data.api, { kind: 'failed', juheCode: null, category: 'unknown', code: 'RISKSCREEN_INTERNAL', reason }), { failed: 1 });
    throw new GiveUp(reason, { cause: err });
  }
}

/**
 * A job that ended without its code recording a result: BullMQ failed it past its stall
 * limit (its code never ran for that), or it failed in a way job code did not catch. Its
 * question is recorded as failed, so the batch still reaches its report, and what the
 * job held (the API's probe, the question's in-flight lock) is let go. Idempotent: a
 * question that already has a result keeps it and nothing is counted twice.
 */
export async function settleUnrecordedJob(ctx: EngineContext, data: ApiJobData, why: string): Promise<void> {
  // A batch removed since has nothing to settle (and a reported one takes no result: the store says so).
  if ((await ctx.stores.batches.status(data.batchId)) === undefined) return;
  const owner = apiJobId(data);
  await Promise.all([ctx.stores.batches.releaseProbe(data.batchId, data.api, owner), ctx.stores.locks.release(data.api, data.hash, owner)]);
  const reason = `riskscreen could not finish this question: ${why}`;
  await record(ctx, data, encodeTaskResult(data.api, { kind: 'failed', juheCode: null, category: 'unknown', code: 'RISKSCREEN_JOB_LOST', reason }), { failed: 1 });
}

async function askOnce(ctx: EngineContext, data: ApiJobData, attemptsMade: number, signal?: AbortSignal): Promise<ApiJobOutcome> {
  const { stores } = ctx;
  const log = ctx.logger.child({ batch: data.batchId, api: data.api, task: data.taskId });

  const status = await stores.batches.status(data.batchId);
  if (status === undefined) throw new GiveUp(`batch ${data.batchId} does not exist`);
  // Delivered again after its batch ended (a Redis that lost its last writes, say): nothing to ask or record.
  if (status === 'done' || status === 'failed') return 'already';
  if (status === 'cancelled') return skip(ctx, data, 'cancelled');
  if (status === 'blocked') return skip(ctx, data, 'account_blocked');
  // Independent reads, sent together: one round trip to the store instead of three.
  const [exhausted, [existing], cached] = await Promise.all([
    stores.batches.isExhausted(data.batchId, data.api),
    stores.batches.getResults(data.batchId, [data.taskId]),
    stores.cache.get(data.api, data.hash),
  ]);
  if (exhausted) return skip(ctx, data, 'quota_exhausted');
  if (existing) {
    // Recorded by an earlier delivery that may have stopped before its next stage was
    // queued (a kill -9 in between): queue it now (idempotent, by job id and result).
    await queueNextStage(ctx, data, existing);
    return 'already';
  }

  if (cached) {
    await record(ctx, data, cached, { cacheHits: 1, ...countsOf(decodeTaskResult(data.api, cached)) });
    ctx.observe?.cacheHit(data.api);
    return 'cached';
  }

  const owner = apiJobId(data);
  if (!(await stores.locks.acquire(data.api, data.hash, owner, ctx.lockTtlMs))) {
    throw new HoldJob(LOCKED_RETRY_MS, 'the same question is being asked for another batch');
  }
  const maxCalls = data.maxCalls ?? null;
  /** A unit of --max-calls taken, and whether the call went out: a unit not spent on a call goes back, whatever ends the job. */
  let reserved = false;
  let sent = false;
  try {
    // Checked again under the lock: the holder before us may have just cached it.
    const cachedNow = await stores.cache.get(data.api, data.hash);
    if (cachedNow) {
      await record(ctx, data, cachedNow, { cacheHits: 1, ...countsOf(decodeTaskResult(data.api, cachedNow)) });
      ctx.observe?.cacheHit(data.api);
      return 'cached';
    }
    if (maxCalls !== null) {
      if (!(await stores.batches.reserveCall(data.batchId, maxCalls))) return skip(ctx, data, 'max_calls');
      reserved = true;
    }
    let outcome: CallOutcome | SkipWhy | 'wait';
    let probed = false;
    try {
      // A call slot first, then the rate gate: waiting for a slot must not make a call late.
      outcome = await ctx.callSlots(data.api, async (): Promise<CallOutcome | SkipWhy | 'wait'> => {
        // The batch may have been blocked, cancelled or run out of quota while this job
        // waited for its slot, or the API's first call (the probe) may still be out:
        // look, so no call leaves after an account-wide answer.
        const turn = await awaitTurn(ctx, data, owner, signal);
        if (turn !== 'go' && turn !== 'probe') return turn;
        const atGate = performance.now();
        const notNow = await passRateGate(ctx, data, owner, signal).catch(async (err: unknown) => {
          // Stopped before the call (an abort at shutdown, a store error): another job may probe.
          if (turn === 'probe') await stores.batches.releaseProbe(data.batchId, data.api, owner);
          throw err;
        });
        if (notNow) return notNow;
        const mobile = openNumber(ctx.keys, data.sealed);
        const started = performance.now();
        // Once per call, with all of its time at the gate (a late wake-up's second slot included), as it leaves.
        ctx.observe?.rateWait(data.api, (started - atGate) / 1000);
        try {
          sent = true;
          const answer = await ctx.client.query({
            api: data.api,
            mobile,
            ...(data.date ? { date: data.date } : {}),
            ...(data.carrier ? { carrier: data.carrier } : {}),
            ...(signal ? { signal } : {}),
          });
          const seconds = (performance.now() - started) / 1000;
          ctx.observe?.called({ api: data.api, form: answer.form, code: String(answer.juheCode), billed: answer.billed, maybeBilled: false, seconds });
          probed = turn === 'probe';
          return answer;
        } catch (err) {
          // Only the API layer's errors are calls that went out; a request it refused to
          // build (a bad number) is not, nor one that could not connect (it never left).
          if (isJuheError(err)) {
            if (err.notSent) ctx.observe?.connectFailed(data.api);
            else {
              const seconds = (performance.now() - started) / 1000;
              ctx.observe?.called({ api: data.api, form: err.form, code: callCodeOf(err), billed: err.billed, maybeBilled: maybeBilledOnly(err), seconds });
            }
            // Before the slot is given back, so a job waiting for it sees the effect.
            await applyAccountWide(ctx, data, err, turn === 'probe' ? owner : null);
          } else if (turn === 'probe') await stores.batches.releaseProbe(data.batchId, data.api, owner);
          throw err;
        }
      });
    } catch (err) {
      if (!isJuheError(err)) throw err;
      if (reserved && !err.billed && !err.maybeBilled) await stores.batches.releaseCall(data.batchId);
      return await onFailure(ctx, data, err, attemptsMade, log);
    }
    if (typeof outcome === 'string') {
      if (outcome === 'wait') throw new HoldJob(PROBE_HOLD_MS, `waiting for the first ${data.api} call of the batch to show the key is accepted`);
      return skip(ctx, data, outcome);
    }
    const result: TaskResult =
      outcome.kind === 'success' ? { kind: 'answered', signals: outcome.signals } : { kind: 'no_record', juheCode: outcome.juheCode };
    const encoded = encodeTaskResult(data.api, result);
    // Both before the job is acknowledged (a re-delivered job finds either), in one round
    // trip; the probe's answer opens the API's other calls only then, so a store error
    // there cannot lose an answer that was paid for.
    await Promise.all([
      stores.cache.set(data.api, data.hash, encoded, ctx.options.cacheTtlSeconds[data.api]),
      record(ctx, data, encoded, { billed: outcome.billed ? 1 : 0, ...countsOf(result) }),
      reserved && !outcome.billed ? stores.batches.releaseCall(data.batchId) : undefined,
      probed ? stores.batches.openCalls(data.batchId, data.api) : undefined,
    ]);
    return 'called';
  } finally {
    await Promise.all([stores.locks.release(data.api, data.hash, owner), reserved && !sent ? stores.batches.releaseCall(data.batchId) : undefined]);
  }
}

/**
 * A job waiting for the probe looks again after 5 ms, then twice as long each time up to
 * 100 ms (most probes answer within one call's latency, so the others leave right after
 * it), and gives its slot back after 5 s.
 */
const PROBE_POLL_MS = { first: 5, most: 100 };
const PROBE_WAIT_MS = 5_000;
/** A job that gave its slot back while the probe is out comes back after this (not a failed attempt). */
const PROBE_HOLD_MS = 1_000;

/**
 * This job's turn to call (see CallTurn): while another job's probe is in flight it
 * waits here, in its call slot, so it leaves as soon as the probe has answered.
 */
async function awaitTurn(ctx: EngineContext, data: ApiJobData, owner: string, signal?: AbortSignal): Promise<Exclude<CallTurn, 'gone'>> {
  const started = performance.now();
  for (let poll = PROBE_POLL_MS.first; ; poll = Math.min(poll * 2, PROBE_POLL_MS.most)) {
    const turn = await ctx.stores.batches.callTurn(data.batchId, data.api, owner, ctx.lockTtlMs);
    if (turn === 'gone') throw new GiveUp(`batch ${data.batchId} does not exist`);
    if (turn !== 'wait' || performance.now() - started >= PROBE_WAIT_MS) return turn;
    await sleep(poll, signal);
  }
}

/**
 * A call that wakes this much after its slot (a stalled event loop, a reply from Redis
 * read late) does not go late, next to the one after it: it gives the slot up and takes
 * a new one. With the pace's margin of 41 ms (rate-window.ts), this leaves 26 ms for
 * the way from here to the service.
 */
const LATE_FOR_SLOT_MS = 15;

/**
 * A call whose slot is this far off or more looks at the batch again, this long before
 * the slot (its round trip then does not make the call late, which would crowd the
 * next second at the service).
 */
const LOOK_AGAIN_BEFORE_SLOT_MS = 20;

/**
 * Wait for this call's slot at the API's pace. A call that waits for its slot looks at
 * the batch again shortly before it (one round trip): the key may have been refused or
 * the quota spent meanwhile, or, for the probe, its claim may have lapsed during a long
 * wait and another job probes now. Returns why not to call, if so. A call that waits
 * less has looked at the batch within those milliseconds (`awaitTurn`).
 */
async function passRateGate(ctx: EngineContext, data: ApiJobData, owner: string, signal?: AbortSignal): Promise<SkipWhy | 'wait' | null> {
  for (;;) {
    const wait = await ctx.stores.gate.reserve(data.api, ctx.options.rates[data.api]);
    const due = performance.now() + wait;
    if (wait >= LOOK_AGAIN_BEFORE_SLOT_MS) {
      await sleep(wait - LOOK_AGAIN_BEFORE_SLOT_MS, signal);
      const turn = await ctx.stores.batches.callTurn(data.batchId, data.api, owner, ctx.lockTtlMs);
      if (turn === 'gone') throw new GiveUp(`batch ${data.batchId} does not exist`);
      if (turn !== 'go' && turn !== 'probe') return turn;
    }
    const left = due - performance.now();
    if (left >= 1) await sleep(left, signal);
    if (performance.now() - due <= LATE_FOR_SLOT_MS) return null;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

async function onFailure(
  ctx: EngineContext,
  data: ApiJobData,
  err: JuheError,
  attemptsMade: number,
  log: EngineContext['logger'],
): Promise<ApiJobOutcome> {
  const { batches } = ctx.stores;
  const code = callCodeOf(err);
  await batches.addCounts(data.batchId, withApiCounts(data.api, { billed: err.billed ? 1 : 0, maybeBilled: maybeBilledOnly(err) ? 1 : 0 }), { [code]: 1 });

  switch (err.category) {
    case 'transient': {
      const delay = err.retry ? retryDelay(err.retry, attemptsMade + 1) : -1;
      if (delay >= 0) {
        log.debug({ err, attemptsMade, delayMs: delay }, 'juhe call failed; will retry');
        throw new RetryLater(err.message, delay, { cause: err });
      }
      log.warn({ err, attemptsMade }, 'juhe call failed; no attempts left');
      await fail(ctx, data, err, `${err.meaning}; gave up after ${attemptsMade + 1} attempts`);
      throw new GiveUp(err.message, { cause: err });
    }
    case 'throttle': {
      log.debug({ err }, 'juhe asked us to slow down');
      const perNumber = (err as { scope?: string }).scope === 'number';
      const ms = err.holdOffMs ?? (perNumber ? 60_000 : 1_000);
      ctx.observe?.hold(data.api, code);
      // Kept so `status` can say what the batch waits for, and until when.
      if (err.juheCode !== null) await batches.noteHold(data.batchId, data.api, err.juheCode, ms);
      if (perNumber) throw new HoldJob(ms, err.message);
      throw new HoldQueue(data.api, ms, err.message);
    }
    case 'quota':
      log.warn({ err }, 'API quota used up: the rest of its questions in this batch are skipped');
      await fail(ctx, data, err, err.meaning);
      throw new GiveUp(err.message, { cause: err });
    case 'account':
      await fail(ctx, data, err, err.meaning);
      throw new GiveUp(err.message, { cause: err });
    case 'bad_request':
    case 'unknown':
    case 'success':
    case 'no_record':
      log.warn({ err }, 'juhe call failed; not retried');
      await fail(ctx, data, err, err.reason ? `${err.meaning}: ${err.reason}` : err.meaning);
      throw new GiveUp(err.message, { cause: err });
  }
}

/**
 * What a failure means beyond its own question: the API's quota is spent (its other
 * questions are skipped), the account is refused (the batch is blocked), or the
 * service wants the whole API slower (no call slot for a while, in any process).
 *
 * When the call was the API's probe (`probeOwner`) and the account was not refused: a
 * code of the API's own (a parameter error, "asked too often", the source timed out)
 * shows the key was accepted, so every call may go; a system code (10011, 10014) or no
 * answer at all (a network error) shows nothing, so another job probes.
 */
async function applyAccountWide(ctx: EngineContext, data: ApiJobData, err: JuheError, probeOwner: string | null): Promise<void> {
  const { batches } = ctx.stores;
  if (probeOwner !== null && err.category !== 'account' && err.category !== 'quota') {
    if (err.juheCode !== null && isServiceCode(err.juheCode)) await batches.openCalls(data.batchId, data.api);
    else await batches.releaseProbe(data.batchId, data.api, probeOwner);
  }
  if (err.category === 'quota') {
    await batches.markExhausted(data.batchId, data.api, `${APIS[data.api].titleEn}: ${err.meaning} (${err.juheCode})`);
  } else if (err.category === 'account') {
    const reason = `Juhe refused the account: ${err.meaning} (code ${err.juheCode ?? '-'} from ${err.endpoint}). No more calls are made for this batch; fix the key or account and submit it again.`;
    if (await batches.setStatus(data.batchId, 'blocked', reason, { times: { finished: new Date().toISOString() } })) {
      ctx.logger.error({ batch: data.batchId, juheCode: err.juheCode }, 'batch blocked by an account error');
    }
  } else if (err.category === 'throttle' && (err as { scope?: string }).scope !== 'number') {
    await ctx.stores.gate.hold(data.api, err.holdOffMs ?? 1_000);
  }
}

/**
 * May have been billed, and is not counted as billed: an answer lost in flight. An answer
 * billed whose result could not be read is billed (the API layer also calls it maybe
 * billed); counted once, as billed, so billed + maybe billed is the most a batch can
 * have cost, in its counts and in the metrics alike.
 */
function maybeBilledOnly(err: JuheError): boolean {
  return err.maybeBilled && !err.billed;
}

async function fail(ctx: EngineContext, data: ApiJobData, err: JuheError, reason: string): Promise<void> {
  const result: TaskResult = { kind: 'failed', juheCode: err.juheCode, category: err.category, code: err.code, reason };
  await record(ctx, data, encodeTaskResult(data.api, result), { failed: 1 });
}

async function skip(ctx: EngineContext, data: ApiJobData, why: SkipWhy): Promise<ApiJobOutcome> {
  await record(ctx, data, encodeTaskResult(data.api, { kind: 'skipped', why }), { skipped: 1, ...(why === 'max_calls' ? { skippedMaxCalls: 1 } : {}) });
  return 'skipped';
}

function countsOf(result: TaskResult): Partial<Record<CounterName, number>> {
  switch (result.kind) {
    case 'answered':
      return { answered: 1 };
    case 'no_record':
      return { noRecord: 1 };
    case 'failed':
      return { failed: 1 };
    case 'skipped':
      return { skipped: 1 };
    case 'decided':
      return { decided: 1 };
  }
}

/**
 * Store the result once; then, under the staged plan, move the number on to its next
 * stage; when it is the batch's last result, queue the one report job. Every way a
 * question ends (answered, cached, failed, skipped, settled) comes through here.
 */
async function record(ctx: EngineContext, data: ApiJobData, encoded: string, deltas: Partial<Record<CounterName, number>>): Promise<void> {
  const outcome = await ctx.stores.batches.recordResult(data.batchId, data.taskId, encoded, { ...withApiCounts(data.api, deltas), [`final.${data.api}`]: 1 });
  if (data.next && data.next.length > 0) {
    // Also when the result was already there: a delivery before this one may have died
    // between its record and this step. Then the next stage follows the result kept,
    // not this delivery's (a skip or a settled failure must not reopen a decided level).
    const [kept] = outcome.isNew ? [encoded] : await ctx.stores.batches.getResults(data.batchId, [data.taskId]);
    if (kept) await queueNextStage(ctx, data, kept);
  }
  if (outcome.isNew && outcome.tasks !== null && outcome.final >= outcome.tasks) {
    await ctx.scheduler.addReportJob(data.batchId);
  }
}

/**
 * Staged plan: the first question of a number has a result. An answer that decides the
 * level (`data.decides`) settles the number's other questions as decided, never asked;
 * any other result (another answer, no record, a failure, a skip) leaves the level open,
 * so they are queued now, each on its API's queue. Idempotent: a decided question
 * already recorded is not counted again, a job already queued is not added again.
 */
async function queueNextStage(ctx: EngineContext, data: ApiJobData, encoded: string): Promise<void> {
  if (!data.next || data.next.length === 0) return;
  const result = decodeTaskResult(data.api, encoded);
  const value = result.kind === 'answered' ? stageValue(data.api, result.signals) : null;
  const decided = value !== null && (data.decides ?? []).includes(value);
  const jobs = new Map<ApiId, ApiJobData[]>();
  const settled: Promise<void>[] = [];
  for (const question of data.next) {
    const next: ApiJobData = {
      batchId: data.batchId,
      api: question.api,
      taskId: `${question.api}.${question.hash}`,
      hash: question.hash,
      sealed: data.sealed,
      date: question.date,
      carrier: data.carrier,
      maxCalls: data.maxCalls,
    };
    if (!decided) jobs.set(question.api, [...(jobs.get(question.api) ?? []), next]);
    else settled.push(record(ctx, next, encodeTaskResult(next.api, { kind: 'decided', by: data.api, value: value! }), { decided: 1 }));
  }
  // Each record is atomic on its own (the last one queues the report): sent together.
  await Promise.all(settled);
  for (const [api, list] of jobs) await ctx.scheduler.addApiJobs(api, list);
}
