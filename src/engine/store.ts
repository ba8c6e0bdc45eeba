/**
 * Where the engine keeps state: batch records and results, the shared result cache,
 * and short locks on questions in flight. Two implementations: in memory for the local
 * engine, Redis for the queue engine. Job code sees only these interfaces.
 */
import { API_IDS, type ApiId } from '../juhe/catalogue.js';
import type { BatchMeta, BatchStatus, BatchView, CounterName } from './batch.js';
import type { SkipWhy } from './task-result.js';

/** What may change along with a status: more times, the result file. */
export interface StatusPatch {
  times?: Partial<BatchMeta['times']>;
  resultPath?: string | null;
  /**
   * Move a cancelled or blocked batch too (only `done` and `failed` stay): a batch whose
   * ingest or report failed for good will never have a result, whatever stopped it before.
   */
  evenIfStopped?: boolean;
}

/**
 * Whether a call may leave now. The first call of each API in a batch goes alone (the
 * probe): an account-wide answer to it (a refused key, a spent quota) stops the batch
 * before any other call of that API leaves.
 *
 * - `go`: the probe has answered; call.
 * - `probe`: this job is the probe (claimed for `claimMs`); call, then `openCalls` or `releaseProbe`.
 * - `wait`: another job's probe is in flight; ask again shortly.
 * - a skip reason: the batch is cancelled or blocked, or the API's quota is spent: do not call.
 * - `gone`: the batch does not exist.
 */
export type CallTurn = 'go' | 'probe' | 'wait' | 'gone' | Exclude<SkipWhy, 'max_calls'>;

export interface RecordOutcome {
  /** False when this question already had a result (a re-delivered job): nothing was counted. */
  isNew: boolean;
  final: number;
  /** Null until ingest has queued every question. */
  tasks: number | null;
}

/**
 * Billed and maybe-billed calls per API, summed over every batch the store has kept
 * since it began keeping the totals: each added in the same atomic step that adds it to
 * its batch's own `billed.<api>` / `maybeBilled.<api>` counts, so the totals are exactly
 * as precise as those (a re-delivered job that records nothing new adds nothing) and stay
 * when batches are removed. Every API is present (0 when none was billed).
 */
export type BilledTotals = Record<ApiId, { billed: number; maybeBilled: number }>;

export interface BatchStore {
  create(meta: BatchMeta): Promise<void>;
  get(id: string): Promise<BatchView | undefined>;
  /** Only the status, cheaply (every API job checks it). */
  status(id: string): Promise<BatchStatus | undefined>;
  /**
   * Move to `status` unless the batch is already in a final status (a cancelled or
   * blocked batch stays so, unless `patch.evenIfStopped`). Returns whether it moved.
   */
  setStatus(id: string, status: BatchStatus, reason?: string | null, patch?: StatusPatch): Promise<boolean>;
  addCounts(id: string, deltas: Partial<Record<CounterName, number>>, errors?: Record<string, number>): Promise<void>;
  /**
   * Store the result of one question once: the first call counts it (and its deltas),
   * later ones for the same task change nothing, and neither does a result for a batch
   * whose report is written (a job delivered again late). Throws for an unknown batch.
   */
  recordResult(id: string, taskId: string, encoded: string, deltas: Partial<Record<CounterName, number>>): Promise<RecordOutcome>;
  /** Set counters to these values (progress of a re-runnable step: never added twice). */
  setCounts(id: string, values: Partial<Record<CounterName, number>>): Promise<void>;
  /** Ingest has queued every question: `tasks` of them; `counts` are the input's (set, not added). */
  finishIngest(id: string, tasks: number, counts: Partial<Record<CounterName, number>>): Promise<RecordOutcome>;
  getResults(id: string, taskIds: readonly string[]): Promise<(string | null)[]>;
  markExhausted(id: string, api: ApiId, reason: string): Promise<void>;
  isExhausted(id: string, api: ApiId): Promise<string | null>;
  /** Whether this job may call `api` now (see CallTurn); claims the probe when none has answered. One round trip. */
  callTurn(id: string, api: ApiId, owner: string, claimMs: number): Promise<CallTurn>;
  /** The probe had an answer that did not refuse the account: every call of `api` may go. */
  openCalls(id: string, api: ApiId): Promise<void>;
  /** The probe got no answer about the account (a network error, a throttle): another job may probe. */
  releaseProbe(id: string, api: ApiId, owner: string): Promise<void>;
  /** The service said slow down (10011 for the API, 224924 for a number) for `ms`: kept so `status` can say until when. */
  noteHold(id: string, api: ApiId, code: number, ms: number): Promise<void>;
  /** Now on the store's clock (ms): what `progressAt` and holds are measured against. */
  now(): Promise<number>;
  /** Take one unit of the --max-calls budget; false when it is spent. */
  reserveCall(id: string, maxCalls: number): Promise<boolean>;
  releaseCall(id: string): Promise<void>;
  /** Remove everything kept for a batch but its record (after the report). */
  dropResults(id: string): Promise<void>;
  /** The running totals of billed and maybe-billed calls per API (BilledTotals). */
  billedTotals(): Promise<BilledTotals>;
}

/** The per-API counter a delta adds to the running totals, if any: `billed.<api>` or `maybeBilled.<api>`. */
export function billedTotalOf(name: string): { api: ApiId; field: 'billed' | 'maybeBilled' } | null {
  const match = /^(billed|maybeBilled)\.(.+)$/.exec(name);
  return match ? { api: match[2] as ApiId, field: match[1] as 'billed' | 'maybeBilled' } : null;
}

/** Every API at 0. */
export function emptyBilledTotals(): BilledTotals {
  return Object.fromEntries(API_IDS.map((api) => [api, { billed: 0, maybeBilled: 0 }])) as BilledTotals;
}

export interface ResultCache {
  get(api: ApiId, hash: string): Promise<string | null>;
  set(api: ApiId, hash: string, encoded: string, ttlSeconds: number): Promise<void>;
  /** How many of these hashes have an answer (for an estimate: one round trip for many). */
  countCached(api: ApiId, hashes: readonly string[]): Promise<number>;
  /**
   * The answer of each hash, in order (null where none is kept or it expired): for an
   * estimate that needs the values (a known line status), one round trip (one statement
   * per chunk) for many.
   */
  getMany(api: ApiId, hashes: readonly string[]): Promise<(string | null)[]>;
}

/**
 * A short lock so two batches do not pay for the same question at the same moment. The
 * owner is the job: the same job delivered again (its worker died mid-call) takes its
 * own lock back at once instead of waiting out the TTL.
 */
export interface InflightLocks {
  acquire(api: ApiId, hash: string, owner: string, ttlMs: number): Promise<boolean>;
  release(api: ApiId, hash: string, owner: string): Promise<void>;
}

/**
 * The last gate before a call leaves: calls of an API evenly paced at the rate, across
 * every process (src/engine/rate-window.ts). Jobs start without waiting for the rate
 * (most make no call: cached answers, skips); this paces the calls themselves.
 */
export interface RateGate {
  /**
   * Reserve the next free slot; resolves with the milliseconds from now until it, below
   * zero when the answer came so late that the slot has passed.
   */
  reserve(api: ApiId, rate: number): Promise<number>;
  /** No slot before `ms` from now (the service said slow down), for every process. */
  hold(api: ApiId, ms: number): Promise<void>;
  /** How long until the API's next free slot, in ms (0 when one is free now): for `status`. */
  waitFor(api: ApiId): Promise<number>;
}

export interface EngineStores {
  batches: BatchStore;
  cache: ResultCache;
  locks: InflightLocks;
  gate: RateGate;
}
