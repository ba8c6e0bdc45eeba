/**
 * Why a batch is not moving, in plain words: what `status` says under the counts, and
 * when a batch is flagged stuck. Pure: the runner gathers the facts (workers alive,
 * the rate gate, the store's clock) and this decides what they mean.
 */
import { APIS, type ApiId } from '../juhe/catalogue.js';
import { DEFAULT_RUBRIC, SIGNAL_APIS } from '../risk/index.js';
import { planOf, type BatchView } from './batch.js';
import { StagePlanner } from './stages.js';

export interface BatchFacts {
  /** Now on the store's clock (ms), the clock of `progressAt` and the holds. */
  now: number;
  /** Live workers per step: how many work the ingest queue, the report queue, each API's queue. */
  workers: { ingest: number; report: number; api: Partial<Record<ApiId, number>> };
  /** Per API, how long until its next free call slot at the rate gate (ms; absent or 0: free now). */
  gateWaitMs: Partial<Record<ApiId, number>>;
  /** Per API, the shared calls-per-second. */
  rates: Partial<Record<ApiId, number>>;
  /** RISKSCREEN_STUCK_AFTER, in ms. */
  stuckAfterMs: number;
  /** API jobs waiting in the queues (every batch's), and RISKSCREEN_MAX_WAITING: ingest pauses above it. */
  pendingApiJobs: number;
  maxWaiting: number;
  /**
   * A batch of the local engine: worked by the one `riskscreen run` that claimed it, not
   * by workers. `pid` of that run while it is alive, null when no run works it.
   */
  localRun?: { pid: number | null };
}

export interface BatchHealth {
  /** Ms since the batch last moved. */
  idleMs: number;
  /** No progress for longer than RISKSCREEN_STUCK_AFTER (never for a batch that has ended). */
  stuck: boolean;
  /** What it waits for, one plain sentence each; empty when nothing holds it. */
  waits: string[];
}

/** A rate-gate wait shorter than this is the normal pace of calls, not worth a word. */
const GATE_WAIT_WORTH_SAYING_MS = 2_000;

