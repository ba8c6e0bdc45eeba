import { describe, expect, it } from 'vitest';
import { md5Hex, sha256Hex } from '../../../src/juhe/ciphers.js';
import type { Identity } from '../../../src/emulator/identity.js';
import { DUPLICATE_PAIRS_SHOWN, Ledger } from '../../../src/emulator/ledger.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

function number(mobile: string, form: Identity['form'] = 'plain'): Identity {
  return { kind: 'number', mobile, sha256: sha256Hex(mobile), form };
}

describe('ledger', () => {
  it('records every call with the number as understood, or the hash, and billed only for 0', () => {
    const ledger = new Ledger();
    ledger.record({ timeMs: T0, endpoint: 'mobile_status/query', identity: number('13800138000'), errorCode: 0 });
    ledger.record({ timeMs: T0 + 1, endpoint: 'mobile_online_sha256_cmcc/query', identity: { kind: 'sha256', sha256: sha256Hex('13900139000'), form: 'sha256' }, errorCode: 0 });
    ledger.record({ timeMs: T0 + 2, endpoint: 'twoSellTel/queryEncry', identity: { kind: 'md5', md5: md5Hex('13900139000'), form: 'md5+aes' }, date: '20200101', errorCode: 232701 });
    ledger.record({ timeMs: T0 + 3, endpoint: 'mobile_status/queryEncry', identity: undefined, errorCode: 10004 });
    expect([...ledger.entries()]).toEqual([
      { seq: 0, time: '2025-01-02T03:04:05.678Z', endpoint: 'mobile_status/query', form: 'plain', mobile: '13800138000', hash: null, hash_type: null, date: null, error_code: 0, billed: true },
      { seq: 1, time: '2025-01-02T03:04:05.679Z', endpoint: 'mobile_online_sha256_cmcc/query', form: 'sha256', mobile: null, hash: sha256Hex('13900139000'), hash_type: 'sha256', date: null, error_code: 0, billed: true },
      { seq: 2, time: '2025-01-02T03:04:05.680Z', endpoint: 'twoSellTel/queryEncry', form: 'md5+aes', mobile: null, hash: md5Hex('13900139000'), hash_type: 'md5', date: '20200101', error_code: 232701, billed: false },
      { seq: 3, time: '2025-01-02T03:04:05.681Z', endpoint: 'mobile_status/queryEncry', form: null, mobile: null, hash: null, hash_type: null, date: null, error_code: 10004, billed: false },
    ]);
    expect([...ledger.entries(1, 2)].map((e) => e.seq)).toEqual([1, 2]);
    expect(ledger.stats()).toEqual({
      calls: 4,
      billed: 2,
      byEndpoint: {
        'mobile_status/query': { '0': 1 },
        'mobile_online_sha256_cmcc/query': { '0': 1 },
        'twoSellTel/queryEncry': { '232701': 1 },
        'mobile_status/queryEncry': { '10004': 1 },
      },
      byCode: { '0': 2, '232701': 1, '10004': 1 },
      duplicateBilled: 0,
      duplicateBilledCalls: 0,
      duplicateBilledPairs: [],
    });
  });

  it('finds (endpoint, number) pairs billed twice, across forms and hash/clear, but not other endpoints or unbilled calls', () => {
    const ledger = new Ledger();
    const sha = sha256Hex('13800138000');
    // Same number, same endpoint, different forms: one pair billed three times.
    ledger.record({ timeMs: T0, endpoint: 'twoSellTel/queryEncry', identity: { kind: 'sha256', sha256: sha, form: 'sha256' }, errorCode: 0 });
    ledger.record({ timeMs: T0, endpoint: 'twoSellTel/queryEncry', identity: number('13800138000', 'aes'), errorCode: 0 });
    ledger.record({ timeMs: T0, endpoint: 'twoSellTel/queryEncry', identity: number('13800138000', 'md5+aes'), errorCode: 0 });
    // Other endpoint, an unbilled repeat, an md5 pair.
    ledger.record({ timeMs: T0, endpoint: 'twoSellTel/query', identity: number('13800138000'), errorCode: 0 });
    ledger.record({ timeMs: T0, endpoint: 'mobile_status/query', identity: number('13900139000'), errorCode: 0 });
    ledger.record({ timeMs: T0, endpoint: 'mobile_status/query', identity: number('13900139000'), errorCode: 224915 });
    const md5: Identity = { kind: 'md5', md5: md5Hex('13700137000'), form: 'md5' };
    ledger.record({ timeMs: T0, endpoint: 'twoSellTel/queryEncry', identity: md5, errorCode: 0 });
    ledger.record({ timeMs: T0, endpoint: 'twoSellTel/queryEncry', identity: md5, errorCode: 0 });
    const stats = ledger.stats();
    expect(stats.billed).toBe(7);
    expect(stats.duplicateBilled).toBe(2);
    expect(stats.duplicateBilledCalls).toBe(3);
    expect(stats.duplicateBilledPairs).toEqual([
      { endpoint: 'twoSellTel/queryEncry', mobile: null, hash: sha, hash_type: 'sha256', times: 3 },
      { endpoint: 'twoSellTel/queryEncry', mobile: null, hash: md5Hex('13700137000'), hash_type: 'md5', times: 2 },
    ]);
  });

  it('lists only the first few duplicate pairs', () => {
    const ledger = new Ledger();
    for (let i = 0; i < 30; i++) {
      const mobile = `1380000${String(i).padStart(4, '0')}`;
      ledger.record({ timeMs: T0, endpoint: 'mobile_status/query', identity: number(mobile), errorCode: 0 });
      ledger.record({ timeMs: T0, endpoint: 'mobile_status/query', identity: number(mobile), errorCode: 0 });
    }
    const stats = ledger.stats();
    expect(stats.duplicateBilled).toBe(30);
    expect(stats.duplicateBilledPairs).toHaveLength(DUPLICATE_PAIRS_SHOWN);
  });

  it('clears everything on reset', () => {
    const ledger = new Ledger();
    ledger.record({ timeMs: T0, endpoint: 'mobile_status/query', identity: number('13800138000'), errorCode: 0 });
    ledger.clear();
    ledger.record({ timeMs: T0, endpoint: 'mobile_status/query', identity: number('13800138000'), errorCode: 0 });
    expect(ledger.stats()).toMatchObject({ calls: 1, billed: 1, duplicateBilled: 0 });
    expect([...ledger.entries()][0]!.seq).toBe(0);
  });

  it('stays compact and exact over a million calls', () => {
    const ledger = new Ledger();
    const n = 1_000_000;
    const before = process.memoryUsage();
    const endpoints = ['mobile_status/query', 'mobileOnline/query', 'twoSellTel/query', 'ctccCallduration/query'] as const;
    for (let i = 0; i < n; i++) {
      // Unbilled calls: no digest bookkeeping, so this measures the columns themselves.
      ledger.record({ timeMs: T0 + i, endpoint: endpoints[i % 4]!, identity: undefined, errorCode: 10011 });
    }
    const after = process.memoryUsage();
    const grown = after.arrayBuffers - before.arrayBuffers + (after.heapUsed - before.heapUsed);
    // About 30 bytes a call in typed arrays; allow slack for the GC's timing.
    expect(grown).toBeLessThan(80 * 1024 * 1024);
    expect(ledger.size).toBe(n);
    expect(ledger.entryAt(n - 1)).toMatchObject({ seq: n - 1, endpoint: 'ctccCallduration/query', error_code: 10011, billed: false });
    expect(ledger.stats().byCode).toEqual({ '10011': n });
  });
});
