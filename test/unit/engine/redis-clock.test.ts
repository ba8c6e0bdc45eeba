import { describe, expect, it } from 'vitest';
import { RedisClock } from '../../../src/engine/redis-clock.js';

describe('RedisClock', () => {
  it('places a Redis moment on the local clock from the fastest round trip, so a reply read late does not shift it', () => {
    // Redis's clock runs 1,000,000 ms ahead of the local one.
    const clock = new RedisClock(() => 0);
    clock.observe(1_000_100.5, 100, 101); // a fast round trip: Redis read its clock at ~100.5
    clock.observe(1_000_200, 150, 240); // the reply sat 40 ms in a busy event loop
    expect(clock.toLocal(1_000_300)).toBeCloseTo(300, 0);
  });

  it('forgets old samples, so a clock that was stepped is followed', () => {
    const clock = new RedisClock(() => 0, 4);
    clock.observe(1_000_000, 0, 0.2); // offset 1,000,000, a very fast sample
    for (let t = 10; t < 60; t += 10) clock.observe(2_000_000 + t + 1, t, t + 2); // Redis stepped by +1,000,000
    expect(clock.toLocal(2_000_100)).toBeCloseTo(100, 0);
  });

  it('refuses to answer before any sample', () => {
    expect(() => new RedisClock().toLocal(1)).toThrow(/before any sample/);
  });
});
