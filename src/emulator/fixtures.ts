/**
 * Fixtures: exact answers pinned for given numbers, over the seeded world. A JSON
 * object keyed by the 11-digit number; every field is optional and anything not
 * pinned is derived from the seed as usual. Keys starting with `$` are comments.
 *
 * ```json
 * {
 *   "$comment": "demo numbers",
 *   "13800138000": {
 *     "carrier": "ctcc",                                  // ported: answer as China Telecom
 *     "province": "广东", "city": "深圳",
 *     "status": { "state": "1" },                          // 0..4, description optional
 *     "tenure": { "bucket": "0-3" },                       // or { "code": "03" } (mobileOnline code)
 *     "resale": { "activated": "20240101" },               // or { "activated": null } -> res 3
 *     "callDuration": { "calling": "5", "called": "3" },   // codes 0..11
 *     "error": { "status": 224915, "callDuration": 232403 } // a code answered instead, per API
 *   }
 * }
 * ```
 * The tenure bucket drives both tenure APIs, each in its own encoding.
 */
import { readFile } from 'node:fs/promises';
import { API_IDS, isApiId, type ApiId } from '../juhe/catalogue.js';
import { TENURE_BUCKETS, type TenureBucket } from '../juhe/model.js';
import { bucketOfTenureCode } from '../juhe/tenure-codes.js';
import { CARRIERS, type Carrier } from '../phone/carrier.js';
import { maskMobile } from '../phone/mask.js';
import { lookupPrefix } from '../phone/prefixes.js';
import { apisAnswering } from './api-codes.js';
import { isCalendarDate } from '../shared/calendar-date.js';

/** `state` of mobile_status: 0 正常使用, 1 停机, 2 在网但不可用, 3 不在网, 4 预销户. */
export const LINE_STATES = ['0', '1', '2', '3', '4'] as const;
export type LineState = (typeof LINE_STATES)[number];

/** The fixture file's JSON, as written. */
export type FixtureMap = Readonly<Record<string, unknown>>;

/** One number's pinned facts, checked and normalized. */
export interface PinnedFacts {
  carrier?: Carrier;
  province?: string;
  city?: string;
  state?: LineState;
  stateDescription?: string;
  tenure?: TenureBucket;
  /** yyyymmdd, or null for "no activation date" (res 3). */
  activated?: string | null;
  callingCode?: number;
  calledCode?: number;
  /** Codes answered instead of the data, per API. */
  errors?: Partial<Record<ApiId, number>>;
}

export class FixtureError extends Error {
  readonly code = 'RISKSCREEN_EMULATOR_FIXTURES';
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`fixtures ${source}: ${message}`);
    this.name = 'FixtureError';
  }
}

export async function loadFixturesFile(file: string): Promise<Map<string, PinnedFacts>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new FixtureError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FixtureError(file, `is not JSON (${(err as Error).message})`);
  }
  return parseFixtures(json, file);
}

/** Check and normalize a fixtures object. Numbers in messages are masked. */
export function parseFixtures(json: unknown, source = 'option'): Map<string, PinnedFacts> {
  if (!isRecord(json)) throw new FixtureError(source, 'must be a JSON object keyed by 11-digit numbers');
  const pinned = new Map<string, PinnedFacts>();
  for (const [mobile, entry] of Object.entries(json)) {
    if (mobile.startsWith('$')) continue;
    const where = `entry ${maskMobile(mobile)}`;
    const fail = (message: string): never => {
      throw new FixtureError(source, `${where}: ${message}`);
    };
    if (!/^1\d{10}$/.test(mobile) || !lookupPrefix(mobile)) fail('the key is not an allocated 11-digit mobile number');
    if (!isRecord(entry)) fail('must be an object');
    const record = entry as Record<string, unknown>;
    const known = new Set(['carrier', 'province', 'city', 'status', 'tenure', 'resale', 'callDuration', 'error']);
    for (const field of Object.keys(record)) if (!known.has(field)) fail(`unknown field "${field}"`);

    const facts: PinnedFacts = {};
    if (record.carrier !== undefined) {
      if (!(CARRIERS as readonly unknown[]).includes(record.carrier)) fail(`carrier must be one of ${CARRIERS.join(', ')}`);
      facts.carrier = record.carrier as Carrier;
    }
    for (const field of ['province', 'city'] as const) {
      const value = record[field];
      if (value === undefined) continue;
      if (typeof value !== 'string' || value === '') fail(`${field} must be a non-empty string`);
      facts[field] = value as string;
    }
    if (record.status !== undefined) {
      const status = objectField(record.status, 'status', fail);
      const state = codeText(status.state);
      if (state === undefined || !(LINE_STATES as readonly string[]).includes(state)) fail('status.state must be "0".."4"');
      facts.state = state as LineState;
      if (status.description !== undefined) {
        if (typeof status.description !== 'string') fail('status.description must be a string');
        facts.stateDescription = status.description as string;
      }
    }
    if (record.tenure !== undefined) {
      const tenure = objectField(record.tenure, 'tenure', fail);
      if (tenure.bucket !== undefined) {
        if (!(TENURE_BUCKETS as readonly unknown[]).includes(tenure.bucket)) fail(`tenure.bucket must be one of ${TENURE_BUCKETS.join(', ')}`);
        facts.tenure = tenure.bucket as TenureBucket;
      } else {
        const code = codeText(tenure.code);
        const bucket = code === undefined ? undefined : bucketOfTenureCode('mobileOnline', code);
        if (!bucket) fail('tenure needs "bucket" (0-3, 3-6, 6-12, 12-24, 24+, left_network) or a mobileOnline "code" (03, 04, 1, 2, 3, 99)');
        facts.tenure = bucket;
      }
    }
    if (record.resale !== undefined) {
      const resale = objectField(record.resale, 'resale', fail);
      if (!('activated' in resale)) fail('resale needs "activated": "yyyymmdd" or null');
      if (resale.activated === null) facts.activated = null;
      else if (typeof resale.activated === 'string' && isCalendarDate(resale.activated)) facts.activated = resale.activated;
      else fail('resale.activated must be a date as yyyymmdd or null');
    }
    if (record.callDuration !== undefined) {
      const minutes = objectField(record.callDuration, 'callDuration', fail);
      for (const [field, target] of [
        ['calling', 'callingCode'],
        ['called', 'calledCode'],
      ] as const) {
        if (minutes[field] === undefined) continue;
        const code = codeText(minutes[field]);
        if (code === undefined || !/^(?:\d|1[01])$/.test(code)) fail(`callDuration.${field} must be a code "0".."11"`);
        facts[target] = Number(code);
      }
    }
    if (record.error !== undefined) {
      const errors = objectField(record.error, 'error', fail);
      facts.errors = {};
      for (const [api, value] of Object.entries(errors)) {
        if (!isApiId(api)) fail(`error.${api}: not an API (${API_IDS.join(', ')})`);
        const apis = typeof value === 'number' ? apisAnswering(value) : [];
        if (apis.length === 0) fail(`error.${api}: ${JSON.stringify(value)} is not a documented error code`);
        if (!apis.includes(api as ApiId)) fail(`error.${api}: ${String(value)} belongs to another API`);
        facts.errors[api as ApiId] = value as number;
      }
    }
    pinned.set(mobile, facts);
  }
  return pinned;
}

function objectField(value: unknown, name: string, fail: (message: string) => never): Record<string, unknown> {
  if (!isRecord(value)) fail(`${name} must be an object`);
  return value as Record<string, unknown>;
}

/** A code written as "1" or 1. */
function codeText(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
