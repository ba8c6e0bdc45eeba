/**
 * What a batch would cost, before anything is spent: questions per API (the billable
 * upper bound: only answered calls are billed), how many the shared result cache already
 * holds, and what each plan (src/engine/batch.ts PLANS) would bill. The upper bound is
 * the same for both plans: under `staged`, at worst no line status decides anything and
 * every question is asked. Where a number's line status is known (an answer in the
 * cache, or given by the caller from an earlier result of the same list) and it decides
 * the level under the rubric, its questions that wait on it (StagePlanner.split) are
 * not asked under `staged`: they are counted as saved, by API. Questions the cache
 * answers cost nothing under either plan and are never counted as saved.
 */
import { API_IDS, APIS, type ApiId } from '../juhe/catalogue.js';
import { readPhoneList, type InputCounts, type InputOptions } from '../input/index.js';
import { DEFAULT_RUBRIC, SIGNAL_APIS, type Rubric } from '../risk/index.js';
import { numberHash, type EngineKeys } from './keys.js';
import { ProfileApis, ResaleQuestionsByRow, type PlannedTask } from './plan.js';
import { resolveProfile } from './profiles.js';
import { StagePlanner, stageValue, type NextQuestion } from './stages.js';
import type { ResultCache } from './store.js';
import { decodeTaskResult } from './task-result.js';

/** Hashes looked up in the cache at once. */
const LOOKUP_CHUNK = 500;

/** A line status known besides the cache (an earlier result of the same list), by number: the value, or null when not known. */
export type LineStatusLookup = (mobile: string) => string | null;

export interface EstimateOptions {
  /** The rubric whose hard rules say which line statuses decide a level (default: the shipped one). */
  rubric?: Rubric;
  /** Line statuses known besides the cache (the cache's answer wins where both know one). */
  lineStatus?: LineStatusLookup | null;
}

/** What one plan would bill. */
export interface PlanBill {
  /** Every question: no batch of this plan can be billed more (before retries of lost answers). */
  upperBound: number;
  /** The upper bound less what is known to cost nothing: the cache's answers and, under `staged`, the questions a known line status decides. */
  expected: number;
  expectedByApi: Record<ApiId, number>;
}

/** What the staged figures are based on. */
export interface StagingBasis {
  /** The rubric's name. */
  rubric: string;
  /** The line statuses that decide a level under the rubric's hard rules; empty: `staged` asks everything, as `all` does. */
  decidingValues: string[];
  /** Numbers asked their line status (the status questions). */
  numbers: number;
  /** Of those, the numbers whose line status answer is known, and from where (the cache first). */
  known: number;
  knownFromCache: number;
  knownFromEarlier: number;
  /** Of the known, those whose line status decides the level (`decidingValues`). */
  deciding: number;
  /** Questions `staged` does not ask because a known line status decides, by API; questions the cache answers are not counted (they cost nothing either way). */
  saved: Record<ApiId, number>;
  savedTotal: number;
}

export interface Estimate {
  counts: InputCounts;
  profile: string;
  questions: Record<ApiId, number>;
  /** Sum of questions: no batch can be billed more (before retries of lost answers). */
  billableUpperBound: number;
  /** Questions the cache already answers; null when no cache was consulted. */
  cached: Record<ApiId, number> | null;
  /** The most fields any row has (the columns a user can choose from). */
  maxFields: number;
  /** Each plan's bill: the same upper bound (`billableUpperBound`), and what is expected with what is known. */
  plans: { all: PlanBill; staged: PlanBill };
  staging: StagingBasis;
}

/** A number's line status question with the questions that wait on it, until the cache has been asked. */
interface StatusLookup {
  hash: string;
  /** The line status the caller knows (an earlier result), or null. */
  earlier: string | null;
  /** Its questions that wait on its line status under `staged` (none when nothing waits). */
  waiting: readonly NextQuestion[];
}

const NO_QUESTIONS: readonly NextQuestion[] = Object.freeze([]);

