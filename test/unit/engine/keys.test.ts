import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/shared/config-error.js';
import { deriveEngineKeys, numberHash, openNumber, sealNumber, SealError } from '../../../src/engine/keys.js';

const keys = deriveEngineKeys('unit-test-secret', undefined);

describe('numberHash', () => {
  it('is stable across calls and across key derivations from the same secret', () => {
    const again = deriveEngineKeys('unit-test-secret', 'some-juhe-key');
    expect(numberHash(keys, '13800138000')).toBe(numberHash(keys, '13800138000'));
    // RISKSCREEN_SECRET wins over JUHE_KEY: every process with the secret agrees.
    expect(numberHash(again, '13800138000')).toBe(numberHash(keys, '13800138000'));
    expect(numberHash(keys, '13800138000', '20240101')).toBe(numberHash(keys, '13800138000', '20240101'));
  });

  it('differs per key, per number and per date', () => {
    const other = deriveEngineKeys('another-secret', undefined);
    const fromJuheKey = deriveEngineKeys(undefined, 'juhe-key-1');
    const hashes = new Set([
      numberHash(keys, '13800138000'),
      numberHash(other, '13800138000'),
      numberHash(fromJuheKey, '13800138000'),
      numberHash(deriveEngineKeys(undefined, 'juhe-key-2'), '13800138000'),
      numberHash(keys, '13800138001'),
      numberHash(keys, '13800138000', '20240101'),
      numberHash(keys, '13800138000', '20240102'),
    ]);
    expect(hashes.size).toBe(7);
  });

  it('treats a null or empty date as no date', () => {
    expect(numberHash(keys, '13800138000', null)).toBe(numberHash(keys, '13800138000'));
    expect(numberHash(keys, '13800138000', '')).toBe(numberHash(keys, '13800138000'));
  });

  it('is 22 characters of base64url, never all digits, never a ":"', () => {
    for (let i = 0; i < 2_000; i++) {
      const mobile = `1${String(3_800_000_000 + i * 7_919).padStart(10, '0')}`;
      const hash = numberHash(keys, mobile, i % 3 === 0 ? '20240101' : null);
      expect(hash).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(hash).not.toMatch(/^\d+$/);
      expect(hash).not.toContain(':');
      expect(hash).not.toContain(mobile);
    }
  });
});

describe('sealNumber / openNumber', () => {
  it('round-trips, and never shows the number', () => {
    const sealed = sealNumber(keys, '13800138000');
    expect(sealed).not.toContain('13800138000');
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(openNumber(keys, sealed)).toBe('13800138000');
  });

  it('seals the same number differently each time (random IV), both open', () => {
    const a = sealNumber(keys, '18912345678');
    const b = sealNumber(keys, '18912345678');
    expect(a).not.toBe(b);
    expect(openNumber(keys, a)).toBe('18912345678');
    expect(openNumber(keys, b)).toBe('18912345678');
  });

  it('throws SealError under another secret, naming RISKSCREEN_SECRET', () => {
    const sealed = sealNumber(keys, '13800138000');
    const other = deriveEngineKeys('another-secret', undefined);
    expect(() => openNumber(other, sealed)).toThrow(SealError);
    expect(() => openNumber(other, sealed)).toThrow(/RISKSCREEN_SECRET/);
  });

  it('throws SealError for a tampered or truncated payload', () => {
    const sealed = sealNumber(keys, '13800138000');
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    expect(() => openNumber(keys, bytes.toString('base64url'))).toThrow(SealError);
    expect(() => openNumber(keys, sealed.slice(0, 10))).toThrow(SealError);
    expect(() => openNumber(keys, '')).toThrow(SealError);
  });
});

describe('deriveEngineKeys', () => {
  it('without a secret and without a Juhe key throws a ConfigError naming RISKSCREEN_SECRET', () => {
    let caught: unknown;
    try {
      deriveEngineKeys(undefined, undefined);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).option).toBe('RISKSCREEN_SECRET');
    expect((caught as ConfigError).message).toMatch(/^RISKSCREEN_SECRET: .*JUHE_KEY/);
    expect(() => deriveEngineKeys(undefined, '')).toThrow(ConfigError);
  });

  it('gives two different 32-byte keys', () => {
    expect(keys.hashKey).toHaveLength(32);
    expect(keys.sealKey).toHaveLength(32);
    expect(keys.hashKey.equals(keys.sealKey)).toBe(false);
  });
});
