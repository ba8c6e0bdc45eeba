import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/juhe/ciphers.js';
import { resolveEmulatorOptions } from '../../../src/emulator/options.js';
import { AttemptCounter, ErrorInjector, Latency, Quota, SameNumberWindow, SlidingWindowLimiter } from '../../../src/emulator/faults.js';
import { keyedUniform, SeededRandom } from '../../../src/emulator/prng.js';

const digest = (mobile: string): { kind: 'sha256'; hex: string } => ({ kind: 'sha256', hex: sha256Hex(mobile) });

describe('faults', () => {
  it('picks latency fixed or uniformly in the range', () => {
    expect(new Latency({ minMs: 30, maxMs: 30 }).fixed).toBe(true);
    expect(new Latency({ minMs: 30, maxMs: 30 }).pickMs(0.7)).toBe(30);
    const latency = new Latency({ minMs: 10, maxMs: 20 });
    expect(latency.fixed).toBe(false);
    expect([0, 0.0909, 0.0910, 0.5, 0.999999].map((u) => latency.pickMs(u))).toEqual([10, 10, 11, 15, 20]);
    const random = new SeededRandom('x');
    const draws = Array.from({ length: 2_000 }, () => latency.pickMs(random.next()));
    expect(Math.min(...draws)).toBe(10);
    expect(Math.max(...draws)).toBe(20);
  });

  it('injects each code with its own probability, only on the APIs it belongs to', () => {
    const { errorRates } = resolveEmulatorOptions({ errorRates: '224805=0.2,224808=0.1,10014=0.05' });
    const injector = new ErrorInjector(errorRates);
    const counts = new Map<number | undefined, number>();
    const n = 40_000;
    const random = new SeededRandom('rates');
    for (let i = 0; i < n; i++) {
      const code = injector.pick('tenure', random.next());
      counts.set(code, (counts.get(code) ?? 0) + 1);
    }
    expect(Math.abs((counts.get(224805) ?? 0) / n - 0.2)).toBeLessThan(0.01);
    expect(Math.abs((counts.get(224808) ?? 0) / n - 0.1)).toBeLessThan(0.01);
    expect(Math.abs((counts.get(10014) ?? 0) / n - 0.05)).toBeLessThan(0.01);
    for (let i = 0; i < 5_000; i++) expect([undefined, 10014]).toContain(injector.pick('status', random.next()));
    const always = new ErrorInjector(resolveEmulatorOptions({ errorRates: '232401=1' }).errorRates);
    expect(always.injects('callDuration')).toBe(true);
    expect(always.pick('callDuration', 0.999999)).toBe(232401);
    expect(always.injects('resale')).toBe(false);
    expect(always.pick('resale', 0)).toBeUndefined();
  });

  it('draws as a pure function of seed, domain, endpoint, number, date and attempt', () => {
    const base = ['s', 'fault', 'twoSellTel/query', digest('13800138000'), '20200101', 0] as const;
    const u = keyedUniform(...base);
    expect(u).toBeGreaterThanOrEqual(0);
    expect(u).toBeLessThan(1);
    expect(keyedUniform(...base)).toBe(u);
    // Every input matters.
    const variants = [
      keyedUniform('t', 'fault', 'twoSellTel/query', digest('13800138000'), '20200101', 0),
      keyedUniform('s', 'latency', 'twoSellTel/query', digest('13800138000'), '20200101', 0),
      keyedUniform('s', 'fault', 'twoSellTel/queryEncry', digest('13800138000'), '20200101', 0),
      keyedUniform('s', 'fault', 'twoSellTel/query', digest('13800138001'), '20200101', 0),
      keyedUniform('s', 'fault', 'twoSellTel/query', { kind: 'md5', hex: sha256Hex('13800138000') }, '20200101', 0),
      keyedUniform('s', 'fault', 'twoSellTel/query', digest('13800138000'), '20200102', 0),
      keyedUniform('s', 'fault', 'twoSellTel/query', digest('13800138000'), '20200101', 1),
    ];
    expect(new Set([u, ...variants]).size).toBe(variants.length + 1);
    // Uniform enough: the mean of many draws is near 1/2.
    let sum = 0;
    for (let i = 0; i < 10_000; i++) sum += keyedUniform('s', 'fault', 'mobile_status/query', digest(String(13800000000 + i)), undefined, 0);
    expect(Math.abs(sum / 10_000 - 0.5)).toBeLessThan(0.02);
  });

  it('counts attempts per (endpoint, date, number), compactly', () => {
    const attempts = new AttemptCounter();
    const a = digest('13800138000');
    expect(attempts.peek(0, undefined, a)).toBe(0);
    expect(attempts.next(0, undefined, a)).toBe(0);
    expect(attempts.next(0, undefined, a)).toBe(1);
    expect(attempts.peek(0, undefined, a)).toBe(2);
    expect(attempts.next(1, undefined, a)).toBe(0); // another endpoint
    expect(attempts.next(6, '20200101', a)).toBe(0); // dates are separate questions
    expect(attempts.next(6, '20200102', a)).toBe(0);
    expect(attempts.next(6, '20200101', a)).toBe(1);
    expect(attempts.next(0, undefined, { kind: 'md5', hex: a.hex })).toBe(0); // a digest kind is part of the question
    for (let i = 0; i < 200_000; i++) attempts.next(0, undefined, digest(String(13900000000 + i)));
    expect(attempts.size).toBe(200_000 + 5);
    expect(attempts.peek(0, undefined, a)).toBe(2);
    // 12-byte slots, at most 3/4 full.
    expect(attempts.bytes / attempts.size).toBeLessThan(12 / 0.375 + 1);
    attempts.reset();
    expect(attempts.peek(0, undefined, a)).toBe(0);
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
