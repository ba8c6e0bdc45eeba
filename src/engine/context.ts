/** What job code is given to work with; the engines build it. */
import type { Logger } from 'pino';
import type { EngineOptions } from './options.js';
import type { ApiId } from '../juhe/catalogue.js';
import type { QueryRequest } from '../juhe/client.js';
import type { CallOutcome } from '../juhe/model.js';
import type { Carrier } from '../phone/carrier.js';
import type { EngineKeys } from './keys.js';
import type { EngineObserver } from './observer.js';
import type { NextQuestion } from './stages.js';
import type { EngineStores } from './store.js';

/** The one thing job code needs of the Juhe client. */
export interface Querier {
  query(request: QueryRequest): Promise<CallOutcome>;
}

export interface IngestJobData {
  batchId: string;
}

/** One question: the number travels sealed; `hash` keys cache, locks and results. */
export interface ApiJobData {
  batchId: string;
  api: ApiId;
  /** `<api>.<hash>`: the result's field in the batch store, and the tail of the job id. */
  taskId: string;
  hash: string;
  sealed: string;
  date: string | null;
  carrier: Carrier | null;
  /** The batch's --max-calls, carried so a job need not read the batch record. */
  maxCalls: number | null;
  /**
   * Staged plan, on a number's first question: its other questions, queued when this
   * one has a result, or recorded as decided when the answer is one of `decides`
   * (src/engine/stages.ts).
   */
  next?: NextQuestion[];
  /** With `next`: the values of this API's answer that fix the level by themselves. */
  decides?: string[];
}

export interface ReportJobData {
  batchId: string;
}

/** How job code adds work; idempotent by job id. */
export interface JobScheduler {
  addApiJobs(api: ApiId, jobs: readonly ApiJobData[]): Promise<void>;
  /** API jobs waiting or delayed, over every API queue (ingest keeps this bounded). */
  pendingApiJobs(): Promise<number>;
  addReportJob(batchId: string): Promise<void>;
}

/**
 * Told when a batch ends (done, failed, cancelled or blocked, its record final): the
 * runner may hand the batch on (a nightly run's outbox and webhook). Called at least
 * once per end, so what it starts must be idempotent.
 */
export interface BatchEvents {
  ended(batchId: string): Promise<void>;
}

/** Runs `call` when one of the API's call slots is free (calls in flight per API per process). */
export type CallSlots = <T>(api: ApiId, call: () => Promise<T>) => Promise<T>;

export interface EngineContext {
  stores: EngineStores;
  client: Querier;
  /**
   * Call slots, `options.concurrency` per API. Job slots are a little more (see
   * JOB_SLOTS_PER_CALL_SLOT), so the store round trips of one job overlap another's call.
   */
  callSlots: CallSlots;
  keys: EngineKeys;
  options: EngineOptions;
  scheduler: JobScheduler;
  logger: Logger;
  /** How long a question's in-flight lock lives: past the client's whole-call timeout. */
  lockTtlMs: number;
  /** Where batch files live (inputs, results). */
  dataDir: string;
  /** Told when a batch ends; unset: nobody listens (the local engine). */
  events?: BatchEvents;
  /** Told of calls, rate-gate waits, holds, cache hits and rows reported (metrics); unset: nobody watches. */
  observe?: EngineObserver;
}

/** Jobs run at once per call slot: the extra ones do their store work while calls run. */
export const JOB_SLOTS_PER_CALL_SLOT = 1.25;

export function jobSlots(callSlots: number): number {
  return Math.ceil(callSlots * JOB_SLOTS_PER_CALL_SLOT);
}

export function apiJobId(data: Pick<ApiJobData, 'batchId' | 'taskId'>): string {
  return `${data.batchId}.${data.taskId}`;
}

export function reportJobId(batchId: string): string {
  return `${batchId}.report`;
}
