/**
 * The emulator's world: what the service "knows" about each number, derived from the
 * seed and the number's sha256 so that every form of a request for one number (plain,
 * AES, RSA, sha256) reaches the same facts. A bare md5 that cannot be reversed gets
 * facts of its own, derived from the seed and the md5.
 *
 * The mix is realistic and self-consistent:
 * - line state: 85% normal, 5% suspended, 3% unavailable, 4% inactive, 3% pre-cancel;
 * - an inactive line (不在网) has left the network (tenure 99), no activation date
 *   (resale res 3) and no call record (232403);
 * - the other lines' tenure: 8% (0,3], 5% (3,6], 7% (6,12], 10% (12,24], 66% 24+
 *   (of all numbers), and an activation date inside that bucket counted back from the
 *   reference date, so a recently re-issued (recycled) number has a short tenure and
 *   the resale answer depends on the date asked;
 * - call minutes (China Telecom): spread over codes 0..11 for normal lines, near zero
 *   for suspended, unavailable and pre-cancel lines;
 * - about 1% of numbers each have no record at the line-status source (224922), the
 *   tenure sources (224801, both tenure APIs) and the resale source (232703), drawn
 *   separately per API; call minutes' 232403 stays tied to inactive lines. A fixture
 *   that pins an API's data (status, tenure, resale) gives that API a record.
 * Fixtures pin any of these for given numbers.
 */
import type { ApiId } from '../juhe/catalogue.js';
import type { TenureBucket } from '../juhe/model.js';
import { CARRIER_NAMES, type Carrier } from '../phone/carrier.js';
import { lookupPrefix } from '../phone/prefixes.js';
import { NO_RECORD_CODE } from './api-codes.js';
import { sha256Bytes } from './digests.js';
import type { LineState, PinnedFacts } from './fixtures.js';
import type { Identity } from './identity.js';

export interface NumberFacts {
  carrier: Carrier;
  /** False when the carrier is assumed: a hash the emulator could not reverse. */
  carrierKnown: boolean;
  province: string;
  city: string;
  /** The `isp` text: 移动, 联通, 电信, 广电. */
  isp: string;
  state: LineState;
  stateDescription: string;
  tenure: TenureBucket;
  /** yyyymmdd, or null when no activation date is known (res 3). */
  activated: string | null;
  /** False for lines with no call record (232403). */
  hasCallRecord: boolean;
  callingCode: number;
  calledCode: number;
  /** Error codes pinned by fixtures, per API. */
  errors: Partial<Record<ApiId, number>>;
  /** The sources with no record of this number (about 1% each): status 224922, tenure 224801, resale 232703. */
  noRecord: { status: boolean; tenure: boolean; resale: boolean };
}

/** What the world says to one question: data, or a documented code instead. */
export type WorldAnswer =
  | { kind: 'data'; facts: NumberFacts; res?: 1 | 2 | 3 }
  | { kind: 'error'; code: number; facts: NumberFacts };

export const STATE_DESCRIPTIONS: Readonly<Record<LineState, string>> = {
  '0': '正常使用',
  '1': '停机',
  '2': '在网但不可用',
  '3': '不在网',
  '4': '预销户',
};

/** Weights in percent; each table sums to 100. */
const STATE_WEIGHTS: ReadonlyArray<readonly [LineState, number]> = [
  ['0', 85],
  ['1', 5],
  ['2', 3],
  ['3', 4],
  ['4', 3],
];
/** Tenure of lines still on the network, weighted so the shares are of all numbers (96% are on it). */
const TENURE_WEIGHTS: ReadonlyArray<readonly [TenureBucket, number]> = [
  ['0-3', 8],
  ['3-6', 5],
  ['6-12', 7],
  ['12-24', 10],
  ['24+', 66],
];
/** Call-minute codes 0..11 of a normal line. */
const MINUTES_WEIGHTS: ReadonlyArray<readonly [number, number]> = [
  [0, 2],
  [1, 4],
  [2, 5],
  [3, 8],
  [4, 10],
  [5, 12],
  [6, 13],
  [7, 12],
  [8, 11],
  [9, 10],
  [10, 8],
  [11, 5],
];
/** Days on the network for each bucket, (low, high]. 24+ goes back fifteen years more. */
const TENURE_DAYS: Readonly<Record<Exclude<TenureBucket, 'left_network'>, readonly [number, number]>> = {
  '0-3': [0, 91],
  '3-6': [91, 183],
  '6-12': [183, 365],
  '12-24': [365, 730],
  '24+': [730, 730 + 15 * 365],
};

