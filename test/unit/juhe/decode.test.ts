import { describe, expect, it } from 'vitest';
import {
  CALL_MINUTES_BUCKETS,
  decodeCallMinutes,
  decodeSignals,
  decodeTenure,
  orderIdOf,
  parseEnvelope,
  UnreadableAnswer,
} from '../../../src/juhe/decode.js';
import type { ApiId } from '../../../src/juhe/catalogue.js';

/** Every JSON example in the five documents (comments and the trailing comma removed), with what it must decode to. */
const DOC_EXAMPLES: Array<{ doc: string; api: ApiId; body: string; date?: string; expected: unknown; orderId?: string }> = [
  {
    doc: '000 mobile_online_sha256_cmcc/query',
    api: 'tenureCmcc',
    body: '{"reason":"成功","result":{"code":"3","orderid":"J201901141703399055"},"error_code":0}',
    expected: { tenure: { value: '6-12', raw: '3', encoding: 'cmccSha256' } },
    orderId: 'J201901141703399055',
  },
  {
    doc: '001 mobileOnline/query',
    api: 'tenure',
    body: '{"reason":"成功","result":{"idnum":"","name":"","mobile":"158568696583","res":1,"code":"3","desc":"(24,+)","province":"江苏","city":"苏州","isp":"移动"},"error_code":0}',
    expected: {
      tenure: { value: '24+', raw: '3', encoding: 'mobileOnline', description: '(24,+)' },
      location: { province: '江苏', city: '苏州', carrier: 'cmcc', ispRaw: '移动' },
    },
  },
  {
    doc: '001 mobileOnline/queryEncry',
    api: 'tenure',
    body: '{"reason":"成功 ","result":{"code":"3","desc":"(24,+)","province":"北京市","city":"北京市","isp":"移动","orderid":"JH248118112011355227447293"},"error_code":0}',
    expected: {
      tenure: { value: '24+', raw: '3', encoding: 'mobileOnline', description: '(24,+)' },
      location: { province: '北京市', city: '北京市', carrier: 'cmcc', ispRaw: '移动' },
    },
    orderId: 'JH248118112011355227447293',
  },
  {
    doc: '002 mobile_status/query',
    api: 'status',
    body: '{"reason":"成功","result":{"mobile":"15856521458","province":"上海市","city":"上海市","isp":"移动","state":"3","description":"不在网"},"error_code":0}',
    expected: {
      lineStatus: { value: 'inactive', raw: '3', description: '不在网' },
      location: { province: '上海市', city: '上海市', carrier: 'cmcc', ispRaw: '移动' },
    },
  },
  {
    doc: '002 mobile_status/queryEncry and queryRV2',
    api: 'status',
    body: '{"reason":"成功","result":{"province":"上海市","city":"上海市","isp":"移动","state":"3","description":"不在网","orderid":"JH249118111915000462815599"},"error_code":0}',
    expected: {
      lineStatus: { value: 'inactive', raw: '3', description: '不在网' },
      location: { province: '上海市', city: '上海市', carrier: 'cmcc', ispRaw: '移动' },
    },
    orderId: 'JH249118111915000462815599',
  },
  {
    doc: '003 twoSellTel/query and queryEncry',
    api: 'resale',
    date: '20160101',
    body: '{"reason":"成功","result":{"res":2,"orderid":"JH327201911081525223306"},"error_code":0}',
    expected: { resale: { value: 'not_recycled', raw: '2', date: '20160101' } },
    orderId: 'JH327201911081525223306',
  },
  {
    doc: '004 ctccCallduration/query',
    api: 'callDuration',
    body: '{"reason":"成功","result":{"callingDur":"1","calledDur":"0","orderid":"J103201712261751495244"},"error_code":0}',
    expected: {
      callMinutes: {
        calling: { raw: '1', label: '(0,1]', minMinutes: 0, maxMinutes: 1 },
        called: { raw: '0', label: '0', minMinutes: 0, maxMinutes: 0 },
      },
    },
    orderId: 'J103201712261751495244',
  },
];

describe('every JSON example in the documents', () => {
  it.each(DOC_EXAMPLES)('$doc', ({ api, body, date, expected, orderId }) => {
    const envelope = parseEnvelope(body);
    expect(envelope.errorCode).toBe(0);
    expect(envelope.reason).toBe('成功');
    expect(decodeSignals(api, envelope.result, date)).toEqual(expected);
    expect(orderIdOf(envelope.result)).toBe(orderId);
  });
});

