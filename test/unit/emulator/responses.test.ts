import { describe, expect, it } from 'vitest';
import { ENDPOINTS, ENDPOINT_IDS, type EndpointId } from '../../../src/juhe/catalogue.js';
import { decodeSignals, parseEnvelope } from '../../../src/juhe/decode.js';
import { TENURE_BUCKETS } from '../../../src/juhe/model.js';
import { OrderIds, errorBody, successBody } from '../../../src/emulator/responses.js';
import type { NumberFacts } from '../../../src/emulator/world.js';

const FACTS: NumberFacts = {
  carrier: 'cmcc',
  carrierKnown: true,
  province: '江苏',
  city: '苏州',
  isp: '移动',
  state: '3',
  stateDescription: '不在网',
  tenure: '24+',
  activated: '20100101',
  hasCallRecord: true,
  callingCode: 2,
  calledCode: 1,
  errors: {},
  noRecord: { status: false, tenure: false, resale: false },
};

function body(endpoint: EndpointId, facts: Partial<NumberFacts> = {}, res?: 1 | 2 | 3): Record<string, unknown> {
  return JSON.parse(
    successBody(endpoint, { facts: { ...FACTS, ...facts }, mobile: '15856521458', orderId: 'ORDER', ...(res ? { res } : {}) }),
  ) as Record<string, unknown>;
}

describe('responses', () => {
  it('shapes each endpoint exactly like its document example', () => {
    expect(body('mobile_status/query')).toEqual({
      reason: '成功',
      result: { mobile: '15856521458', province: '江苏', city: '苏州', isp: '移动', state: '3', description: '不在网' },
      error_code: 0,
    });
    for (const id of ['mobile_status/queryEncry', 'mobile_status/queryRV2'] as const) {
      expect(body(id)).toEqual({
        reason: '成功',
        result: { province: '江苏', city: '苏州', isp: '移动', state: '3', description: '不在网', orderid: 'ORDER' },
        error_code: 0,
      });
    }
    expect(body('mobileOnline/query')).toEqual({
      reason: '成功',
      result: { idnum: '', name: '', mobile: '15856521458', res: 1, code: '3', desc: '(24,+)', province: '江苏', city: '苏州', isp: '移动' },
      error_code: 0,
    });
    expect(body('mobileOnline/queryEncry')).toEqual({
      reason: '成功 ',
      result: { code: '3', desc: '(24,+)', province: '江苏', city: '苏州', isp: '移动', orderid: 'ORDER' },
      error_code: 0,
    });
    expect(body('mobile_online_sha256_cmcc/query')).toEqual({ reason: '成功', result: { code: '5', orderid: 'ORDER' }, error_code: 0 });
    expect(body('twoSellTel/query', {}, 2)).toEqual({ reason: '成功', result: { res: 2, orderid: 'ORDER' }, error_code: 0 });
    expect(body('twoSellTel/queryEncry', {}, 1)).toEqual({ reason: '成功', result: { res: 1, orderid: 'ORDER' }, error_code: 0 });
    expect(body('ctccCallduration/query')).toEqual({
      reason: '成功',
      result: { callingDur: '2', calledDur: '1', orderid: 'ORDER' },
      error_code: 0,
    });
    // Key order as in the documents: reason, result, error_code.
    expect(Object.keys(body('mobile_status/query'))).toEqual(['reason', 'result', 'error_code']);
  });

  it('encodes tenure in each API own codes, and the client decodes them back to the same bucket', () => {
    const expected: Record<string, [string, string]> = {
      '0-3': ['03', '1'],
      '3-6': ['04', '2'],
      '6-12': ['1', '3'],
      '12-24': ['2', '4'],
      '24+': ['3', '5'],
      left_network: ['99', '99'],
    };
    for (const bucket of TENURE_BUCKETS) {
      const online = body('mobileOnline/queryEncry', { tenure: bucket });
      const cmcc = body('mobile_online_sha256_cmcc/query', { tenure: bucket });
      expect([(online.result as { code: string }).code, (cmcc.result as { code: string }).code]).toEqual(expected[bucket]);
      expect(decodeSignals('tenure', online.result as Record<string, unknown>).tenure?.value).toBe(bucket);
      expect(decodeSignals('tenureCmcc', cmcc.result as Record<string, unknown>).tenure?.value).toBe(bucket);
    }
  });

  it('produces answers the client decodes, for every endpoint', () => {
    for (const id of ENDPOINT_IDS) {
      const envelope = parseEnvelope(successBody(id, { facts: FACTS, mobile: '13800138000', res: 2, orderId: 'X' }));
      expect(envelope.errorCode).toBe(0);
      const signals = decodeSignals(ENDPOINTS[id].api, envelope.result, '20200101');
      expect(Object.keys(signals).length).toBeGreaterThan(0);
    }
    for (const state of ['0', '1', '2', '3', '4'] as const) {
      const result = body('mobile_status/queryRV2', { state }).result as Record<string, unknown>;
      expect(decodeSignals('status', result).lineStatus?.raw).toBe(state);
    }
    for (let code = 0; code <= 11; code++) {
      const result = body('ctccCallduration/query', { callingCode: code, calledCode: 11 - code }).result as Record<string, unknown>;
      const minutes = decodeSignals('callDuration', result).callMinutes!;
      expect([minutes.calling.raw, minutes.called.raw]).toEqual([String(code), String(11 - code)]);
    }
  });

  it('answers errors with the document reason and a null result', () => {
    expect(JSON.parse(errorBody(10001))).toEqual({ reason: '错误的请求KEY', result: null, error_code: 10001 });
    expect(JSON.parse(errorBody(224924))).toEqual({ reason: '同一手机号请求过于频繁', result: null, error_code: 224924 });
    expect(JSON.parse(errorBody(232403))).toEqual({ reason: '查无记录', result: null, error_code: 232403 });
  });

  it('makes order ids in each API documented format, in China time, unique within a second', () => {
    // 2019-11-08 07:25:22 UTC is 15:25:22 in Beijing.
    const ids = new OrderIds(() => Date.UTC(2019, 10, 8, 7, 25, 22, 500));
    expect(ids.next('twoSellTel/query')).toBe('JH3272019110815252200' + '01');
    expect(ids.next('mobile_online_sha256_cmcc/query')).toBe('J201911081525220001');
    expect(ids.next('ctccCallduration/query')).toBe('J103201911081525220001');
    expect(ids.next('mobileOnline/queryEncry')).toBe('JH248119110815252200000001');
    expect(ids.next('mobile_status/queryRV2')).toBe('JH249119110815252200000001');
    // Same lengths as the documents' examples.
    expect(ids.next('twoSellTel/queryEncry')).toHaveLength('JH327201911081525223306'.length);
    expect(ids.next('mobile_online_sha256_cmcc/query')).toHaveLength('J201901141703399055'.length);
    expect(ids.next('ctccCallduration/query')).toHaveLength('J103201712261751495244'.length);
    expect(ids.next('mobileOnline/queryEncry')).toHaveLength('JH248118112011355227447293'.length);
    expect(ids.next('mobile_status/queryEncry')).toHaveLength('JH249118111915000462815599'.length);
    const many = new Set(Array.from({ length: 5_000 }, () => ids.next('twoSellTel/query')));
    expect(many.size).toBe(5_000);
  });
});
