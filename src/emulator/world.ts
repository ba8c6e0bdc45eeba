/**
 * The emulator's world: what the service "knows" about each number, derived from the
 * seed and the number's sha256 so that every form of a request for one number (plain,
 * AES, RSA, sha256) reaches the same facts. A bare md5 that cannot be reversed gets
 * facts of its own, derived from the seed and the md5.
 *
 * The default world looks like a business's customer list (sign-ups, loan applicants),
 * whose dates are mostly when the customer gave the number; docs/emulator.md (The world)
 * gives the shares and the reasoning. The answers agree across APIs:
 * - line state: 88% normal, 4% suspended, 2% unavailable, 4% inactive, 2% pre-cancel
 *   (`notInService` sets the share of the last two together: a dormant list's world);
 * - an inactive line (不在网) has left the network (tenure 99), has no activation date
 *   (resale res 3) and no call record (232403);
 * - every other line has an activation date, and its tenure bucket is the one that date
 *   falls in. 87% of all numbers were activated before the date horizon (15 years back),
 *   so resale says "not recycled" for any plausible customer date; 5% in the last two
 *   years (short tenure: recycled after nearly any customer's date, or a fresh number of
 *   a new sign-up); 4% 2 to 15 years ago (recycled after older customers' dates only).
 *   The resale answer is a pure function of the activation date and the date asked;
 * - China Telecom call minutes are last month's: spread over codes 0..11 for lines in
 *   use, silent (no calls made, at most a minute received) for most suspended,
 *   unavailable and pre-cancel lines, so a silent line is far more often suspended;
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

/** Line state, percent of all numbers. See docs/emulator.md (The world) for the reasoning. */
const STATE_WEIGHTS: ReadonlyArray<readonly [LineState, number]> = [
  ['0', 88],
  ['1', 4],
  ['2', 2],
  ['3', 4],
  ['4', 2],
];

/** The states of lines not in service: inactive (不在网) and pre-cancel (预销户). */
const NOT_IN_SERVICE_STATES: ReadonlySet<LineState> = new Set<LineState>(['3', '4']);

/** The share of lines not in service in the default world (states 3 and 4 of {@link STATE_WEIGHTS}): 0.06. */
export const DEFAULT_NOT_IN_SERVICE_SHARE =
  STATE_WEIGHTS.filter(([state]) => NOT_IN_SERVICE_STATES.has(state)).reduce((sum, [, weight]) => sum + weight, 0) /
  STATE_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);

/**
 * The state weights of a world with `share` (0..1) of its lines not in service: states 3
 * and 4 scaled to that share together, keeping their 2:1 ratio, and the states in
 * service to the rest, keeping their 88:4:2 proportions.
 */
export function stateWeightsFor(share: number): Array<readonly [LineState, number]> {
  const total = (inService: boolean) =>
    STATE_WEIGHTS.filter(([state]) => NOT_IN_SERVICE_STATES.has(state) !== inService).reduce((sum, [, weight]) => sum + weight, 0);
  const outTotal = total(false);
  const inTotal = total(true);
  return STATE_WEIGHTS.map(([state, weight]) =>
    NOT_IN_SERVICE_STATES.has(state) ? ([state, (weight / outTotal) * share] as const) : ([state, (weight / inTotal) * (1 - share)] as const),
  );
}

/** How a world differs from the default one. */
export interface WorldOptions {
  /**
   * The share (0..1) of lines not in service: inactive (不在网) and pre-cancel (预销户)
   * together, 2:1 as in the default world, the other states keeping their proportions.
   * Unset: the default world's 6%, drawn exactly as before the option existed.
   */
  notInService?: number;
}

/**
 * When the line's current subscriber got it. A customer list's dates are mostly within
 * the last {@link DATE_HORIZON_YEARS} years, and for most customers the phone was theirs
 * before they gave it: `held` lines were activated before that horizon, so no plausible
 * date asks about a time before them. The rest were (re-)issued to their current
 * subscriber later: in the last two years (a short tenure bucket, after nearly every
 * customer's date) or 2 to 15 years ago (24+, after older customers' dates only).
 */
type Activation = Exclude<TenureBucket, '24+' | 'left_network'> | 'reissued' | 'held';

/**
 * Percent of all numbers in the default world; the 4% inactive lines have left the
 * network and have no activation date, so these add up to 96 (`pick` scales by the
 * total). So they are, really, the shares among the lines still on the network, and a
 * world with more or fewer inactive lines (`notInService`) keeps those shares.
 */
const ACTIVATION_WEIGHTS: ReadonlyArray<readonly [Activation, number]> = [
  ['0-3', 1],
  ['3-6', 1],
  ['6-12', 1],
  ['12-24', 2],
  ['reissued', 4],
  ['held', 87],
];

