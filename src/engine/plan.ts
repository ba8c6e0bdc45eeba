/**
 * The questions one input row asks: the profile's APIs that apply to its number
 * (carrier, date), each keyed by a keyed hash of the number (and the date, for the
 * resale question). Ingest and report both call this, so the report finds every
 * answer where ingest said it would be.
 */
import { APIS, type ApiId } from '../juhe/catalogue.js';
import type { PhoneRecord } from '../input/index.js';
import { numberHash, type EngineKeys } from './keys.js';
import { apisFor, type Profile } from './profiles.js';

export interface PlannedTask {
  api: ApiId;
  hash: string;
  /** `<api>.<hash>`: unique per question within a batch. */
  taskId: string;
  date: string | null;
}

export function planRecord(record: Pick<PhoneRecord, 'mobile' | 'carrier' | 'date'>, profile: Profile, keys: EngineKeys): PlannedTask[] {
  const mobile = record.mobile;
  if (!mobile) return [];
  return apisFor(profile, { carrier: record.carrier, date: record.date }).map((api) => {
    const date = APIS[api].needsDate ? record.date : null;
    const hash = numberHash(keys, mobile, date);
    return { api, hash, taskId: `${api}.${hash}`, date };
  });
}

/**
 * Which (number, date) resale questions were already planned, exactly and compactly:
 * a million numbers as doubles, with one date each (a Set only for numbers asked
 * about with several dates).
 */
export class ResaleQuestionsSeen {
  private readonly seen = new Map<number, number | Set<number>>();

  /** True the first time a (number, date) pair is offered. */
  add(mobile: string, date: string): boolean {
    const key = Number(mobile);
    const day = Number(date);
    const current = this.seen.get(key);
    if (current === undefined) {
      this.seen.set(key, day);
      return true;
    }
    if (typeof current === 'number') {
      if (current === day) return false;
      this.seen.set(key, new Set([current, day]));
      return true;
    }
    if (current.has(day)) return false;
    current.add(day);
    return true;
  }
}