function zeroes(): Record<ApiId, number> {
  return Object.fromEntries(API_IDS.map((api) => [api, 0])) as Record<ApiId, number>;
}

export async function estimateBatch(
  file: string,
  input: InputOptions,
  profileName: string | undefined,
  keys: EngineKeys,
  cache: ResultCache | null,
  options: EstimateOptions = {},
): Promise<Estimate> {
  const profile = resolveProfile(profileName);
  const rubric = options.rubric ?? DEFAULT_RUBRIC;
  const earlierOf = options.lineStatus ?? null;
  const questions = zeroes();
  const cached = cache ? zeroes() : null;
  const saved = zeroes();
  // Which questions wait on a line status: the staged plan's own rule; which answers
  // decide: the same derivation from the rubric's hard rules as the planner's.
  const planner = new StagePlanner('staged', rubric);
  const decidingValues = [...planner.decidingValues];
  const decides = new Set(decidingValues);
  const basis = { known: 0, knownFromCache: 0, knownFromEarlier: 0, deciding: 0 };
  // Line statuses matter only where something may know them: without a cache or an
  // earlier result, a row is only counted, as before plans.
  const knowing = cache !== null || earlierOf !== null;
  // The same questions as planRecord (ingest's plan), counted without planning tasks:
  // a task's key is an HMAC of the number, which costs more than reading the row, and is
  // wanted only to look the answer up in a cache. So a question is counted first, and
  // hashed only when there is a cache to ask and the question counts (a duplicate row's
  // questions are its first row's). Every question of a row but the dated one has the
  // same key, the number's: one HMAC for them all.
  const apisOf = new ProfileApis(profile);
  const resaleSeen = new ResaleQuestionsByRow();
  // One read: a bad file fails here, before anything is spent (nothing is).
  const reader = await readPhoneList(file, input);
  // Hashes waiting to be looked up, per API: asked LOOKUP_CHUNK at a time (one round trip,
  // or one SQLite statement), with a turn for the event loop after each (a console serving
  // others while it previews a million rows). A line status question is looked up for its
  // answer (getMany); the questions waiting on it then join `open` (the level stays open,
  // or nothing is known) or `decided` (counted as saved unless the cache answers them);
  // every other question joins `open` at once. Each question is looked up exactly once.
  const statusPending = new Map<ApiId, StatusLookup[]>();
  const open = new Map<ApiId, string[]>();
  const decided = new Map<ApiId, string[]>();
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const lookUp = async (api: ApiId, lists: Map<ApiId, string[]>) => {
    const hashes = lists.get(api);
    if (!cache || !cached || !hashes || hashes.length === 0) return;
    lists.set(api, []);
    const found = await cache.countCached(api, hashes);
    cached[api] += found;
    if (lists === decided) saved[api] += hashes.length - found;
    await turn();
  };
  const add = async (lists: Map<ApiId, string[]>, api: ApiId, hash: string) => {
    let hashes = lists.get(api);
    if (!hashes) lists.set(api, (hashes = []));
    hashes.push(hash);
    if (hashes.length >= LOOKUP_CHUNK) await lookUp(api, lists);
  };
  /** A number's line status is known (null: an answer without one); whether it decides the level. */
  const settle = (value: string | null): boolean => {
    basis.known++;
    const decidesLevel = value !== null && decides.has(value);
    if (decidesLevel) basis.deciding++;
    return decidesLevel;
  };
  const lookUpStatus = async (api: ApiId) => {
    const entries = statusPending.get(api);
    if (!cache || !cached || !entries || entries.length === 0) return;
    statusPending.set(api, []);
    const values = await cache.getMany(api, entries.map((entry) => entry.hash));
    for (const [i, entry] of entries.entries()) {
      const encoded = values[i] ?? null;
      let decidesLevel = false;
      if (encoded !== null) {
        cached[api]++;
        const value = cachedLineStatus(api, encoded);
        if (value !== undefined) {
          basis.knownFromCache++;
          decidesLevel = settle(value);
        }
      } else if (entry.earlier) {
        basis.knownFromEarlier++;
        decidesLevel = settle(entry.earlier);
      }
      for (const question of entry.waiting) await add(decidesLevel ? decided : open, question.api, question.hash);
    }
    await turn();
  };
  let maxFields = 0;
  const asked: PlannedTask[] = [];
  try {
    for await (const record of reader) {
      if (record.fields.length > maxFields) maxFields = record.fields.length;
      const mobile = record.mobile;
      if (!mobile) continue;
      let plain: string | undefined;
      asked.length = 0;
      for (const api of apisOf.of(record.carrier, record.date)) {
        const date = APIS[api].needsDate ? record.date : null;
        if (api === 'resale' ? !resaleSeen.add(record, date!) : record.status !== 'valid') continue;
        questions[api]++;
        if (!knowing) continue;
        // Without a cache no key is wanted (the split reads only the APIs); no task id is.
        const hash = !cache ? '' : date ? numberHash(keys, mobile, date) : (plain ??= numberHash(keys, mobile, null));
        asked.push({ api, hash, taskId: '', date });
      }
      if (asked.length === 0) continue;
      const status = asked.find((task) => LINE_STATUS_APIS.includes(task.api));
      // What ingest does with this row's questions under `staged`.
      const waiting = status ? (planner.split(asked).first?.next ?? NO_QUESTIONS) : NO_QUESTIONS;
      if (!cache) {
        // Known only from the earlier result: settled now.
        const value = status ? earlierOf!(mobile) : null;
        if (value) {
          basis.knownFromEarlier++;
          if (settle(value)) for (const question of waiting) saved[question.api]++;
        }
        continue;
      }
      for (const task of asked) {
        if (task === status) {
          let entries = statusPending.get(task.api);
          if (!entries) statusPending.set(task.api, (entries = []));
          entries.push({ hash: task.hash, earlier: earlierOf ? earlierOf(mobile) : null, waiting });
          if (entries.length >= LOOKUP_CHUNK) await lookUpStatus(task.api);
        } else if (waiting.length === 0) {
          await add(open, task.api, task.hash);
        }
      }
    }
    for (const api of statusPending.keys()) await lookUpStatus(api);
    for (const api of [...open.keys()]) await lookUp(api, open);
    for (const api of [...decided.keys()]) await lookUp(api, decided);
  } finally {
    await reader.close();
  }
  const billableUpperBound = sum(questions);
  const allByApi = Object.fromEntries(API_IDS.map((api) => [api, questions[api] - (cached?.[api] ?? 0)])) as Record<ApiId, number>;
  const stagedByApi = Object.fromEntries(API_IDS.map((api) => [api, allByApi[api] - saved[api]])) as Record<ApiId, number>;
  return {
    counts: reader.counts(),
    profile: profile.name,
    questions,
    billableUpperBound,
    cached,
    maxFields,
    plans: {
      all: { upperBound: billableUpperBound, expected: sum(allByApi), expectedByApi: allByApi },
      staged: { upperBound: billableUpperBound, expected: sum(stagedByApi), expectedByApi: stagedByApi },
    },
    staging: {
      rubric: rubric.name,
      decidingValues,
      numbers: LINE_STATUS_APIS.reduce((n, api) => n + questions[api], 0),
      ...basis,
      saved,
      savedTotal: sum(saved),
    },
  };
}

/** The APIs answering the line status: the questions a staged plan asks first. */
const LINE_STATUS_APIS: readonly ApiId[] = SIGNAL_APIS.line_status;

/** The line status in a cached answer: null for an answer without one (no record), undefined when it cannot be read. */
function cachedLineStatus(api: ApiId, encoded: string): string | null | undefined {
  let result;
  try {
    result = decodeTaskResult(api, encoded);
  } catch {
    return undefined;
  }
  if (result.kind === 'answered') return stageValue(api, result.signals);
  return result.kind === 'no_record' ? null : undefined;
}

function sum(counts: Record<ApiId, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
