import { describe, expect, it } from 'vitest';
import { retryDelay } from '../../../src/engine/control.js';
import { RETRY_SERVICE_DOWN, RETRY_SOURCE_FLAKY } from '../../../src/juhe/error-policy.js';

const advice = { maxAttempts: 6, baseDelayMs: 1_000, maxDelayMs: 10_000 };

describe('retryDelay', () => {
  it('waits between half and all of base * 2^(n-1)', () => {
    // random 0 gives the floor, random just under 1 the ceiling.
    expect(retryDelay(advice, 1, () => 0)).toBe(500);
    expect(retryDelay(advice, 1, () => 0.999_999)).toBe(1_000);
    expect(retryDelay(advice, 2, () => 0)).toBe(1_000);
    expect(retryDelay(advice, 2, () => 0.999_999)).toBe(2_000);
    expect(retryDelay(advice, 3, () => 0.5)).toBe(3_000);
    expect(retryDelay(advice, 4, () => 0)).toBe(4_000);
    expect(retryDelay(advice, 4, () => 0.999_999)).toBe(8_000);
  });

  it('is capped at maxDelayMs (the cap applies before the jitter)', () => {
    // attempt 5: 16 s uncapped -> 10 s ceiling, 5 s floor.
    expect(retryDelay(advice, 5, () => 0)).toBe(5_000);
    expect(retryDelay(advice, 5, () => 0.999_999)).toBe(10_000);
    const big = { maxAttempts: 100, baseDelayMs: 1_000, maxDelayMs: 60_000 };
    expect(retryDelay(big, 40, () => 0.999_999)).toBe(60_000);
  });

  it('stays within the bounds for any random draw', () => {
    for (const a of [advice, RETRY_SOURCE_FLAKY, RETRY_SERVICE_DOWN]) {
      for (let n = 1; n < a.maxAttempts; n++) {
        const ceiling = Math.min(a.maxDelayMs, a.baseDelayMs * 2 ** (n - 1));
        for (const r of [0, 0.1, 0.37, 0.5, 0.81, 0.999]) {
          const delay = retryDelay(a, n, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(delay).toBeLessThanOrEqual(ceiling);
        }
      }
    }
  });

  it('is -1 once the attempts are used up', () => {
    expect(retryDelay(advice, 5, () => 0)).toBeGreaterThan(0);
    expect(retryDelay(advice, 6, () => 0)).toBe(-1);
    expect(retryDelay(advice, 7, () => 0)).toBe(-1);
    expect(retryDelay({ maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, 1, () => 0)).toBe(-1);
    expect(retryDelay({ maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, 2, () => 0)).toBe(1);
    expect(retryDelay({ maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, 3, () => 0)).toBe(-1);
  });

  it('uses Math.random by default and still respects the bounds', () => {
    for (let i = 0; i < 200; i++) {
      const delay = retryDelay(advice, 3);
      expect(delay).toBeGreaterThanOrEqual(2_000);
      expect(delay).toBeLessThanOrEqual(4_000);
    }
  });
});