export function diagnoseBatch(view: BatchView, facts: BatchFacts): BatchHealth {
  const idleMs = Math.max(0, facts.now - view.progressAt);
  // A cancelled or blocked batch has not ended until its report is written: its other
  // questions are skipped by the API workers, then the report worker writes the file.
  if (view.status === 'done' || view.status === 'failed' || view.resultPath !== null) return { idleMs, stuck: false, waits: [] };
  const stopped = view.status === 'cancelled' || view.status === 'blocked';
  if (facts.localRun && facts.localRun.pid === null) {
    return {
      idleMs,
      stuck: idleMs >= facts.stuckAfterMs,
      waits: [
        'no riskscreen run is working on it (the run that started it ended first): run the same list with the same options again (riskscreen run; --plan included) to resume it; questions already answered are not paid again',
      ],
    };
  }
  const waits: string[] = [];
  // Words that say why a question waits but name nothing wrong (the staged plan's second
  // stage waiting for line status): they never stand in for a cause of a stuck batch.
  let notCauses = 0;
  const firstStage = firstStageApis(view);
  const firstLeft = view.counts.ingestDone ? firstStage.reduce((sum, api) => sum + view.counts[`tasks.${api}`] - view.counts[`final.${api}`], 0) : null;
  const noWorker = (queue: string, what: string) =>
    `no worker is running for the ${queue} queue (${what}): start one with riskscreen worker, or check why the workers stopped`;

  if (view.status === 'queued' || view.status === 'ingesting') {
    if (facts.workers.ingest === 0) waits.push(noWorker('ingest', 'it reads the list and queues the questions'));
    else if (view.status === 'ingesting' && facts.pendingApiJobs > facts.maxWaiting) {
      waits.push(
        `reading the list waits while the API queues hold ${facts.pendingApiJobs.toLocaleString('en-US')} questions (RISKSCREEN_MAX_WAITING is ${facts.maxWaiting.toLocaleString('en-US')}); it reads on as they are answered`,
      );
    }
  }
  if (view.status === 'reporting' || (view.counts.ingestDone && view.counts.tasks > 0 && view.counts.final >= view.counts.tasks)) {
    if (facts.workers.report === 0) waits.push(noWorker('report', 'it writes the result file'));
  }
  if (view.status === 'screening' || view.status === 'ingesting' || stopped) {
    for (const api of view.options.apis) {
      const left = view.counts.ingestDone ? view.counts[`tasks.${api}`] - view.counts[`final.${api}`] : null;
      if (left === 0) continue;
      const questions = left === null ? 'its questions' : `${left.toLocaleString('en-US')} questions left`;
      const title = APIS[api].titleEn;
      if (view.exhausted[api]) {
        waits.push(`${api} (${title}): the quota is spent, its other questions are skipped (${view.exhausted[api]})`);
        continue;
      }
      if (!facts.workers.api[api]) {
        waits.push(noWorker(`api-${api}`, `${title}, ${questions}${stopped ? ' to mark as not asked' : ''}`));
        continue;
      }
      if (stopped) continue;
      const keyCheck = view.keyChecks[api];
      if (keyCheck !== undefined && keyCheck > facts.now) {
        waits.push(`${api} (${title}): its first call (the key check) is out; the other calls wait for its answer`);
      }
      for (const hold of view.holds[api] ?? []) {
        if (hold.until <= facts.now) continue;
        const what = hold.code === 10011 ? 'the service said too many requests (10011): the whole API waits' : `the service said a number was asked too often (${hold.code}): that number waits`;
        waits.push(`${api} (${title}): ${what} until ${clockTime(hold.until)} (${durationWords(hold.until - facts.now)} from now)`);
      }
      const gate = facts.gateWaitMs[api] ?? 0;
      if (gate >= GATE_WAIT_WORTH_SAYING_MS) {
        const rate = facts.rates[api];
        waits.push(`${api} (${title}): waiting for the rate gate, the next call slot is in ${durationWords(gate)}${rate ? ` (${rate} calls/s shared by every batch)` : ''}`);
      }
      if (firstStage.length > 0 && !firstStage.includes(api) && firstLeft !== 0) {
        // Staged plan: a number's other questions are queued when its line status answer
        // comes, and only if that answer leaves the level open. Not stuck: waiting.
        const some = left === null || firstLeft === null ? 'its questions wait' : `up to ${Math.min(left, firstLeft).toLocaleString('en-US')} of its ${questions} wait`;
        waits.push(`${api} (${title}): ${some} for their numbers' line status answers (staged plan: each is asked only when that answer leaves the level open)`);
        notCauses++;
      }
    }
    if (!stopped && view.options.maxCalls !== null && view.counts.reserved >= view.options.maxCalls) {
      waits.push(`--max-calls ${view.options.maxCalls} is reached: the questions left are skipped`);
    }
  }
  const stuck = idleMs >= facts.stuckAfterMs;
  if (stuck && waits.length === notCauses) {
    waits.push('no cause found: workers are alive and nothing holds the batch; look at the workers\' logs (a worker may be hung)');
  }
  return { idleMs, stuck, waits };
}

/** The APIs a staged batch asks first (line status), whose answers the others wait for; none when nothing is staged. */
function firstStageApis(view: BatchView): readonly ApiId[] {
  if (!new StagePlanner(planOf(view.options), view.options.rubric ?? DEFAULT_RUBRIC).stages) return [];
  return SIGNAL_APIS.line_status.filter((api) => view.options.apis.includes(api));
}

/** `02:13:05` in China time (UTC+8), the clock ops staff read. */
function clockTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(11, 19);
}

/** `12 s`, `3 min`. */
export function durationWords(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}
