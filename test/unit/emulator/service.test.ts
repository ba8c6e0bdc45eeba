import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS, type EndpointId } from '../../../src/juhe/catalogue.js';
import { aesEncryptBase64, aesKeyFromOpenid, encodeMobile, md5Hex, sha256Hex } from '../../../src/juhe/ciphers.js';
import { parseFixtures } from '../../../src/emulator/fixtures.js';
import { DEMO_KEY, DEMO_OPENID, resolveEmulatorOptions, type EmulatorOptions } from '../../../src/emulator/options.js';
import { EmulatedService, type ServiceClock } from '../../../src/emulator/service.js';
import { World } from '../../../src/emulator/world.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keys = { aesKey: aesKeyFromOpenid(DEMO_OPENID), rsaPublicKey: publicKey };

class FakeClock implements ServiceClock {
  now = 1_700_000_000_000;
  wallMs(): number {
    return this.now;
  }
  monotonicMs(): number {
    return this.now;
  }
}

function service(options: EmulatorOptions = {}, fixtures: unknown = {}): { service: EmulatedService; clock: FakeClock; world: World } {
  const resolved = resolveEmulatorOptions({ referenceDate: '20250601', ...options });
  const world = new World(resolved.seed, resolved.referenceDate, parseFixtures(fixtures));
  const clock = new FakeClock();
  return { service: new EmulatedService(resolved, world, privateKey, clock), clock, world };
}

function ask(s: EmulatedService, endpoint: EndpointId, mobile: string | undefined, extra: Record<string, string> = {}): { code: number; body: Record<string, unknown> } {
  const params = new URLSearchParams({ key: DEMO_KEY, ...(mobile !== undefined ? { mobile } : {}), ...extra });
  const answer = s.handle(ENDPOINTS[endpoint], params);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(body.error_code).toBe(answer.errorCode);
  return { code: answer.errorCode, body };
}

