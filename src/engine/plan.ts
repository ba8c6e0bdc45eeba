/**
 * The questions one input row asks: the profile's APIs that apply to its number
 * (carrier, date), each keyed by a keyed hash of the number (and the date, for the
 * resale question). Ingest and report both call this, so the report finds every
 * answer where ingest said it would be.
 */
import { APIS, type ApiId } from '../juhe/catalogue.js';
import type { PhoneRecord } from '../input/index.js';
import type { Carrier } from '../phone/carrier.js';
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
  // Every question but the dated one is keyed by the number alone: one HMAC for all of
  // them (an HMAC costs more than the rest of planning a row).
  let plain: string | undefined;
  return apisFor(profile, { carrier: record.carrier, date: record.date }).map((api) => {
    const date = APIS[api].needsDate ? record.date : null;
    const hash = date ? numberHash(keys, mobile, date) : (plain ??= numberHash(keys, mobile, null));
    return { api, hash, taskId: `${api}.${hash}`, date };
  });
}

/**
 * `apisFor` of one profile, remembered: which APIs a number is asked about depends only on
 * its carrier and on whether it has a date, so a read of a million rows needs ten answers,
 * not a million filtered arrays. The arrays are shared: do not change them.
 */
export class ProfileApis {
  /** By carrier: for numbers without a date, and with one. */
  private readonly undated = new Map<Carrier | null, readonly ApiId[]>();
  private readonly dated = new Map<Carrier | null, readonly ApiId[]>();

  constructor(private readonly profile: Profile) {}

  of(carrier: Carrier | null, date: string | null): readonly ApiId[] {
    const known = date ? this.dated : this.undated;
    let apis = known.get(carrier);
    if (apis === undefined) {
      apis = Object.freeze(apisFor(this.profile, { carrier, date }));
      known.set(carrier, apis);
    }
    return apis;
  }
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

/**
 * The answer of `ResaleQuestionsSeen` for the records of one read, taken in input order,
 * at a fraction of its cost: the read has already deduped the numbers, so a number's first
 * row (`status` valid) asks a new question whatever its date, and a later row (duplicate)
 * mostly repeats its first row's date. The date of each first row is kept by row index
 * (4 bytes a row, off the garbage-collected heap); a map holds only the further dates of
 * numbers that come with several. A Map of every number (`ResaleQuestionsSeen`) costs
 * about 50 bytes a number on the heap, more while it grows: tens of MiB of `estimate`'s
 * peak on a million rows.
 */
export class ResaleQuestionsByRow {
  /** yyyymmdd of the question asked at a first row, by its index; 0 where none was. */
  private firstDays = new Uint32Array(1 << 16);
  /** Dates other than the first row's, by number (few numbers come with several dates). */
  private readonly otherDays = new ResaleQuestionsSeen();

  /** True the first time a (number, date) pair is offered. Each record once, in input order. */
  add(record: Pick<PhoneRecord, 'index' | 'mobile' | 'status' | 'firstIndex'>, date: string): boolean {
    const day = Number(date);
    if (record.status === 'valid') {
      if (record.index >= this.firstDays.length) this.grow(record.index);
      this.firstDays[record.index] = day;
      return true;
    }
    const first = record.firstIndex ?? -1;
    if (first >= 0 && first < this.firstDays.length && this.firstDays[first] === day) return false;
    return this.otherDays.add(record.mobile!, date);
  }

  private grow(index: number): void {
    let length = this.firstDays.length * 2;
    while (length <= index) length *= 2;
    const days = new Uint32Array(length);
    days.set(this.firstDays);
    this.firstDays = days;
  }
}
