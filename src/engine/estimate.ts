/**
 * What a batch would cost, before anything is spent: questions per API (the billable
 * upper bound: only answered calls are billed) and how many the shared result cache
 * already holds.
 */
import { API_IDS, type ApiId } from '../juhe/catalogue.js';
import { readPhoneList, type InputCounts, type InputOptions } from '../input/index.js';
import type { EngineKeys } from './keys.js';
import { planRecord, ResaleQuestionsSeen } from './plan.js';
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
  const resaleSeen = new ResaleQuestionsSeen();
  // One read: a bad file fails here, before anything is spent (nothing is).
  const reader = await readPhoneList(file, input);
  let lookups: Array<Promise<void>> = [];
  try {
    for await (const record of reader) {
      if (!record.mobile) continue;
      for (const task of planRecord(record, profile, keys)) {
        if (task.api === 'resale' ? !resaleSeen.add(record.mobile, task.date!) : record.status !== 'valid') continue;
        questions[task.api]++;
        if (cache && cached) {
          lookups.push(cache.get(task.api, task.hash).then((hit) => void (hit && cached[task.api]++)));
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
  };
}