describe('the envelope, defensively', () => {
  it('reads error_code as a number or a string', () => {
    expect(parseEnvelope('{"error_code":"224805","reason":"网络异常,请重试","result":null}').errorCode).toBe(224805);
    expect(parseEnvelope('{"error_code":10012,"reason":"请求超过次数限制"}').errorCode).toBe(10012);
    expect(parseEnvelope('{"error_code":" 0 ","reason":"成功","result":{}}').errorCode).toBe(0);
  });

  it('falls back to the old resultcode column', () => {
    expect(parseEnvelope('{"resultcode":"112","reason":"请求超过次数限制"}').errorCode).toBe(10012);
    expect(parseEnvelope('{"resultcode":"200","reason":"成功","result":{"state":"0"}}').errorCode).toBe(0);
  });

  it('skips a UTF-8 byte-order mark before the JSON', () => {
    expect(parseEnvelope('\uFEFF{"error_code":0,"reason":"成功","result":{"state":"0"}}').errorCode).toBe(0);
  });

  it('reads result as an object, a JSON string, or null', () => {
    expect(parseEnvelope('{"error_code":0,"result":{"state":"0"}}').result).toEqual({ state: '0' });
    expect(parseEnvelope('{"error_code":0,"result":"{\\"state\\":\\"1\\"}"}').result).toEqual({ state: '1' });
    expect(parseEnvelope('{"error_code":0,"result":null}').result).toBeNull();
    expect(parseEnvelope('{"error_code":0,"result":""}').result).toBeNull();
    expect(parseEnvelope('{"error_code":0}').result).toBeNull();
    expect(parseEnvelope('{"error_code":0,"result":"not json"}').result).toBeNull();
    expect(parseEnvelope('{"error_code":0,"result":[1,2]}').result).toBeNull();
  });

  it('refuses what is not a Juhe answer, without echoing a full number', () => {
    expect(() => parseEnvelope('<html><body>502 Bad Gateway</body></html>')).toThrow(UnreadableAnswer);
    expect(() => parseEnvelope('')).toThrow(/not JSON/);
    expect(() => parseEnvelope('[1]')).toThrow(/not a JSON object/);
    expect(() => parseEnvelope('{"reason":"x"}')).toThrow(/no error_code/);
    try {
      parseEnvelope('oops 13800138000 oops');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('13800138000');
      expect((err as Error).message).toContain('138****8000');
    }
  });
});

describe('line status', () => {
  it.each([
    ['0', 'normal'],
    ['1', 'suspended'],
    ['2', 'unavailable'],
    ['3', 'inactive'],
    ['4', 'pre_cancel'],
  ])('state %s is %s, as a string or a number', (state, value) => {
    expect(decodeSignals('status', { state }).lineStatus).toEqual({ value, raw: state });
    expect(decodeSignals('status', { state: Number(state) }).lineStatus).toEqual({ value, raw: state });
  });

  it('refuses an unknown state', () => {
    expect(() => decodeSignals('status', { state: '5' })).toThrow(UnreadableAnswer);
    expect(() => decodeSignals('status', { state: 'x' })).toThrow(UnreadableAnswer);
    expect(() => decodeSignals('status', {})).toThrow(UnreadableAnswer);
    expect(() => decodeSignals('status', null)).toThrow(/without a result/);
  });
});

