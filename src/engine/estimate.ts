/**
 * What a batch would cost, before anything is spent: questions per API (the billable
 * upper bound: only answered calls are billed) and how many the shared result cache
 * already holds.
 */
import { API_IDS, APIS, type ApiId } from '../juhe/catalogue.js';
import { readPhoneList, type InputCounts, type InputOptions } from '../input/index.js';
import { numberHash, type EngineKeys } from './keys.js';
import { ProfileApis, ResaleQuestionsByRow } from './plan.js';
import { resolveProfile } from './profiles.js';
import type { ResultCache } from './store.js';

/** Hashes looked up in the cache at once. */
const LOOKUP_CHUNK = 500;

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
}

export async function estimateBatch(
  file: string,
  input: InputOptions,
  profileName: string | undefined,
  keys: EngineKeys,
  cache: ResultCache | null,
): Promise<Estimate> {
  const profile = resolveProfile(profileName);
  const questions = Object.fromEntries(API_IDS.map((api) => [api, 0])) as Record<ApiId, number>;
  const cached = cache ? (Object.fromEntries(API_IDS.map((api) => [api, 0])) as Record<ApiId, number>) : null;
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
  // others while it previews a million rows).
  const pending = new Map<ApiId, string[]>();
  const lookUp = async (api: ApiId) => {
    const hashes = pending.get(api);
    if (!cache || !cached || !hashes || hashes.length === 0) return;
    pending.set(api, []);
    cached[api] += await cache.countCached(api, hashes);
    await new Promise((resolve) => setImmediate(resolve));
  };
  let maxFields = 0;
  try {
    for await (const record of reader) {
      if (record.fields.length > maxFields) maxFields = record.fields.length;
      const mobile = record.mobile;
      if (!mobile) continue;
      let plain: string | undefined;
      for (const api of apisOf.of(record.carrier, record.date)) {
        const date = APIS[api].needsDate ? record.date : null;
        if (api === 'resale' ? !resaleSeen.add(record, date!) : record.status !== 'valid') continue;
        questions[api]++;
        if (cache && cached) {
          const hash = date ? numberHash(keys, mobile, date) : (plain ??= numberHash(keys, mobile, null));
          const hashes = pending.get(api) ?? [];
          hashes.push(hash);
          pending.set(api, hashes);
          if (hashes.length >= LOOKUP_CHUNK) await lookUp(api);
        }
      }
    }
    for (const api of pending.keys()) await lookUp(api);
  } finally {
    await reader.close();
  }
  return {
    counts: reader.counts(),
    profile: profile.name,
    questions,
    billableUpperBound: Object.values(questions).reduce((a, b) => a + b, 0),
    cached,
    maxFields,
  };
}
