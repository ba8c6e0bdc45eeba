import { describe, expect, it } from 'vitest';
import { MobileIndex } from '../../../src/input/dedupe.js';

describe('MobileIndex', () => {
  it('claims a number once and remembers where it was first seen', () => {
    const index = new MobileIndex();
    expect(index.claim(13800138000, 0)).toBe(-1);
    expect(index.claim(13900139000, 1)).toBe(-1);
    expect(index.claim(13800138000, 2)).toBe(0);
    expect(index.claim(13800138000, 3)).toBe(0);
    expect(index.firstIndexOf(13900139000)).toBe(1);
    expect(index.firstIndexOf(18600186000)).toBe(-1);
    expect(index.size).toBe(2);
  });

  it('keeps every number through growth, consecutive numbers included', () => {
    const index = new MobileIndex(16);
    const count = 200_000;
    let wrong = 0;
    for (let i = 0; i < count; i++) if (index.claim(13800000000 + i, i) !== -1) wrong++;
    expect(wrong).toBe(0);
    expect(index.size).toBe(count);
    for (let i = 0; i < count; i += 997) expect(index.firstIndexOf(13800000000 + i)).toBe(i);
    for (let i = 0; i < count; i += 991) expect(index.claim(13800000000 + i, count + i)).toBe(i);
    expect(index.size).toBe(count);
    expect(index.firstIndexOf(13800000000 + count)).toBe(-1);
  });

  it('holds numbers above 2^32 exactly (every 11-digit mobile is)', () => {
    const index = new MobileIndex();
    // Same low 32 bits, different high bits: must not be confused.
    const a = 19999999999;
    const b = a - 4294967296;
    expect(index.claim(a, 5)).toBe(-1);
    expect(index.claim(b, 6)).toBe(-1);
    expect(index.firstIndexOf(a)).toBe(5);
    expect(index.firstIndexOf(b)).toBe(6);
  });

  it('refuses what is not a positive whole number', () => {
    const index = new MobileIndex();
    expect(() => index.claim(0, 0)).toThrow(RangeError);
    expect(() => index.claim(Number.NaN, 0)).toThrow(RangeError);
    expect(() => index.claim(1.5, 0)).toThrow(RangeError);
  });
});
