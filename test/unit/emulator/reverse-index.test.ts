import { describe, expect, it } from 'vitest';
import { md5Hex, sha256Hex } from '../../../src/juhe/ciphers.js';
import { ReverseIndex, digestPrefix } from '../../../src/emulator/reverse-index.js';

describe('reverse index', () => {
  it('maps both hashes back to the number, and nothing else', () => {
    const index = new ReverseIndex();
    index.remember('13800138000', sha256Hex('13800138000'));
    expect(index.numberForSha256(sha256Hex('13800138000'))).toBe('13800138000');
    expect(index.numberForMd5(md5Hex('13800138000'))).toBe('13800138000');
    expect(index.numberForSha256(sha256Hex('13800138001'))).toBeUndefined();
    expect(index.numberForMd5(md5Hex('13800138001'))).toBeUndefined();
    index.clear();
    expect(index.numberForSha256(sha256Hex('13800138000'))).toBeUndefined();
  });

  it('never maps a hash to the wrong number when 52-bit prefixes collide', () => {
    const index = new ReverseIndex();
    index.remember('13800138000', sha256Hex('13800138000'));
    // A different digest with the same first 13 hex digits.
    const real = sha256Hex('13800138000');
    const impostor = `${real.slice(0, 13)}${'0'.repeat(51)}`;
    expect(digestPrefix(impostor)).toBe(digestPrefix(real));
    expect(index.numberForSha256(impostor)).toBeUndefined();
  });
});
