/**
 * The faults the emulator can be told to produce, each a small state machine with the
 * clock and the random draw passed in (so tests drive both): latency, error
 * injection, the attempt count that keys each question's draws, a per-key rate limit
 * (10011), a billed-call quota (10012) and "same number too often" (224924).
 */
import type { ApiId } from '../juhe/catalogue.js';
import { CompactTable, digestKey } from './compact-table.js';
import { questionTag } from './identity.js';
import type { InjectedCode, LatencyRange } from './options.js';

/** The delay before each answer: fixed, or uniform in the range (inclusive). */
export class Latency {
  constructor(private readonly range: LatencyRange) {}

  /** Whether every answer gets the same delay (no draw needed). */
  get fixed(): boolean {
    return this.range.minMs === this.range.maxMs;
  }

  /** The delay for a uniform draw `u` in [0, 1). */
  pickMs(u: number): number {
    const { minMs, maxMs } = this.range;
    return minMs === maxMs ? minMs : minMs + Math.floor(u * (maxMs - minMs + 1));
  }
}

/**
 * Per-code error injection. One draw per call picks at most one code: with
 * `224805=0.2,224808=0.1` a tenure call gets 224805 with probability 0.2 and 224808
 * with 0.1, exactly as given (the options check the sum is at most 1 per API).
 */
export class ErrorInjector {
  constructor(private readonly ratesByApi: Readonly<Record<ApiId, readonly InjectedCode[]>>) {}

  /** Whether `api` has any code to inject (no draw needed otherwise). */
  injects(api: ApiId): boolean {
    return this.ratesByApi[api].length > 0;
  }

  /** The code to answer instead of the data for a uniform draw `u` in [0, 1), or undefined. */
  pick(api: ApiId, u: number): number | undefined {
    let threshold = u;
    for (const { code, probability } of this.ratesByApi[api]) {
      if (threshold < probability) return code;
      threshold -= probability;
    }
    return undefined;
  }
}

/**
 * How many times each question (endpoint, date, number) has already been asked,
 * counting only calls that got past the checks (key, rate, quota, number, date, same
 * number window): the n in "attempt n" that keys the question's fault and latency
 * draws. A refusal does not count, so it shifts nobody's draws.
 *
 * Kept in a {@link CompactTable} keyed by 64 bits of the question (12 bytes a slot):
 * two questions share a count with probability 2^-64 a pair.
 */
export class AttemptCounter {
  private readonly table = new CompactTable(Uint32Array);

  /** Earlier counted attempts of the question. */
  peek(scope: number, date: string | undefined, digest: { kind: 'sha256' | 'md5'; hex: string }): number {
    const [hi, lo] = digestKey(digest.hex, questionTag(scope, date, digest.kind));
    return this.table.get(hi, lo) ?? 0;
  }

  /** Earlier counted attempts of the question; counts this one. */
  next(scope: number, date: string | undefined, digest: { kind: 'sha256' | 'md5'; hex: string }): number {
    const [hi, lo] = digestKey(digest.hex, questionTag(scope, date, digest.kind));
    const n = this.table.get(hi, lo) ?? 0;
    this.table.set(hi, lo, n + 1);
    return n;
  }

  get size(): number {
    return this.table.size;
  }

  get bytes(): number {
    return this.table.bytes;
  }

  reset(): void {
    this.table.clear();
  }
}

/**
 * At most `limit` accepted calls per key in any sliding window of `windowMs`. Each
 * key keeps the times of its last `limit` accepted calls in a ring: a call is refused
 * when the oldest of them is still inside the window. Refused calls do not count.
 */
export class SlidingWindowLimiter {
  private readonly rings = new Map<string, { times: Float64Array; next: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs = 1_000,
  ) {}

  /** Whether a call by `key` at `nowMs` (monotonic) is allowed; records it when it is. */
  tryAcquire(key: string, nowMs: number): boolean {
    let ring = this.rings.get(key);
    if (!ring) {
      ring = { times: new Float64Array(this.limit).fill(Number.NEGATIVE_INFINITY), next: 0 };
      this.rings.set(key, ring);
    }
    const oldest = ring.times[ring.next]!;
    if (nowMs - oldest < this.windowMs) return false;
    ring.times[ring.next] = nowMs;
    ring.next = (ring.next + 1) % this.limit;
    return true;
  }

  reset(): void {
    this.rings.clear();
  }
}

/** After `limit` billed calls every call is refused (10012). */
export class Quota {
  constructor(readonly limit: number) {}

  isExhausted(billedSoFar: number): boolean {
    return billedSoFar >= this.limit;
  }
}

/**
 * "The same number was asked too often": a number asked again less than `windowMs`
 * after its last accepted ask is refused (224924). Refusals do not restart the
 * window, so a client that waits the window after a successful ask gets through.
 */
export class SameNumberWindow {
  private readonly lastAsked = new Map<string, number>();
  /** Sweep expired entries when the map grows past this, so a long run stays small. */
  private sweepAt = 100_000;

  constructor(readonly windowMs: number) {}

  /** True when `numberKey` was accepted less than the window ago; otherwise records the ask. */
  isTooSoon(numberKey: string, nowMs: number): boolean {
    const last = this.lastAsked.get(numberKey);
    if (last !== undefined && nowMs - last < this.windowMs) return true;
    this.lastAsked.set(numberKey, nowMs);
    if (this.lastAsked.size > this.sweepAt) this.sweep(nowMs);
    return false;
  }

  /** Numbers currently remembered. */
  get size(): number {
    return this.lastAsked.size;
  }

  reset(): void {
    this.lastAsked.clear();
  }

  private sweep(nowMs: number): void {
    for (const [key, time] of this.lastAsked) if (nowMs - time >= this.windowMs) this.lastAsked.delete(key);
    this.sweepAt = Math.max(100_000, this.lastAsked.size * 2);
  }
}
