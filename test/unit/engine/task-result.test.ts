import { describe, expect, it } from 'vitest';
import { decodeTaskResult, encodeTaskResult, isCacheable, SKIP_REASONS, type TaskResult } from '../../../src/engine/task-result.js';
import type { ApiId } from '../../../src/juhe/catalogue.js';
import { decodeSignals } from '../../../src/juhe/decode.js';
import type { Signals } from '../../../src/juhe/model.js';

/** Answers shaped like the documents' examples, through the real decoder. */
const ANSWERS: Array<{ api: ApiId; result: Record<string, unknown>; date?: string }> = [
  { api: 'status', result: { mobile: '13800138000', state: '1', description: '停机', province: '广东', city: '深圳', isp: '移动' } },
  { api: 'status', result: { state: '0' } },
  { api: 'tenure', result: { code: '03', desc: '(0,3]', province: '北京', city: '北京', isp: '联通' } },
  { api: 'tenure', result: { code: '99', desc: 'T-1月前已离网/手机状态异常' } },
  { api: 'tenureCmcc', result: { code: '5', orderid: 'J201901141703399055' } },
  { api: 'resale', result: { res: 1, orderid: 'JH327201911081525223306' }, date: '20190101' },
  { api: 'resale', result: { res: 3, province: '浙江', city: '杭州', isp: '电信' }, date: '20240315' },
  { api: 'callDuration', result: { callingDur: '0', calledDur: '11', isp: '电信' } },
  { api: 'callDuration', result: { callingDur: '4', calledDur: '2', province: '上海', city: '上海', isp: '电信' } },
];

/** What the store keeps: every signal but the free-text descriptions. */
function withoutDescriptions(signals: Signals): Signals {
  const copy = structuredClone(signals);
  delete copy.lineStatus?.description;
  delete copy.tenure?.description;
  return copy;
}

describe('encodeTaskResult / decodeTaskResult', () => {
  it.each(ANSWERS.map((a, i) => [`${a.api} #${i}`, a] as const))('round-trips an answered %s', (_name, answer) => {
    const signals = decodeSignals(answer.api, answer.result, answer.date);
    const encoded = encodeTaskResult(answer.api, { kind: 'answered', signals });
    const decoded = decodeTaskResult(answer.api, encoded);
    expect(decoded).toEqual({ kind: 'answered', signals: withoutDescriptions(signals) });
    // Compact: a short JSON array, no key names.
    expect(encoded.startsWith('["a",')).toBe(true);
    expect(encoded.length).toBeLessThan(80);
  });

  it('keeps the location and the carrier read from isp', () => {
    const signals = decodeSignals('status', { state: '0', province: '广东', city: '深圳', isp: '移动' });
    const decoded = decodeTaskResult('status', encodeTaskResult('status', { kind: 'answered', signals }));
    expect(decoded.kind === 'answered' && decoded.signals.location).toEqual({ province: '广东', city: '深圳', carrier: 'cmcc', ispRaw: '移动' });
  });

  it('keeps which tenure encoding the code was read with', () => {
    const cmcc = decodeTaskResult('tenureCmcc', encodeTaskResult('tenureCmcc', { kind: 'answered', signals: decodeSignals('tenureCmcc', { code: '1' }) }));
    const online = decodeTaskResult('tenure', encodeTaskResult('tenure', { kind: 'answered', signals: decodeSignals('tenure', { code: '1' }) }));
    expect(cmcc).toMatchObject({ signals: { tenure: { value: '0-3', raw: '1', encoding: 'cmccSha256' } } });
    expect(online).toMatchObject({ signals: { tenure: { value: '6-12', raw: '1', encoding: 'mobileOnline' } } });
  });

  it('round-trips no_record, failed (with and without a Juhe code) and every skip reason', () => {
    const results: TaskResult[] = [
      { kind: 'no_record', juheCode: 224922 },
      { kind: 'failed', juheCode: 224915, category: 'transient', code: 'JUHE_TRANSIENT', reason: 'network error at the source, retry; gave up after 6 attempts' },
      { kind: 'failed', juheCode: null, category: 'unknown', code: 'RISKSCREEN_INTERNAL', reason: 'riskscreen failed: "quoted", with, commas' },
      { kind: 'failed', juheCode: 10012, category: 'quota', code: 'JUHE_QUOTA_EXCEEDED', reason: 'the account has used up its calls for this API' },
      ...(Object.keys(SKIP_REASONS) as Array<keyof typeof SKIP_REASONS>).map((why): TaskResult => ({ kind: 'skipped', why })),
    ];
    for (const api of ['status', 'resale'] as const) {
      for (const result of results) expect(decodeTaskResult(api, encodeTaskResult(api, result))).toEqual(result);
    }
    expect(Object.keys(SKIP_REASONS).sort()).toEqual(['account_blocked', 'cancelled', 'max_calls', 'quota_exhausted']);
  });

  it('refuses to encode an answer without its API signal', () => {
    expect(() => encodeTaskResult('tenure', { kind: 'answered', signals: decodeSignals('status', { state: '0' }) })).toThrow(/an answer of tenure without its signal/);
  });

  it('refuses text that is not a stored result', () => {
    expect(() => decodeTaskResult('status', '["x",1]')).toThrow(/not a stored task result/);
    expect(() => decodeTaskResult('status', 'not json')).toThrow();
  });
});

describe('isCacheable', () => {
  it('caches answers and no-record answers only', () => {
    expect(isCacheable({ kind: 'answered', signals: decodeSignals('status', { state: '0' }) })).toBe(true);
    expect(isCacheable({ kind: 'no_record', juheCode: 232403 })).toBe(true);
    expect(isCacheable({ kind: 'failed', juheCode: 224915, category: 'transient', code: 'JUHE_TRANSIENT', reason: 'x' })).toBe(false);
    expect(isCacheable({ kind: 'skipped', why: 'quota_exhausted' })).toBe(false);
    expect(isCacheable({ kind: 'skipped', why: 'max_calls' })).toBe(false);
  });
});
