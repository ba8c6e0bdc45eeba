/**
 * A batch: one uploaded list and everything known about its screening. The record is
 * what `riskscreen status` shows; its counters move as jobs finish.
 */
import { API_IDS, type ApiId } from '../juhe/catalogue.js';
import type { InputFingerprint, InputOptions } from '../input/index.js';
import type { Rubric } from '../risk/index.js';

export const BATCH_STATUSES = ['queued', 'ingesting', 'screening', 'reporting', 'done', 'failed', 'cancelled', 'blocked'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** Statuses a batch never leaves. */
export const FINAL_STATUSES: ReadonlySet<BatchStatus> = new Set(['done', 'failed', 'cancelled', 'blocked']);

export interface BatchInput {
  /** The stored copy every worker reads. */
  path: string;
  /** The file name as uploaded. */
  name: string;
  sha256: string;
  bytes: number;
  /** Of the stored copy: later reads prove they read the same bytes the same way. */
  fingerprint: InputFingerprint;
}

/**
 * How a batch asks its questions. `all`: every API of the profile at once. `staged`: line
 * status first, and the other APIs only when its answer leaves the level open (see
 * src/engine/stages.ts); the level of every row is the same, the bill smaller.
 */
export const PLANS = ['staged', 'all'] as const;
export type Plan = (typeof PLANS)[number];
/** The plan of a new batch when none is chosen. */
export const DEFAULT_PLAN: Plan = 'staged';

/** The plan a user named (any case, spaces around), or null when it names none. */
export function planNamed(text: string): Plan | null {
  const name = text.trim().toLowerCase();
  return (PLANS as readonly string[]).includes(name) ? (name as Plan) : null;
}

/** The plan a stored batch was asked with: batches made before plans asked everything. */
export function planOf(options: Pick<BatchOptions, 'plan'>): Plan {
  return options.plan ?? 'all';
}

export interface BatchOptions {
  profile: string;
  apis: ApiId[];
  input: InputOptions;
  /** Never more than this many billable calls for the batch. */
  maxCalls: number | null;
  /** Calls per second per API for this run (also set on the shared API queues). */
  rates: Partial<Record<ApiId, number>>;
  /** The rubric the report scores with (absent in batches made before scoring: the default). */
  rubric?: Rubric;
  /** How questions are asked (absent in batches made before plans: `all`); read it with `planOf`. */
  plan?: Plan;
}

export interface BatchMeta {
  id: string;
  status: BatchStatus;
  /** Plain words: why the batch is not done, or how it stopped. */
  reason: string | null;
  input: BatchInput;
  options: BatchOptions;
  times: {
    created: string;
    ingestStarted?: string;
    screeningStarted?: string;
    reportingStarted?: string;
    finished?: string;
  };
  /** The result file, once written. */
  resultPath: string | null;
  /** Who queued it from the console (a user's or a token's name); absent for the command line. */
  submittedBy?: string;
}

/** Counters, all starting at zero. `tasks` is set once ingest has queued every question. */
export const COUNTER_NAMES = [
  'rows',
  'valid',
  'invalid',
  'duplicates',
  'unique',
  /** The most fields any row has: the width of the original columns in the result. */
  'fields',
  'tasks',
  'ingestDone',
  'final',
  'answered',
  'noRecord',
  'failed',
  'skipped',
  /** Questions not asked under the staged plan because the level was already decided (the calls staging saved). */
  'decided',
  /** Of `skipped`, those not asked because the --max-calls budget was spent (`reserved` alone cannot say: units come back). */
  'skippedMaxCalls',
  'billed',
  'cacheHits',
  'maybeBilled',
  'reserved',
  /** Rows of the result file by row_status, set by the report. */
  'rowsScreened',
  'rowsPartial',
  'rowsNotScreened',
  'rowsInvalid',
  /** `billed`, `cacheHits` and `maybeBilled` again, per API (for the manifest). */
  ...API_IDS.flatMap((api) => [`billed.${api}`, `cacheHits.${api}`, `maybeBilled.${api}`] as const),
  /** `tasks` and `final` per API: which API a batch is still waiting for (status). */
  ...API_IDS.flatMap((api) => [`tasks.${api}`, `final.${api}`] as const),
  /** `decided` per API: the calls staging saved, by API. */
  ...API_IDS.map((api) => `decided.${api}` as const),
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

/** Adds the per-API copies of `billed`, `cacheHits`, `maybeBilled` and `decided` to a counter update. */
export function withApiCounts(api: ApiId, deltas: Partial<Counters>): Partial<Counters> {
  const out: Partial<Counters> = { ...deltas };
  if (deltas.billed) out[`billed.${api}`] = deltas.billed;
  if (deltas.cacheHits) out[`cacheHits.${api}`] = deltas.cacheHits;
  if (deltas.maybeBilled) out[`maybeBilled.${api}`] = deltas.maybeBilled;
  if (deltas.decided) out[`decided.${api}`] = deltas.decided;
  return out;
}
export type Counters = Record<CounterName, number>;

export interface BatchView extends BatchMeta {
  counts: Counters;
  /** Errors met on the way (every attempt), by Juhe code or failure name. */
  errorsByCode: Record<string, number>;
  /** APIs whose quota ran out during this batch, with the reason. */
  exhausted: Partial<Record<ApiId, string>>;
  /**
   * When the batch last moved (a question answered, rows read, a status changed), in ms
   * since the epoch on the store's clock (Redis's, on the queue engine): `status` flags a
   * batch stuck after RISKSCREEN_STUCK_AFTER without it.
   */
  progressAt: number;
  /** The service's last "slow down" per API and code: 10011 holds the whole API, 224924 one number; until when (store clock, ms). */
  holds: Partial<Record<ApiId, BatchHold[]>>;
  /**
   * APIs whose first call in this batch (the key check, see CallTurn) is out and has not
   * been answered, with when its claim lapses (store clock, ms). The other calls of the
   * API wait for its answer.
   */
  keyChecks: Partial<Record<ApiId, number>>;
}

export interface BatchHold {
  code: number;
  until: number;
}

export function emptyCounters(): Counters {
  return Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as Counters;
}

/** A batch id: sortable by creation, never all digits, no ":". */
export function newBatchId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const random = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');
  return `b${stamp}-${random}`;
}

export function isBatchId(value: string): boolean {
  return /^b\d{8}-\d{6}-[0-9a-z]{4}$/.test(value);
}