describe('emulated service', () => {
  it('answers 10001 for a missing or wrong key, whatever else is wrong', () => {
    const { service: s } = service();
    expect(s.handle(ENDPOINTS['mobile_status/query'], new URLSearchParams({ mobile: '13800138000' })).errorCode).toBe(10001);
    expect(s.handle(ENDPOINTS['mobile_status/query'], new URLSearchParams({ key: 'nope', mobile: 'x' })).errorCode).toBe(10001);
    expect(JSON.parse(s.handle(ENDPOINTS['mobile_status/query'], new URLSearchParams({ key: 'nope' })).body)).toEqual({
      reason: '错误的请求KEY',
      result: null,
      error_code: 10001,
    });
  });

  it('answers each API parameter error with its own code', () => {
    const { service: s } = service();
    expect(ask(s, 'mobile_status/query', '123').code).toBe(224902);
    expect(ask(s, 'mobile_status/queryRV2', 'AAAA').code).toBe(224902);
    expect(ask(s, 'mobileOnline/query', '123').code).toBe(224804);
    expect(ask(s, 'mobile_online_sha256_cmcc/query', 'ABC').code).toBe(224804);
    expect(ask(s, 'twoSellTel/query', '123', { date: '20200101' }).code).toBe(232702);
    expect(ask(s, 'ctccCallduration/query', undefined).code).toBe(232402);
  });

  it('answers AES under another openid with 10004', () => {
    const { service: s } = service();
    const wrong = aesEncryptBase64('13800138000', aesKeyFromOpenid('someone-else'));
    expect(ask(s, 'mobile_status/queryEncry', wrong).code).toBe(10004);
    expect(ask(s, 'mobileOnline/queryEncry', wrong).code).toBe(10004);
    expect(ask(s, 'twoSellTel/queryEncry', wrong, { date: '20200101' }).code).toBe(10004);
  });

  it('requires a real yyyymmdd date on twoSellTel', () => {
    const { service: s } = service();
    for (const date of [undefined, '', '2020-01-01', '20200230', '2020011']) {
      expect(ask(s, 'twoSellTel/query', '13800138000', date === undefined ? {} : { date }).code).toBe(232702);
      expect(ask(s, 'twoSellTel/queryEncry', md5Hex('13800138000'), date === undefined ? {} : { date }).code).toBe(232702);
    }
    expect(ask(s, 'twoSellTel/query', '13800138000', { date: '20200229' }).code).toBe(0);
  });

  it('reports the same facts through every form of one number', () => {
    const { service: s } = service();
    const mobile = '13800138000';
    const plain = ask(s, 'mobile_status/query', mobile).body.result as Record<string, unknown>;
    const aes = ask(s, 'mobile_status/queryEncry', encodeMobile(mobile, 'aes', keys)).body.result as Record<string, unknown>;
    const rsa = ask(s, 'mobile_status/queryRV2', encodeMobile(mobile, 'rsa', keys)).body.result as Record<string, unknown>;
    expect(plain.mobile).toBe(mobile);
    for (const field of ['state', 'province', 'city', 'isp', 'description']) {
      expect(aes[field]).toBe(plain[field]);
      expect(rsa[field]).toBe(plain[field]);
    }
    const resale = (form: 'md5' | 'sha256' | 'aes' | 'md5+aes' | 'sha256+aes'): unknown =>
      (ask(s, 'twoSellTel/queryEncry', encodeMobile(mobile, form, keys), { date: '20150101' }).body.result as { res: number }).res;
    const plainRes = (ask(s, 'twoSellTel/query', mobile, { date: '20150101' }).body.result as { res: number }).res;
    for (const form of ['md5', 'sha256', 'aes', 'md5+aes', 'sha256+aes'] as const) expect(resale(form)).toBe(plainRes);
  });

  it('records hashes it cannot reverse as hashes, and treats an unknown sha256 as China Mobile', () => {
    const { service: s } = service();
    const telecom = '18912345678';
    expect(ask(s, 'mobile_online_sha256_cmcc/query', sha256Hex(telecom)).code).toBe(0);
    // Once the emulator has seen the number in clear it knows it is China Telecom.
    ask(s, 'mobile_status/query', telecom);
    expect(ask(s, 'mobile_online_sha256_cmcc/query', sha256Hex(telecom)).body).toEqual({ reason: '查询无此记录', result: null, error_code: 224801 });
    const entries = [...s.ledger.entries()];
    expect(entries[0]).toMatchObject({ mobile: null, hash: sha256Hex(telecom), hash_type: 'sha256', billed: true });
    expect(entries[2]).toMatchObject({ mobile: telecom, hash: null, error_code: 224801, billed: false });
  });

  it('answers call minutes for China Telecom only (232403 otherwise)', () => {
    const { service: s } = service({}, { '18900000001': { status: { state: '0' } } });
    expect(ask(s, 'ctccCallduration/query', '13800138000').code).toBe(232403);
    expect(ask(s, 'ctccCallduration/query', '13012345678').code).toBe(232403);
    const telecom = ask(s, 'ctccCallduration/query', '18900000001').body.result as Record<string, unknown>;
    expect(telecom.callingDur).toMatch(/^(?:\d|1[01])$/);
    expect(telecom.calledDur).toMatch(/^(?:\d|1[01])$/);
  });

  it('limits a key to qps calls per sliding second with 10011, unbilled', () => {
    const { service: s, clock } = service({ qps: 2 });
    expect([0, 1, 2].map((i) => ask(s, 'mobile_status/query', `1380013800${i}`).code)).toEqual([0, 0, 10011]);
    clock.now += 999;
    expect(ask(s, 'mobile_status/query', '13800138003').code).toBe(10011);
    clock.now += 1;
    expect(ask(s, 'mobile_status/query', '13800138003').code).toBe(0);
    expect(s.ledger.stats()).toMatchObject({ calls: 5, billed: 3, byCode: { '0': 3, '10011': 2 } });
    // Entries over the limit still say which number was asked.
    expect([...s.ledger.entries()][2]).toMatchObject({ mobile: '13800138002', error_code: 10011, billed: false });
  });

  it('answers 10012 to every call once the quota of billed calls is used, counting only billed calls', () => {
    const { service: s } = service({ quota: 2 });
    expect(ask(s, 'ctccCallduration/query', '13800138000').code).toBe(232403); // not billed, not counted
    expect(ask(s, 'mobile_status/query', '13800138000').code).toBe(0);
    expect(ask(s, 'mobile_status/query', 'bad').code).toBe(224902);
    expect(ask(s, 'mobile_status/query', '13800138001').code).toBe(0);
    expect(ask(s, 'mobile_status/query', '13800138002').code).toBe(10012);
    expect(ask(s, 'mobile_status/query', 'bad').code).toBe(10012);
    expect(ask(s, 'mobileOnline/query', '13800138003').code).toBe(10012);
    expect(s.ledger.billed).toBe(2);
    s.reset();
    expect(ask(s, 'mobile_status/query', '13800138002').code).toBe(0);
  });

  it('answers 224924 for the same status number within the window, from any status form', () => {
    const { service: s, clock } = service({ sameNumberWindowMs: 60_000 });
    const mobile = '13800138000';
    expect(ask(s, 'mobile_status/query', mobile).code).toBe(0);
    expect(ask(s, 'mobile_status/queryRV2', encodeMobile(mobile, 'rsa', keys)).code).toBe(224924);
    expect(ask(s, 'mobile_status/queryEncry', encodeMobile(mobile, 'aes', keys)).code).toBe(224924);
    expect(ask(s, 'mobileOnline/query', mobile).code).toBe(0); // other APIs are not limited
    expect(ask(s, 'mobile_status/query', '13800138001').code).toBe(0);
    clock.now += 60_000;
    expect(ask(s, 'mobile_status/query', mobile).code).toBe(0);
  });

  it('injects errors instead of the answer, unbilled, reproducibly from the seed', () => {
    const run = (): number[] => {
      const { service: s } = service({ errorRates: '224805=0.3', seed: 'inject' });
      return Array.from({ length: 400 }, (_, i) => ask(s, 'mobileOnline/query', `1380000${String(i).padStart(4, '0')}`).code);
    };
    const codes = run();
    expect(new Set(codes)).toEqual(new Set([0, 224805]));
    const share = codes.filter((c) => c === 224805).length / codes.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.38);
    expect(run()).toEqual(codes);
  });

  it('answers codes pinned by fixtures, and hashes of fixture numbers reverse from the start', () => {
    const { service: s } = service({}, { '13800138000': { error: { status: 224915 }, tenure: { bucket: '0-3' } } });
    expect(ask(s, 'mobile_status/query', '13800138000').body).toEqual({ reason: '网络异常,请重试', result: null, error_code: 224915 });
    expect((ask(s, 'mobile_online_sha256_cmcc/query', sha256Hex('13800138000')).body.result as { code: string }).code).toBe('1');
    expect([...s.ledger.entries()][1]).toMatchObject({ mobile: '13800138000', hash: null, form: 'sha256' });
    s.reset();
    expect([...s.ledger.entries()]).toEqual([]);
    ask(s, 'twoSellTel/queryEncry', md5Hex('13800138000'), { date: '20200101' });
    expect([...s.ledger.entries()][0]).toMatchObject({ mobile: '13800138000', form: 'md5' });
  });

  it('draws the latency for each answer', () => {
    const { service: s } = service({ latencyMs: '5-15' });
    const delays = Array.from({ length: 200 }, () => s.handle(ENDPOINTS['mobile_status/query'], new URLSearchParams({ key: DEMO_KEY, mobile: '13800138000' })).delayMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...delays)).toBeLessThanOrEqual(15);
    expect(new Set(delays).size).toBeGreaterThan(5);
  });
});
