import { describe, expect, it } from 'vitest';
import type { EndpointId } from '../../../src/juhe/catalogue.js';
import { md5Hex, sha256Hex } from '../../../src/juhe/ciphers.js';
import type { Identity } from '../../../src/emulator/identity.js';
import { DUPLICATE_PAIRS_SHOWN, Ledger } from '../../../src/emulator/ledger.js';
import { ReverseIndex } from '../../../src/emulator/reverse-index.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const M0 = 1_735_787_000_000.25;

function number(mobile: string, form: Identity['form'] = 'plain'): Identity {
  return { kind: 'number', mobile, sha256: sha256Hex(mobile), form };
}
function md5Of(mobile: string, form: Identity['form'] = 'md5'): Identity {
  return { kind: 'md5', md5: md5Hex(mobile), form };
}
function sha256Of(mobile: string, form: Identity['form'] = 'sha256'): Identity {
  return { kind: 'sha256', sha256: sha256Hex(mobile), form };
}

/** Record a billed call. */
function bill(ledger: Ledger, endpoint: EndpointId, identity: Identity, date?: string): void {
  ledger.record({ timeMs: T0, tMs: M0, endpoint, identity, date, errorCode: 0 });
}

describe('ledger', () => {
  it('records every call with the number as understood, or the hash, both times, and billed only for 0', () => {
    const ledger = new Ledger();
    ledger.record({ timeMs: T0, tMs: M0, endpoint: 'mobile_status/query', identity: number('13800138000'), errorCode: 0 });
    ledger.record({ timeMs: T0 + 1, tMs: M0 + 1.5, endpoint: 'mobile_online_sha256_cmcc/query', identity: sha256Of('13900139000'), errorCode: 0 });
    ledger.record({ timeMs: T0 + 2, tMs: M0 + 2.125, endpoint: 'twoSellTel/queryEncry', identity: md5Of('13900139000', 'md5+aes'), date: '20200101', errorCode: 232701 });
    ledger.record({ timeMs: T0 + 3, tMs: M0 + 3, endpoint: 'mobile_status/queryEncry', identity: undefined, errorCode: 10004 });
    expect([...ledger.entries()]).toEqual([
      { seq: 0, time: '2025-01-02T03:04:05.678Z', t_ms: M0, endpoint: 'mobile_status/query', form: 'plain', mobile: '13800138000', hash: null, hash_type: null, date: null, error_code: 0, billed: true },
      { seq: 1, time: '2025-01-02T03:04:05.679Z', t_ms: M0 + 1.5, endpoint: 'mobile_online_sha256_cmcc/query', form: 'sha256', mobile: null, hash: sha256Hex('13900139000'), hash_type: 'sha256', date: null, error_code: 0, billed: true },
      { seq: 2, time: '2025-01-02T03:04:05.680Z', t_ms: M0 + 2.125, endpoint: 'twoSellTel/queryEncry', form: 'md5+aes', mobile: null, hash: md5Hex('13900139000'), hash_type: 'md5', date: '20200101', error_code: 232701, billed: false },
      { seq: 3, time: '2025-01-02T03:04:05.681Z', t_ms: M0 + 3, endpoint: 'mobile_status/queryEncry', form: null, mobile: null, hash: null, hash_type: null, date: null, error_code: 10004, billed: false },
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
      duplicateBilledByApi: 0,
      duplicateBilledByApiCalls: 0,
      duplicateBilledByApiQuestions: [],
    });
  });

  it('finds (endpoint, number) pairs billed twice, across forms and hash/clear, but not other endpoints or unbilled calls', () => {
    const ledger = new Ledger();
    const sha = sha256Hex('13800138000');
    // Same number, same endpoint, same date, different forms: one pair billed three times.
    bill(ledger, 'twoSellTel/queryEncry', sha256Of('13800138000'), '20200101');
    bill(ledger, 'twoSellTel/queryEncry', number('13800138000', 'aes'), '20200101');
    bill(ledger, 'twoSellTel/queryEncry', number('13800138000', 'md5+aes'), '20200101');
    // Other endpoint, an unbilled repeat, an md5 pair.
    bill(ledger, 'twoSellTel/query', number('13800138000'), '20200102');
    bill(ledger, 'mobile_status/query', number('13900139000'));
    ledger.record({ timeMs: T0, tMs: M0, endpoint: 'mobile_status/query', identity: number('13900139000'), errorCode: 224915 });
    bill(ledger, 'twoSellTel/queryEncry', md5Of('13700137000'), '20200101');
    bill(ledger, 'twoSellTel/queryEncry', md5Of('13700137000'), '20200101');
    const stats = ledger.stats();
    expect(stats.billed).toBe(7);
    expect(stats.duplicateBilled).toBe(2);
    expect(stats.duplicateBilledCalls).toBe(3);
    expect(stats.duplicateBilledPairs).toEqual([
      { endpoint: 'twoSellTel/queryEncry', mobile: null, hash: sha, hash_type: 'sha256', date: '20200101', times: 3 },
      { endpoint: 'twoSellTel/queryEncry', mobile: null, hash: md5Hex('13700137000'), hash_type: 'md5', date: '20200101', times: 2 },
    ]);
  });

  it('keys resale questions by date: two dates are two questions, the same date twice is a duplicate', () => {
    const ledger = new Ledger();
    bill(ledger, 'twoSellTel/query', number('13800138000'), '20200101');
    bill(ledger, 'twoSellTel/query', number('13800138000'), '20210101');
    bill(ledger, 'twoSellTel/queryEncry', number('13800138000', 'aes'), '20220101');
    expect(ledger.stats()).toMatchObject({ duplicateBilled: 0, duplicateBilledByApi: 0 });
    bill(ledger, 'twoSellTel/query', number('13800138000'), '20210101');
    expect(ledger.stats()).toMatchObject({
      duplicateBilled: 1,
      duplicateBilledCalls: 1,
      duplicateBilledPairs: [{ endpoint: 'twoSellTel/query', mobile: '13800138000', hash: null, hash_type: null, date: '20210101', times: 2 }],
      duplicateBilledByApi: 1,
      duplicateBilledByApiCalls: 1,
    });
  });

  it('merges a number with its md5 when the md5 could not be reversed, in either order', () => {
    // md5 first, then the number (AES form) on the same endpoint and date.
    const first = new Ledger();
    bill(first, 'twoSellTel/queryEncry', md5Of('13800138000'), '20200101');
    bill(first, 'twoSellTel/queryEncry', number('13800138000', 'aes'), '20200101');
    expect(first.stats()).toMatchObject({
      duplicateBilled: 1,
      duplicateBilledCalls: 1,
      duplicateBilledPairs: [{ endpoint: 'twoSellTel/queryEncry', mobile: null, hash: md5Hex('13800138000'), hash_type: 'md5', date: '20200101', times: 2 }],
    });
    // The number first, then its md5; a different date stays a different question.
    const second = new Ledger();
    bill(second, 'twoSellTel/queryEncry', number('13800138000', 'sha256+aes'), '20200101');
    bill(second, 'twoSellTel/queryEncry', md5Of('13800138000', 'md5+aes'), '20200102');
    expect(second.stats().duplicateBilled).toBe(0);
    bill(second, 'twoSellTel/queryEncry', md5Of('13800138000', 'md5+aes'), '20200101');
    expect(second.stats()).toMatchObject({ duplicateBilled: 1, duplicateBilledCalls: 1 });
    // Across the API's endpoints: an md5 on queryEncry, then the plain number on query.
    const third = new Ledger();
    bill(third, 'twoSellTel/queryEncry', md5Of('13800138000'), '20200101');
    bill(third, 'twoSellTel/query', number('13800138000'), '20200101');
    expect(third.stats()).toMatchObject({ duplicateBilled: 0, duplicateBilledByApi: 1, duplicateBilledByApiCalls: 1 });
  });

  it('joins a sha256 and an md5 that could not be reversed once the number shows they are one question', () => {
    const ledger = new Ledger();
    bill(ledger, 'twoSellTel/queryEncry', sha256Of('13800138000'), '20200101');
    bill(ledger, 'twoSellTel/queryEncry', md5Of('13800138000'), '20200101');
    expect(ledger.stats().duplicateBilled).toBe(0); // nothing ties the two hashes together yet
    bill(ledger, 'twoSellTel/queryEncry', number('13800138000', 'aes'), '20200101');
    expect(ledger.stats()).toMatchObject({
      duplicateBilled: 1,
      duplicateBilledCalls: 2,
      duplicateBilledPairs: [{ hash: sha256Hex('13800138000'), hash_type: 'sha256', date: '20200101', times: 3 }],
    });
    // Later repeats in either hash form land on the same question.
    bill(ledger, 'twoSellTel/queryEncry', md5Of('13800138000'), '20200101');
    bill(ledger, 'twoSellTel/queryEncry', sha256Of('13800138000'), '20200101');
    expect(ledger.stats()).toMatchObject({ duplicateBilled: 1, duplicateBilledCalls: 4, duplicateBilledPairs: [{ times: 5 }] });
  });

  it('counts a question billed on two endpoints of one API as a duplicate by API, not by endpoint', () => {
    const ledger = new Ledger();
    bill(ledger, 'mobile_status/query', number('13800138000'));
    bill(ledger, 'mobile_status/queryRV2', number('13800138000', 'rsa'));
    bill(ledger, 'mobile_status/queryEncry', number('13800138000', 'aes'));
    bill(ledger, 'twoSellTel/query', number('13800138000'), '20200101');
    bill(ledger, 'twoSellTel/queryEncry', number('13800138000', 'aes'), '20200101');
    bill(ledger, 'mobileOnline/query', number('13900139000'));
    bill(ledger, 'mobile_online_sha256_cmcc/query', number('13900139000', 'sha256')); // another API
    const stats = ledger.stats();
    expect(stats).toMatchObject({ duplicateBilled: 0, duplicateBilledCalls: 0, duplicateBilledByApi: 2, duplicateBilledByApiCalls: 3 });
    expect(stats.duplicateBilledByApiQuestions).toEqual([
      { api: 'status', endpoint: 'mobile_status/query', mobile: '13800138000', hash: null, hash_type: null, date: null, times: 3 },
      { api: 'resale', endpoint: 'twoSellTel/query', mobile: '13800138000', hash: null, hash_type: null, date: '20200101', times: 2 },
    ]);
  });

  it('lists only the first few duplicate pairs', () => {
    const ledger = new Ledger();
    for (let i = 0; i < 30; i++) {
      const mobile = `1380000${String(i).padStart(4, '0')}`;
      bill(ledger, 'mobile_status/query', number(mobile));
      bill(ledger, 'mobile_status/query', number(mobile));
    }
    const stats = ledger.stats();
    expect(stats.duplicateBilled).toBe(30);
    expect(stats.duplicateBilledPairs).toHaveLength(DUPLICATE_PAIRS_SHOWN);
    expect(stats.duplicateBilledPairs[0]!.mobile).toBe('13800000000');
    expect(stats.duplicateBilledByApiQuestions).toHaveLength(DUPLICATE_PAIRS_SHOWN);
  });

  it('clears everything on reset and moves to a new epoch', () => {
    const ledger = new Ledger();
    bill(ledger, 'mobile_status/query', number('13800138000'));
    const epoch = ledger.epoch;
    ledger.clear();
    expect(ledger.epoch).not.toBe(epoch);
    bill(ledger, 'mobile_status/query', number('13800138000'));
    expect(ledger.stats()).toMatchObject({ calls: 1, billed: 1, duplicateBilled: 0, duplicateBilledByApi: 0 });
    expect([...ledger.entries()][0]!.seq).toBe(0);
  });

  it('stays compact over a million billed calls on distinct numbers, hash forms reversed through the index', () => {
    const n = 1_000_000;
    const numbers = Array.from({ length: n }, (_, i) => String(13_000_000_000 + i * 9_973));
    const index = new ReverseIndex();
    index.rememberAll(numbers);
    const ledger = new Ledger();
    const endpoints = ['mobile_status/query', 'mobileOnline/queryEncry', 'twoSellTel/query', 'mobile_online_sha256_cmcc/query'] as const;
    for (let i = 0; i < n; i++) {
      const endpoint = endpoints[i % 4]!;
      let identity: Identity;
      if (endpoint === 'mobile_online_sha256_cmcc/query') {
        // A sha256 request: reversed by the index to the number.
        const sha256 = sha256Hex(numbers[i]!);
        identity = { kind: 'number', mobile: index.numberForSha256(sha256)!, sha256, form: 'sha256' };
      } else identity = number(numbers[i]!);
      ledger.record({ timeMs: T0 + i, tMs: M0 + i, endpoint, identity, date: endpoint === 'twoSellTel/query' ? '20200101' : undefined, errorCode: 0 });
    }
    const stats = ledger.stats();
    expect(stats).toMatchObject({ calls: n, billed: n, duplicateBilled: 0, duplicateBilledByApi: 0 });
    expect(ledger.entryAt(n - 1)).toMatchObject({ seq: n - 1, mobile: numbers[n - 1], form: 'sha256', billed: true });
    // Columns (38 bytes a call) and two duplicate tables (resale numbers also keyed by md5):
    // about 150 bytes a billed call here; the index is counted apart.
    expect(ledger.bytes / n).toBeLessThan(160);
    expect(index.bytes / n).toBe(12);
    expect(index.md5Built).toBe(false);
  }, 60_000);
});