const PLACES: ReadonlyArray<readonly [province: string, city: string]> = [
  ['北京市', '北京市'],
  ['上海市', '上海市'],
  ['天津市', '天津市'],
  ['重庆市', '重庆市'],
  ['广东', '广州'],
  ['广东', '深圳'],
  ['江苏', '南京'],
  ['江苏', '苏州'],
  ['浙江', '杭州'],
  ['浙江', '宁波'],
  ['山东', '济南'],
  ['山东', '青岛'],
  ['四川', '成都'],
  ['湖北', '武汉'],
  ['湖南', '长沙'],
  ['河南', '郑州'],
  ['福建', '厦门'],
  ['陕西', '西安'],
  ['辽宁', '沈阳'],
  ['安徽', '合肥'],
];

const DAY_MS = 86_400_000;
/** The share of numbers a source (status, tenure, resale) has no record of. */
export const NO_RECORD_SHARE = 0.01;

export class World {
  private readonly referenceDay: number;

  constructor(
    private readonly seed: string,
    /** yyyymmdd that tenure counts back from. */
    readonly referenceDate: string,
    private readonly pinned: ReadonlyMap<string, PinnedFacts> = new Map(),
  ) {
    this.referenceDay = dayNumber(referenceDate);
  }

  /** The fixture numbers, for the reverse index. */
  pinnedNumbers(): Iterable<string> {
    return this.pinned.keys();
  }

  factsFor(identity: Identity): NumberFacts {
    const draws =
      identity.kind === 'md5' ? this.draws('md5', identity.md5) : this.draws('sha256', identity.sha256);
    const mobile = identity.kind === 'number' ? identity.mobile : undefined;
    const pin = mobile === undefined ? undefined : this.pinned.get(mobile);

    // A hash that cannot be reversed is answered as China Mobile: the only hash form
    // tied to a carrier is the sha256 CMCC API, and riskscreen sends it only CMCC numbers.
    const prefixCarrier = mobile === undefined ? undefined : lookupPrefix(mobile)?.carrier;
    const carrier = pin?.carrier ?? prefixCarrier ?? 'cmcc';
    const carrierKnown = pin?.carrier !== undefined || prefixCarrier !== undefined;
    const place = PLACES[Math.floor(draws[3]! * PLACES.length)]!;

    const state = pin?.state ?? pick(STATE_WEIGHTS, draws[0]!);
    const inactive = state === '3';
    let tenure: TenureBucket;
    if (pin?.tenure) tenure = pin.tenure;
    else if (pin?.activated) tenure = bucketForDays(this.referenceDay - dayNumber(pin.activated));
    else tenure = inactive ? 'left_network' : pick(TENURE_WEIGHTS, draws[1]!);

    let activated: string | null;
    if (pin?.activated !== undefined) activated = pin.activated;
    else if (tenure === 'left_network') activated = null;
    else {
      const [low, high] = TENURE_DAYS[tenure];
      const daysAgo = low + 1 + Math.floor(draws[2]! * (high - low));
      activated = dateOfDay(this.referenceDay - daysAgo);
    }

    let callingCode: number;
    let calledCode: number;
    if (state === '0') {
      callingCode = pick(MINUTES_WEIGHTS, draws[4]!);
      calledCode = clamp(callingCode + Math.floor(draws[5]! * 5) - 2, 0, 11);
    } else if (state === '1' || state === '4') {
      // Suspended or about to be cancelled: outgoing calls barred, a few incoming ones.
      callingCode = 0;
      calledCode = draws[5]! < 0.5 ? 0 : 1;
    } else {
      callingCode = 0;
      calledCode = 0;
    }
    if (pin?.callingCode !== undefined) callingCode = pin.callingCode;
    if (pin?.calledCode !== undefined) calledCode = pin.calledCode;
    const minutesPinned = pin?.callingCode !== undefined || pin?.calledCode !== undefined;
    const sparse = identity.kind === 'md5' ? this.draws('no-record md5', identity.md5) : this.draws('no-record', identity.sha256);
    const noRecord = {
      status: pin?.state === undefined && sparse[0]! < NO_RECORD_SHARE,
      tenure: pin?.tenure === undefined && pin?.activated === undefined && sparse[1]! < NO_RECORD_SHARE,
      resale: pin?.activated === undefined && sparse[2]! < NO_RECORD_SHARE,
    };

    return {
      carrier,
      carrierKnown,
      province: pin?.province ?? place[0],
      city: pin?.city ?? place[1],
      isp: CARRIER_NAMES[carrier].zh,
      state,
      stateDescription: pin?.stateDescription ?? STATE_DESCRIPTIONS[state],
      tenure,
      activated,
      hasCallRecord: minutesPinned || !inactive,
      callingCode,
      calledCode,
      errors: pin?.errors ?? {},
      noRecord,
    };
  }

