/**
 * What became of one question (API, number[, date]), in a compact text form that the
 * batch store, the shared result cache and the report all use. A million-row batch
 * keeps a few million of these in Redis, so the encoding is a short JSON array.
 */
import type { ApiId } from '../juhe/catalogue.js';
import { decodeCallMinutes } from '../juhe/decode.js';
import type { Category } from '../juhe/error-policy.js';
import type { LocationSignal, Signals } from '../juhe/model.js';
import { carrierFromIsp } from '../phone/carrier.js';

/** Why a question was not asked. */
export const SKIP_REASONS = {
  quota_exhausted: 'the API quota was used up (10012/10013)',
  account_blocked: 'the batch was blocked by a key or account error',
  cancelled: 'the batch was cancelled',
  max_calls: 'the --max-calls limit was reached',
} as const;
export type SkipWhy = keyof typeof SKIP_REASONS;

export type TaskResult =
  /** Answered (error_code 0). Billed, unless the answer came from the cache. */
  | { kind: 'answered'; signals: Signals }
  /** The service has no record (not billed). */
  | { kind: 'no_record'; juheCode: number }
  /** Given up: not retried or retries used up. `code` is the error class's stable code. */
  | { kind: 'failed'; juheCode: number | null; category: Category; code: string; reason: string }
  /** Never asked. */
  | { kind: 'skipped'; why: SkipWhy }
  /**
   * Not asked under the staged plan, and rightly: the answer of `by` (line status) was
   * `value`, which fixes the level by itself (a hard rule to the top level, see
   * src/risk/staging.ts). Not a gap: the row is screened, the score counts it as known.
   */
  | { kind: 'decided'; by: ApiId; value: string };

type Location = [province: string, city: string, isp: string];

export function encodeTaskResult(api: ApiId, result: TaskResult): string {
  switch (result.kind) {
    case 'answered':
      return JSON.stringify(['a', ...encodeSignals(api, result.signals)]);
    case 'no_record':
      return JSON.stringify(['n', result.juheCode]);
    case 'failed':
      return JSON.stringify(['f', result.juheCode, result.category, result.code, result.reason]);
    case 'skipped':
      return JSON.stringify(['s', result.why]);
    case 'decided':
      return JSON.stringify(['d', result.by, result.value]);
  }
}

export function decodeTaskResult(api: ApiId, text: string): TaskResult {
  const parts = JSON.parse(text) as unknown[];
  switch (parts[0]) {
    case 'a':
      return { kind: 'answered', signals: decodeSignalsCompact(api, parts.slice(1) as string[]) };
    case 'n':
      return { kind: 'no_record', juheCode: parts[1] as number };
    case 'f':
      return {
        kind: 'failed',
        juheCode: parts[1] as number | null,
        category: parts[2] as Category,
        code: parts[3] as string,
        reason: parts[4] as string,
      };
    case 's':
      return { kind: 'skipped', why: parts[1] as SkipWhy };
    case 'd':
      return { kind: 'decided', by: parts[1] as ApiId, value: parts[2] as string };
    default:
      throw new Error(`not a stored task result: ${text.slice(0, 40)}`);
  }
}

/** Only answers are worth caching across batches: failures, skips and decided questions are this batch's. */
export function isCacheable(result: TaskResult): boolean {
  return result.kind === 'answered' || result.kind === 'no_record';
}

function location(signals: Signals): Location {
  const loc = signals.location;
  return [loc?.province ?? '', loc?.city ?? '', loc?.ispRaw ?? ''];
}

function encodeSignals(api: ApiId, signals: Signals): string[] {
  switch (api) {
    case 'status': {
      const s = required(signals.lineStatus, api);
      return [s.value, s.raw, ...location(signals)];
    }
    case 'tenure':
    case 'tenureCmcc': {
      const t = required(signals.tenure, api);
      return [t.value, t.raw, ...location(signals)];
    }
    case 'resale': {
      const r = required(signals.resale, api);
      return [r.value, r.raw, r.date, ...location(signals)];
    }
    case 'callDuration': {
      const c = required(signals.callMinutes, api);
      return [c.calling.raw, c.called.raw, ...location(signals)];
    }
  }
}

function decodeSignalsCompact(api: ApiId, parts: string[]): Signals {
  const loc = (from: number): { location?: LocationSignal } => {
    const [province, city, ispRaw] = parts.slice(from, from + 3);
    const carrier = carrierFromIsp(ispRaw);
    const value: LocationSignal = {
      ...(province ? { province } : {}),
      ...(city ? { city } : {}),
      ...(carrier ? { carrier } : {}),
      ...(ispRaw ? { ispRaw } : {}),
    };
    return Object.keys(value).length > 0 ? { location: value } : {};
  };
  switch (api) {
    case 'status':
      return { lineStatus: { value: parts[0] as never, raw: parts[1]! }, ...loc(2) };
    case 'tenure':
    case 'tenureCmcc':
      return {
        tenure: { value: parts[0] as never, raw: parts[1]!, encoding: api === 'tenure' ? 'mobileOnline' : 'cmccSha256' },
        ...loc(2),
      };
    case 'resale':
      return { resale: { value: parts[0] as never, raw: parts[1]!, date: parts[2]! }, ...loc(3) };
    case 'callDuration':
      return { callMinutes: { calling: decodeCallMinutes(parts[0])!, called: decodeCallMinutes(parts[1])! }, ...loc(2) };
  }
}

function required<T>(value: T | undefined, api: ApiId): T {
  if (value === undefined) throw new Error(`an answer of ${api} without its signal`);
  return value;
}
