/**
 * The faults the emulator can be told to produce, each a small state machine with the
 * clock passed in (so tests drive time): latency, error injection, a per-key rate
 * limit (10011), a billed-call quota (10012) and "same number too often" (224924).
 */
import type { ApiId } from '../juhe/catalogue.js';
import type { InjectedCode, LatencyRange } from './options.js';
import type { SeededRandom } from './prng.js';

/** The delay before each answer: fixed, or uniform in the range (inclusive). */
export class Latency {
  constructor(
    private readonly range: LatencyRange,
    private readonly random: SeededRandom,
  ) {}

  nextMs(): number {
    const { minMs, maxMs } = this.range;
    return minMs === maxMs ? minMs : this.random.intBetween(minMs, maxMs);
  }
}

/**
 * Per-code error injection. One draw per call picks at most one code: with
 * `224805=0.2,224808=0.1` a tenure call gets 224805 with probability 0.2 and 224808
 * with 0.1, exactly as given (the options check the sum is at most 1 per API).
 */
export class ErrorInjector {
  constructor(
    private readonly ratesByApi: Readonly<Record<ApiId, readonly InjectedCode[]>>,
    private readonly random: SeededRandom,
  ) {}

  /** The code to answer instead of the data, or undefined. */
  draw(api: ApiId): number | undefined {
    const rates = this.ratesByApi[api];
    if (rates.length === 0) return undefined;
    let threshold = this.random.next();
    for (const { code, probability } of rates) {
      if (threshold < probability) return code;
      threshold -= probability;
    }
    return undefined;
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
