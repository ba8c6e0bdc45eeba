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
  let lookups: Array<Promise<void>> = [];
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
          lookups.push(cache.get(api, hash).then((hit) => void (hit && cached[api]++)));
          if (lookups.length >= 500) {
            await Promise.all(lookups);
            lookups = [];
          }
        }
      }
    }
    await Promise.all(lookups);
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
