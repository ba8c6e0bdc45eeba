/**
 * Reading Juhe answers, defensively: `error_code` as number or string (or the old
 * `resultcode`), `result` as an object, a JSON string or null, codes as "03" or 3.
 * Pure functions: text in, values out; the client decides what an outcome is.
 */
import { carrierFromIsp } from '../phone/carrier.js';
import type { ApiId, TenureEncoding } from './catalogue.js';
import type {
  CallMinutesBucket,
  LineStatus,
  LocationSignal,
  Resale,
  Signals,
  TenureBucket,
} from './model.js';
import { TENURE_BUCKETS } from './model.js';
import { bucketOfTenureCode, MOBILE_ONLINE_DESC } from './tenure-codes.js';

/** The parts of a Juhe answer every API shares. */
export interface Envelope {
  errorCode: number;
  reason: string;
  /** `result` as an object, or null when absent, null, empty or not an object. */
  result: Record<string, unknown> | null;
}

/** Why an answer could not be read; the client turns it into an error with context. */
export class UnreadableAnswer extends Error {
  readonly code = 'RISKSCREEN_UNREADABLE_ANSWER';
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableAnswer';
  }
}

/** Parse the body of a Juhe answer. Throws {@link UnreadableAnswer} when it is not one. */
export function parseEnvelope(body: string): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(body.charCodeAt(0) === 0xfeff ? body.slice(1) : body);
  } catch {
    throw new UnreadableAnswer(`not JSON: ${preview(body)}`);
  }
  if (!isRecord(json)) throw new UnreadableAnswer(`not a JSON object: ${preview(body)}`);
  const errorCode = readErrorCode(json);
  if (errorCode === undefined) throw new UnreadableAnswer(`no error_code: ${preview(body)}`);
  const reason = typeof json.reason === 'string' ? json.reason.trim() : json.reason == null ? '' : String(json.reason);
  return { errorCode, reason, result: readResult(json.result) };
}

function readErrorCode(json: Record<string, unknown>): number | undefined {
  const code = toInt(json.error_code);
  if (code !== undefined) return code;
  // The documents keep an old `resultcode` column: 101..121 for 10001..10021, 200 for success.
  const old = toInt(json.resultcode);
  if (old === undefined) return undefined;
  if (old === 200) return 0;
  if (old >= 101 && old <= 199) return 10_000 + (old - 100);
  return old;
}

function readResult(value: unknown): Record<string, unknown> | null {
  if (isRecord(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isRecord(parsed)) return parsed;
    } catch {
      // a result that is a plain string carries nothing we decode
    }
  }
  return null;
}

/** The signals in a successful answer of `api`. Throws {@link UnreadableAnswer} when the fields are missing or unknown. */
export function decodeSignals(api: ApiId, result: Record<string, unknown> | null, date?: string): Signals {
  if (!result) throw new UnreadableAnswer('success without a result');
  const location = decodeLocation(result);
  switch (api) {
    case 'status': {
      const raw = text(result.state);
      const value = raw !== undefined && /^\d+$/.test(raw) ? LINE_STATUS_BY_STATE[String(Number(raw))] : undefined;
      if (raw === undefined || value === undefined) {
        throw new UnreadableAnswer(`unknown line state ${JSON.stringify(result.state)}`);
      }
      const description = text(result.description);
      return withLocation({ lineStatus: { value, raw, ...(description ? { description } : {}) } }, location);
    }
    case 'tenure':
    case 'tenureCmcc': {
      const encoding: TenureEncoding = api === 'tenure' ? 'mobileOnline' : 'cmccSha256';
      const raw = text(result.code);
      const description = text(result.desc);
      const value = decodeTenure(encoding, result.code, description);
      if (value === undefined) {
        throw new UnreadableAnswer(`unknown tenure code ${JSON.stringify(result.code)} for the ${encoding} encoding`);
      }
      return withLocation(
        { tenure: { value, raw: raw ?? '', encoding, ...(description ? { description } : {}) } },
        location,
      );
    }
    case 'resale': {
      const raw = text(result.res);
      const value = raw !== undefined && /^\d+$/.test(raw) ? RESALE_BY_RES[String(Number(raw))] : undefined;
      if (raw === undefined || value === undefined) throw new UnreadableAnswer(`unknown res ${JSON.stringify(result.res)}`);
      return withLocation({ resale: { value, raw, date: date ?? '' } }, location);
    }
    case 'callDuration': {
      const calling = decodeCallMinutes(result.callingDur);
      const called = decodeCallMinutes(result.calledDur);
      if (!calling || !called) {
        throw new UnreadableAnswer(
          `unknown call minutes ${JSON.stringify({ callingDur: result.callingDur, calledDur: result.calledDur })}`,
        );
      }
      return withLocation({ callMinutes: { calling, called } }, location);
    }
  }
}

/** The `orderid` of an answer, when it has one. */
export function orderIdOf(result: Record<string, unknown> | null): string | undefined {
  return result ? text(result.orderid) : undefined;
}

// ---- line status --------------------------------------------------------------------

const LINE_STATUS_BY_STATE: Record<string, LineStatus> = {
  '0': 'normal', // 正常使用
  '1': 'suspended', // 停机
  '2': 'unavailable', // 在网但不可用
  '3': 'inactive', // 不在网/销号/未启用/异常
  '4': 'pre_cancel', // 预销户
};

// ---- tenure -------------------------------------------------------------------------

