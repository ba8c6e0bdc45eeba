import { describe, expect, it } from 'vitest';
import { resolveEmulatorOptions } from '../../../src/emulator/options.js';
import { ErrorInjector, Latency, Quota, SameNumberWindow, SlidingWindowLimiter } from '../../../src/emulator/faults.js';
import { SeededRandom } from '../../../src/emulator/prng.js';

describe('faults', () => {
  it('draws latency fixed or uniformly in the range, reproducibly', () => {
    expect(new Latency({ minMs: 30, maxMs: 30 }, new SeededRandom('x')).nextMs()).toBe(30);
    const draws = Array.from({ length: 2_000 }, ((latency) => () => latency.nextMs())(new Latency({ minMs: 10, maxMs: 20 }, new SeededRandom('x'))));
    expect(Math.min(...draws)).toBe(10);
    expect(Math.max(...draws)).toBe(20);
    const again = Array.from({ length: 2_000 }, ((latency) => () => latency.nextMs())(new Latency({ minMs: 10, maxMs: 20 }, new SeededRandom('x'))));
    expect(again).toEqual(draws);
  });

  it('injects each code with its own probability, only on the APIs it belongs to', () => {
    const { errorRates } = resolveEmulatorOptions({ errorRates: '224805=0.2,224808=0.1,10014=0.05' });
    const injector = new ErrorInjector(errorRates, new SeededRandom('rates'));
    const counts = new Map<number | undefined, number>();
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      const code = injector.draw('tenure');
      counts.set(code, (counts.get(code) ?? 0) + 1);
    }
    expect((counts.get(224805) ?? 0) / n).toBeCloseTo(0.2, 1);
    expect(Math.abs((counts.get(224805) ?? 0) / n - 0.2)).toBeLessThan(0.01);
    expect(Math.abs((counts.get(224808) ?? 0) / n - 0.1)).toBeLessThan(0.01);
    expect(Math.abs((counts.get(10014) ?? 0) / n - 0.05)).toBeLessThan(0.01);
    for (let i = 0; i < 5_000; i++) expect([undefined, 10014]).toContain(injector.draw('status'));
    const always = new ErrorInjector(resolveEmulatorOptions({ errorRates: '232401=1' }).errorRates, new SeededRandom('r'));
    expect(always.draw('callDuration')).toBe(232401);
    expect(always.draw('resale')).toBeUndefined();
  });

  it('limits calls per key over any sliding second, not counting refusals', () => {
    const limiter = new SlidingWindowLimiter(3, 1_000);
    expect([0, 100, 200, 300].map((t) => limiter.tryAcquire('k', t))).toEqual([true, true, true, false]);
    expect(limiter.tryAcquire('other', 300)).toBe(true); // per key
    expect(limiter.tryAcquire('k', 999)).toBe(false);
    expect(limiter.tryAcquire('k', 1_000)).toBe(true); // the call at 0 left the window
    expect(limiter.tryAcquire('k', 1_050)).toBe(false);
    expect(limiter.tryAcquire('k', 1_100)).toBe(true);
    limiter.reset();
    expect(limiter.tryAcquire('k', 1_101)).toBe(true);
  });

  it('exhausts the quota at exactly N billed calls', () => {
    const quota = new Quota(2);
    expect([0, 1, 2, 3].map((billed) => quota.isExhausted(billed))).toEqual([false, false, true, true]);
    expect(new Quota(0).isExhausted(0)).toBe(true);
  });

  it('refuses the same number within the window, measured from the last accepted ask', () => {
    const window = new SameNumberWindow(1_000);
    expect(window.isTooSoon('a', 0)).toBe(false);
    expect(window.isTooSoon('b', 10)).toBe(false);
    expect(window.isTooSoon('a', 500)).toBe(true);
    expect(window.isTooSoon('a', 999)).toBe(true); // refusals do not restart the window
    expect(window.isTooSoon('a', 1_000)).toBe(false);
    expect(window.isTooSoon('a', 1_500)).toBe(true);
  });

  it('keeps the window map small on long runs', () => {
    const window = new SameNumberWindow(10);
    for (let i = 0; i < 250_000; i++) window.isTooSoon(`n${i}`, i);
    expect(window.size).toBeLessThan(110_000);
  });
});