describe('tenure: both encodings map to one model, raw code kept', () => {
  it.each([
    ['03', '0-3'],
    ['04', '3-6'],
    ['1', '6-12'],
    ['2', '12-24'],
    ['3', '24+'],
    ['99', 'left_network'],
  ])('mobileOnline %s is %s', (code, bucket) => {
    expect(decodeSignals('tenure', { code }).tenure).toEqual({ value: bucket, raw: code, encoding: 'mobileOnline' });
  });

  it.each([
    ['1', '0-3'],
    ['2', '3-6'],
    ['3', '6-12'],
    ['4', '12-24'],
    ['5', '24+'],
    ['99', 'left_network'],
  ])('sha256 CMCC %s is %s', (code, bucket) => {
    expect(decodeSignals('tenureCmcc', { code }).tenure).toEqual({ value: bucket, raw: code, encoding: 'cmccSha256' });
  });

  it('"03" and "3" are different buckets in mobileOnline', () => {
    expect(decodeTenure('mobileOnline', '03')).toBe('0-3');
    expect(decodeTenure('mobileOnline', '3')).toBe('24+');
    expect(decodeTenure('mobileOnline', ' 03 ')).toBe('0-3');
  });

  it('lets desc decide when it names a bucket: it cannot lose a leading zero', () => {
    expect(decodeTenure('mobileOnline', '3', '(0,3]')).toBe('0-3');
    expect(decodeTenure('mobileOnline', 3, '(0,3]')).toBe('0-3');
    expect(decodeTenure('mobileOnline', 3, '(24,+)')).toBe('24+');
    expect(decodeTenure('mobileOnline', '03', '(0,3]')).toBe('0-3');
  });

  it('reads JSON numbers without a leading zero: 4 is "04", 1 and 99 are themselves, a bare 3 is refused', () => {
    expect(decodeTenure('mobileOnline', 4)).toBe('3-6');
    expect(decodeTenure('mobileOnline', 1)).toBe('6-12');
    expect(decodeTenure('mobileOnline', 99)).toBe('left_network');
    expect(decodeTenure('mobileOnline', 3)).toBeUndefined();
    expect(() => decodeSignals('tenure', { code: 3 })).toThrow(UnreadableAnswer);
  });

  it('the sha256 encoding reads "05" and 5 alike', () => {
    expect(decodeTenure('cmccSha256', '05')).toBe('24+');
    expect(decodeTenure('cmccSha256', 5)).toBe('24+');
  });

  it('falls back to desc when the code is unknown, and refuses when neither is', () => {
    expect(decodeTenure('mobileOnline', '4', '(3,6]')).toBe('3-6');
    expect(decodeTenure('mobileOnline', undefined, '（0，3]')).toBe('0-3');
    expect(decodeTenure('mobileOnline', 'x', 'T-1月前已离网/手机状态异常')).toBe('left_network');
    expect(decodeTenure('mobileOnline', '7')).toBeUndefined();
    expect(() => decodeSignals('tenure', { code: '7' })).toThrow(UnreadableAnswer);
    expect(decodeTenure('cmccSha256', '6')).toBeUndefined();
  });
});

describe('resale', () => {
  it.each([
    [1, 'recycled'],
    ['1', 'recycled'],
    [2, 'not_recycled'],
    [3, 'no_activation_date'],
  ])('res %s is %s', (res, value) => {
    expect(decodeSignals('resale', { res }, '20200101').resale).toEqual({ value, raw: String(res), date: '20200101' });
  });

  it('refuses an unknown res', () => {
    expect(() => decodeSignals('resale', { res: 4 }, '20200101')).toThrow(UnreadableAnswer);
    expect(() => decodeSignals('resale', { res: '1e0' }, '20200101')).toThrow(UnreadableAnswer);
    expect(() => decodeSignals('resale', { res: 1.5 }, '20200101')).toThrow(UnreadableAnswer);
  });
});

describe('call minutes', () => {
  it('has twelve buckets for the codes 0-11, in the order of the field list', () => {
    expect(CALL_MINUTES_BUCKETS.map((b) => b.label)).toEqual([
      '0', '(0,1]', '(5,10]', '(10,20]', '(20,35]', '(35,55]', '(55,80]', '(80,115]', '(115,160]', '(160,230]', '(230,360]', '360+',
    ]);
  });

  it('decodes every code and keeps the raw code', () => {
    for (let code = 0; code <= 11; code++) {
      const bucket = decodeCallMinutes(String(code))!;
      expect(bucket.raw).toBe(String(code));
      expect(bucket.label).toBe(CALL_MINUTES_BUCKETS[code]!.label);
      expect(decodeCallMinutes(code)).toEqual(bucket);
    }
    expect(decodeCallMinutes('11')).toMatchObject({ label: '360+', minMinutes: 360, maxMinutes: null });
  });

  it('refuses codes outside 0-11', () => {
    expect(decodeCallMinutes('12')).toBeUndefined();
    expect(decodeCallMinutes('-1')).toBeUndefined();
    expect(decodeCallMinutes('')).toBeUndefined();
    expect(() => decodeSignals('callDuration', { callingDur: '12', calledDur: '0' })).toThrow(UnreadableAnswer);
  });
});

describe('location', () => {
  it.each([
    ['移动', 'cmcc'],
    ['中国联通', 'cucc'],
    ['电信', 'ctcc'],
    ['广电', 'cbn'],
  ])('isp %s is carrier %s', (isp, carrier) => {
    expect(decodeSignals('status', { state: '0', isp }).location).toEqual({ carrier, ispRaw: isp });
  });

  it('keeps an unrecognised isp raw without guessing a carrier', () => {
    expect(decodeSignals('status', { state: '0', isp: '未知' }).location).toEqual({ ispRaw: '未知' });
  });
});