/** The dates of plausible customer lists lie within this many years before the reference date. */
export const DATE_HORIZON_YEARS = 15;
/** No line is older than this: China's GSM networks and their 11-digit numbers date from the mid-1990s. */
const OLDEST_YEARS = 30;

/**
 * Days since activation for each activation class, (low, high]: the short tenure
 * buckets as the tenure APIs define them, then 24+ split at the date horizon.
 */
const ACTIVATION_DAYS: Readonly<Record<Activation, readonly [number, number]>> = {
  '0-3': [0, 91],
  '3-6': [91, 183],
  '6-12': [183, 365],
  '12-24': [365, 730],
  reissued: [730, DATE_HORIZON_YEARS * 365],
  held: [DATE_HORIZON_YEARS * 365, OLDEST_YEARS * 365],
};

/** Call-minute codes 0..11 of a line in use last month. */
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

/**
 * The share of lines in each state that were silent all last month (calling 0, called
 * at most (0,1]). Call minutes are last month's and the state is today's: a line
 * suspended for arrears has usually been so for weeks, and a pre-cancel line for
 * months, but some were cut off only this month and still show last month's calls.
 */
const SILENT_SHARE: Readonly<Record<Exclude<LineState, '0' | '3'>, number>> = {
  '1': 0.8,
  '2': 0.7,
  '4': 0.95,
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
  private readonly stateWeights: ReadonlyArray<readonly [LineState, number]>;

  constructor(
    private readonly seed: string,
    /** yyyymmdd that tenure counts back from. */
    readonly referenceDate: string,
    private readonly pinned: ReadonlyMap<string, PinnedFacts> = new Map(),
    options: WorldOptions = {},
  ) {
    this.referenceDay = dayNumber(referenceDate);
    const share = options.notInService;
    if (share !== undefined && !(Number.isFinite(share) && share >= 0 && share <= 1)) {
      throw new RangeError(`notInService: ${share} is not a share between 0 and 1`);
    }
    // Unset: the default weights themselves, so the default world's draws are unchanged to the last bit.
    this.stateWeights = share === undefined ? STATE_WEIGHTS : stateWeightsFor(share);
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

    const state = pin?.state ?? pick(this.stateWeights, draws[0]!);
    const inactive = state === '3';
    // Tenure and activation date come from one draw, so they always agree: the tenure
    // bucket is the one the activation date falls in, counted back from the reference date.
    let tenure: TenureBucket;
    let activated: string | null;
    const tenurePin = pin?.tenure;
    if (pin?.activated) {
      activated = pin.activated;
      tenure = tenurePin ?? bucketForDays(this.referenceDay - dayNumber(activated));
    } else if (tenurePin === 'left_network' || (tenurePin === undefined && inactive)) {
      tenure = 'left_network';
      activated = null;
    } else {
      const activation = activationFor(tenurePin, pick(ACTIVATION_WEIGHTS, draws[1]!));
      const [low, high] = ACTIVATION_DAYS[activation];
      const daysAgo = low + 1 + Math.floor(draws[2]! * (high - low));
      tenure = tenurePin ?? bucketForDays(daysAgo);
      // A pinned null: the resale source knows no activation date (res 3), the tenure source still answers.
      activated = pin?.activated === null ? null : dateOfDay(this.referenceDay - daysAgo);
    }

    // Last month's calls: a line in use spreads over the codes; most lines not in
    // normal use today were already silent (no calls made, at most a minute received).
    let callingCode = pick(MINUTES_WEIGHTS, draws[4]!);
    let calledCode = clamp(callingCode + Math.floor(draws[5]! * 5) - 2, 0, 11);
    if (inactive) {
      callingCode = 0;
      calledCode = 0;
    } else if (state !== '0' && draws[6]! < SILENT_SHARE[state]) {
      callingCode = 0;
      calledCode = draws[5]! < 0.5 ? 0 : 1;
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

/** The activation class of a line whose tenure is pinned: the drawn one when it agrees with the pin, else the pin's own window. */
function activationFor(tenurePin: Exclude<TenureBucket, 'left_network'> | undefined, drawn: Activation): Activation {
  if (tenurePin === undefined) return drawn;
  if (tenurePin === '24+') return drawn === 'reissued' || drawn === 'held' ? drawn : 'held';
  return tenurePin;
}

/** The tenure bucket of a line active for `days` days. */
export function bucketForDays(days: number): TenureBucket {
  if (days <= ACTIVATION_DAYS['0-3'][1]) return '0-3';
  if (days <= ACTIVATION_DAYS['3-6'][1]) return '3-6';
  if (days <= ACTIVATION_DAYS['6-12'][1]) return '6-12';
  if (days <= ACTIVATION_DAYS['12-24'][1]) return '12-24';
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