  /** The answer to `api` about `identity`; `date` (yyyymmdd, already checked) for resale. */
  answer(api: ApiId, identity: Identity, date?: string): WorldAnswer {
    const facts = this.factsFor(identity);
    const pinnedError = facts.errors[api];
    if (pinnedError !== undefined) return { kind: 'error', code: pinnedError, facts };
    switch (api) {
      case 'tenureCmcc':
        if (facts.carrier !== 'cmcc' || facts.noRecord.tenure) return { kind: 'error', code: NO_RECORD_CODE.tenureCmcc, facts };
        return { kind: 'data', facts };
      case 'callDuration':
        if (facts.carrier !== 'ctcc' || !facts.hasCallRecord) return { kind: 'error', code: NO_RECORD_CODE.callDuration, facts };
        return { kind: 'data', facts };
      case 'resale': {
        if (facts.noRecord.resale) return { kind: 'error', code: NO_RECORD_CODE.resale, facts };
        if (facts.activated === null) return { kind: 'data', facts, res: 3 };
        // 1: activated after the date (re-issued to a new subscriber); 2: on or before it.
        return { kind: 'data', facts, res: facts.activated > (date ?? '') ? 1 : 2 };
      }
      case 'status':
      case 'tenure':
        if (facts.noRecord[api]) return { kind: 'error', code: NO_RECORD_CODE[api], facts };
        return { kind: 'data', facts };
    }
  }

  /** Eight uniform draws in [0, 1) from the seed and a digest. */
  private draws(domain: string, digestHex: string): number[] {
    const digest = sha256Bytes(`${this.seed}\n${domain}\n${digestHex}`);
    const out: number[] = [];
    for (let i = 0; i < 8; i++) out.push(digest.readUInt32BE(i * 4) / 4_294_967_296);
    return out;
  }
}

function pick<T>(weights: ReadonlyArray<readonly [T, number]>, draw: number): T {
  const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
  let threshold = draw * total;
  for (const [value, weight] of weights) {
    if (threshold < weight) return value;
    threshold -= weight;
  }
  return weights[weights.length - 1]![0];
}

/** The tenure bucket of a line active for `days` days. */
export function bucketForDays(days: number): TenureBucket {
  if (days <= TENURE_DAYS['0-3'][1]) return '0-3';
  if (days <= TENURE_DAYS['3-6'][1]) return '3-6';
  if (days <= TENURE_DAYS['6-12'][1]) return '6-12';
  if (days <= TENURE_DAYS['12-24'][1]) return '12-24';
  return '24+';
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Days since 1970-01-01 of a yyyymmdd date. */
function dayNumber(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8))) / DAY_MS;
}

function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '');
}