/** mobileOnline's `desc` texts of the five on-network buckets, used when the code itself cannot be read. */
const TENURE_BY_DESC: ReadonlyMap<string, TenureBucket> = new Map(
  TENURE_BUCKETS.filter((bucket) => bucket !== 'left_network').map((bucket) => [MOBILE_ONLINE_DESC[bucket], bucket]),
);

/**
 * The tenure bucket of a code and, for mobileOnline, its `desc`. The documents map
 * `desc` one to one onto the code, and `desc` cannot lose a leading zero, so when it
 * names a bucket it decides ("3" with desc "(0,3]" is under three months: the zero of
 * "03" was lost on the way). Without a usable `desc`, a JSON number 3 is refused: it
 * may be "03" (0-3 months) or "3" (24+), the two ends of the scale.
 */
export function decodeTenure(encoding: TenureEncoding, code: unknown, desc?: string): TenureBucket | undefined {
  const raw = text(code);
  if (encoding === 'cmccSha256') {
    // The sha256 encoding has no leading-zero codes, so "05" and 5 can only mean 5.
    return raw !== undefined && /^\d+$/.test(raw) ? bucketOfTenureCode('cmccSha256', String(Number(raw))) : undefined;
  }
  const byDesc = desc ? tenureFromDesc(desc) : undefined;
  if (byDesc) return byDesc;
  if (raw === undefined) return undefined;
  if (typeof code === 'number') {
    // JSON numbers have no leading zero: 4 can only be "04", 1, 2 and 99 are unambiguous.
    if (code === 3) return undefined;
    return code === 4 ? '3-6' : bucketOfTenureCode('mobileOnline', raw);
  }
  return bucketOfTenureCode('mobileOnline', raw);
}

function tenureFromDesc(desc: string): TenureBucket | undefined {
  const normalized = desc.replace(/\s+/g, '').replace(/，/g, ',').replace(/（/g, '(').replace(/）/g, ')');
  const bucket = TENURE_BY_DESC.get(normalized);
  if (bucket) return bucket;
  if (normalized.includes('离网') || normalized.includes('异常')) return 'left_network';
  return undefined;
}

// ---- resale -------------------------------------------------------------------------

const RESALE_BY_RES: Record<string, Resale> = {
  '1': 'recycled', // 是二次放号: activated after the date
  '2': 'not_recycled', // 不是二次放号: activated on or before the date
  '3': 'no_activation_date', // 无入网时间
};

// ---- call minutes -------------------------------------------------------------------

/**
 * ctccCallduration codes 0-11 read in the order of the document's field list:
 * 0, (0,1], (5,10], (10,20], (20,35], (35,55], (55,80], (80,115], (115,160],
 * (160,230], (230,360], 360+. The list has twelve labels for the twelve codes; the
 * example's comments ("1" = (5,10], "0" = (0,1]) would leave code 11 without a label
 * and no code for a silent line, so the list wins. The list skips (1,5]; we keep the
 * labels as documented and always keep the raw code. See docs/juhe-api.md.
 */
export const CALL_MINUTES_BUCKETS: readonly Omit<CallMinutesBucket, 'raw'>[] = [
  { label: '0', minMinutes: 0, maxMinutes: 0 },
  { label: '(0,1]', minMinutes: 0, maxMinutes: 1 },
  { label: '(5,10]', minMinutes: 5, maxMinutes: 10 },
  { label: '(10,20]', minMinutes: 10, maxMinutes: 20 },
  { label: '(20,35]', minMinutes: 20, maxMinutes: 35 },
  { label: '(35,55]', minMinutes: 35, maxMinutes: 55 },
  { label: '(55,80]', minMinutes: 55, maxMinutes: 80 },
  { label: '(80,115]', minMinutes: 80, maxMinutes: 115 },
  { label: '(115,160]', minMinutes: 115, maxMinutes: 160 },
  { label: '(160,230]', minMinutes: 160, maxMinutes: 230 },
  { label: '(230,360]', minMinutes: 230, maxMinutes: 360 },
  { label: '360+', minMinutes: 360, maxMinutes: null },
];

export function decodeCallMinutes(code: unknown): CallMinutesBucket | undefined {
  const raw = text(code);
  if (raw === undefined || !/^\d{1,2}$/.test(raw)) return undefined;
  const bucket = CALL_MINUTES_BUCKETS[Number(raw)];
  return bucket ? { raw, ...bucket } : undefined;
}

// ---- location -----------------------------------------------------------------------

function decodeLocation(result: Record<string, unknown>): LocationSignal {
  const province = text(result.province);
  const city = text(result.city);
  const ispRaw = text(result.isp);
  const carrier = carrierFromIsp(ispRaw);
  return {
    ...(province ? { province } : {}),
    ...(city ? { city } : {}),
    ...(carrier ? { carrier } : {}),
    ...(ispRaw ? { ispRaw } : {}),
  };
}

function withLocation(signals: Signals, location: LocationSignal): Signals {
  return Object.keys(location).length > 0 ? { ...signals, location } : signals;
}

// ---- helpers ------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string or finite number as trimmed text; anything else is undefined. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function toInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value.trim());
  return undefined;
}

function preview(body: string): string {
  // Never let a number the service echoed back reach an error message.
  const flat = body.replace(/\s+/g, ' ').trim().replace(/\d{11}/g, (digits) => `${digits.slice(0, 3)}****${digits.slice(-4)}`);
  return JSON.stringify(flat.length > 80 ? `${flat.slice(0, 80)}…` : flat);
}
