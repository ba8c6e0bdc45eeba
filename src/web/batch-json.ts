/**
 * What the console's API answers about a batch (docs/http-api.md): a summary for the
 * list and the detail for the batch page and its live events. Pure: the routes read
 * the batch, its health and its manifest; this shapes them. No phone number is in any
 * of it (a batch record holds none).
 */
import { planOf, type BatchView } from '../engine/batch.js';
import type { BatchHealth } from '../engine/batch-health.js';
import { CODE_POLICIES, TRANSPORT_FAILURES } from '../juhe/error-policy.js';
import type { ResultManifest } from '../report/manifest.js';

export interface BatchSummaryJson {
  id: string;
  name: string;
  submittedBy: string | null;
  created: string;
  status: string;
  reason: string | null;
  rows: number;
  profile: string;
  progress: { done: number; total: number | null; percent: number | null; rowsDone: number | null };
  levels: ResultManifest['rows']['by_level'] | null;
}

export function batchSummary(view: BatchView, manifest: ResultManifest | null): BatchSummaryJson {
  const c = view.counts;
  const total = c.ingestDone ? c.tasks : null;
  const share = total === null ? null : total === 0 ? 1 : c.final / total;
  return {
    id: view.id,
    name: view.input.name,
    submittedBy: view.submittedBy ?? null,
    created: view.times.created,
    status: view.status,
    reason: view.reason,
    rows: c.rows,
    profile: view.options.profile,
    progress: {
      done: c.final,
      total,
      percent: share === null ? null : Math.floor(share * 100),
      rowsDone: share === null ? null : Math.round(c.rows * share),
    },
    levels: manifest ? manifest.rows.by_level : null,
  };
}

/** ETA and calls/s are said only past this much work: before it they are noise. */
const RATE_MIN_QUESTIONS = 20;
const RATE_MIN_SECONDS = 5;

export function batchDetail(view: BatchView, health: BatchHealth, manifest: ResultManifest | null, nowMs: number) {
  const c = view.counts;
  const startedAt = Date.parse(view.times.screeningStarted ?? view.times.ingestStarted ?? view.times.created);
  const endedAt = view.times.finished ? Date.parse(view.times.finished) : nowMs;
  const seconds = Math.max(0, (endedAt - startedAt) / 1000);
  const measurable = c.final >= RATE_MIN_QUESTIONS && seconds >= RATE_MIN_SECONDS;
  const left = c.ingestDone ? c.tasks - c.final : null;
  const running = view.resultPath === null && view.status !== 'failed';
  return {
    ...batchSummary(view, manifest),
    options: {
      profile: view.options.profile,
      apis: view.options.apis,
      maxCalls: view.options.maxCalls,
      rubric: view.options.rubric?.name ?? null,
      plan: planOf(view.options),
    },
    input: { name: view.input.name, bytes: view.input.bytes, sha256: view.input.sha256 },
    counts: {
      rows: c.rows,
      valid: c.valid,
      invalid: c.invalid,
      duplicates: c.duplicates,
      unique: c.unique,
      tasks: c.tasks,
      final: c.final,
      answered: c.answered,
      noRecord: c.noRecord,
      failed: c.failed,
      skipped: c.skipped,
      billed: c.billed,
      cacheHits: c.cacheHits,
      maybeBilled: c.maybeBilled,
      decided: c.decided,
      ingestDone: c.ingestDone,
    },
    /** The batch's APIs, each with its billed calls, cache hits and the calls staging saved (questions the line status answer made needless). */
    calls: view.options.apis.map((api) => ({ api, billed: c[`billed.${api}`], cacheHits: c[`cacheHits.${api}`], saved: c[`decided.${api}`] })),
    rate: {
      callsPerSecond: measurable ? round1(c.billed / seconds) : null,
      questionsPerSecond: measurable ? round1(c.final / seconds) : null,
      etaSeconds: measurable && running && left !== null && left > 0 ? Math.round(left / (c.final / seconds)) : null,
    },
    errors: errorsOf(view.errorsByCode),
    exhausted: view.exhausted,
    waits: health.waits,
    stuck: health.stuck,
    times: view.times,
    result: manifest ? { rows: manifest.rows, changes: manifest.changes ?? null } : null,
  };
}
export type BatchDetailJson = ReturnType<typeof batchDetail>;

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Errors by code, most frequent first, each with its meaning in English and in the vendor's Chinese. */
export function errorsOf(byCode: Record<string, number>): Array<{ code: string; count: number; meaning: string; meaningZh: string | null }> {
  return Object.entries(byCode)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => {
      const policy = /^\d+$/.test(code) ? CODE_POLICIES.get(Number(code)) : undefined;
      const transport = (TRANSPORT_FAILURES as Record<string, { meaning: string }>)[code];
      return {
        code,
        count,
        meaning: policy?.meaning ?? transport?.meaning ?? 'an error riskscreen does not know by this name',
        meaningZh: policy?.reasonZh ?? null,
      };
    });
}
