import { describe, expect, it } from 'vitest';
import { md5Hex, sha256Hex } from '../../../src/juhe/ciphers.js';
import { CompactTable, digestKey, RowTable } from '../../../src/emulator/compact-table.js';
import { ReverseIndex } from '../../../src/emulator/reverse-index.js';

describe('reverse index', () => {
  it('maps both hashes back to a known number, and nothing else', () => {
    const index = new ReverseIndex();
    expect(index.remember('13800138000')).toBe(true);
    expect(index.remember('13800138000')).toBe(false); // already known
    expect(index.numberForSha256(sha256Hex('13800138000'))).toBe('13800138000');
    expect(index.numberForMd5(md5Hex('13800138000'))).toBe('13800138000');
    expect(index.numberForSha256(sha256Hex('13800138001'))).toBeUndefined();
    expect(index.numberForMd5(md5Hex('13800138001'))).toBeUndefined();
    expect(index.size).toBe(1);
  });

  it('builds the md5 side only when the first md5 is looked up, and keeps it current after', () => {
    const index = new ReverseIndex();
    index.rememberAll(Array.from({ length: 1_000 }, (_, i) => String(13800000000 + i)));
    const sha256Only = index.bytes;
    expect(index.md5Built).toBe(false);
    expect(index.numberForSha256(sha256Hex('13800000007'))).toBe('13800000007');
    expect(index.md5Built).toBe(false);
    expect(index.numberForMd5(md5Hex('13800000007'))).toBe('13800000007');
    expect(index.md5Built).toBe(true);
    expect(index.bytes).toBeGreaterThan(sha256Only);
    expect(index.rememberAll(['13900139000', '13800000007'])).toBe(1);
    expect(index.numberForMd5(md5Hex('13900139000'))).toBe('13900139000');
    expect(index.numberForMd5(md5Hex('13800000007'))).toBe('13800000007');
  });

  it('never maps a hash to the wrong number, and finds every number sharing a 32-bit prefix', () => {
    // Among 300,000 numbers two sha256 share their first 32 bits with near certainty (birthday bound).
    const seen = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; i < 300_000 && !pair; i++) {
      const mobile = String(13_000_000_000 + i);
      const prefix = sha256Hex(mobile).slice(0, 8);
      const other = seen.get(prefix);
      if (other) pair = [other, mobile];
      else seen.set(prefix, mobile);
    }
    expect(pair).toBeDefined();
    const [a, b] = pair!;
    const index = new ReverseIndex();
    index.rememberAll([a, '13900139000', b, a]);
    expect(index.size).toBe(3);
    expect(index.numberForSha256(sha256Hex(a))).toBe(a);
    expect(index.numberForSha256(sha256Hex(b))).toBe(b);
    // A digest with a known number's prefix but another tail names no number.
    const impostor = `${sha256Hex(a).slice(0, 8)}${'0'.repeat(56)}`;
    expect(index.numberForSha256(impostor)).toBeUndefined();
  });

  it('finds numbers whatever order the batches came in, duplicates within and across batches dropped', () => {
    const all = Array.from({ length: 30_000 }, (_, i) => String(13_000_000_000 + i * 104_729));
    const index = new ReverseIndex();
    expect(index.rememberAll(all.slice(0, 20_000))).toBe(20_000);
    expect(index.rememberAll([...all.slice(10_000), ...all.slice(25_000)])).toBe(10_000);
    expect(index.size).toBe(30_000);
    for (const mobile of all.filter((_, i) => i % 97 === 0)) {
      expect(index.numberForSha256(sha256Hex(mobile))).toBe(mobile);
      expect(index.numberForMd5(md5Hex(mobile))).toBe(mobile);
    }
    expect(index.numberForSha256(sha256Hex('13000000001'))).toBeUndefined();
  });

  it('keeps a million numbers in 12 bytes each', () => {
    const index = new ReverseIndex();
    const numbers = Array.from({ length: 1_000_000 }, (_, i) => String(13800000000 + i * 7));
    index.rememberAll(numbers);
    expect(index.size).toBe(1_000_000);
    expect(index.bytes).toBe(12 * 1_000_000);
    expect(index.numberForSha256(sha256Hex(numbers[999_999]!))).toBe(numbers[999_999]);
  }, 30_000);
});

describe('compact table', () => {
  it('stores, overwrites and finds 64-bit keys, growing as needed', () => {
    const table = new CompactTable(Uint32Array);
    for (let i = 1; i <= 5_000; i++) table.set(i * 2_654_435_761 >>> 0, i, i + 1);
    expect(table.size).toBe(5_000);
    for (let i = 1; i <= 5_000; i++) expect(table.get(i * 2_654_435_761 >>> 0, i)).toBe(i + 1);
    expect(table.get(1, 999_999)).toBeUndefined();
    table.set(0, 0, 7); // the empty marker's key is still a key
    expect(table.get(0, 0)).toBe(7);
    table.set(3 * 2_654_435_761 >>> 0, 3, 99);
    expect(table.get(3 * 2_654_435_761 >>> 0, 3)).toBe(99);
    expect(table.size).toBe(5_001);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get(0, 0)).toBeUndefined();
  });

  it('gives one digest distinct keys under distinct tags', () => {
    const hex = sha256Hex('13800138000');
    const keys = new Set<string>();
    for (let tag = 0; tag < 2_000; tag++) keys.add(digestKey(hex, tag).join(':'));
    expect(keys.size).toBe(2_000);
  });
});

describe('row table', () => {
  it('keeps several rows under one key and returns the first the caller accepts', () => {
    const table = new RowTable();
    table.add(42, 0);
    table.add(42, 7);
    table.add(43, 9);
    expect(table.find(42, () => true)).toBe(0);
    expect(table.find(42, (row) => row === 7)).toBe(7);
    expect(table.find(42, (row) => row === 9)).toBeUndefined();
    expect(table.find(43, (row) => row === 9)).toBe(9);
    expect(table.find(44, () => true)).toBeUndefined();
    for (let row = 10; row < 20_000; row++) table.add(row % 500, row);
    expect(table.size).toBe(20_000 - 10 + 3);
    expect(table.find(42, (row) => row === 19_542)).toBe(19_542);
    expect(table.find(42, (row) => row === 7)).toBe(7);
    expect(table.bytes / table.size).toBeLessThanOrEqual(8 / 0.375);
    table.clear();
    expect(table.find(42, () => true)).toBeUndefined();
  });
});
