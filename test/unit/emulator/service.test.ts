import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS, type EndpointId } from '../../../src/juhe/catalogue.js';
import { aesEncryptBase64, aesKeyFromOpenid, encodeMobile, md5Hex, sha256Hex } from '../../../src/juhe/ciphers.js';
import { parseFixtures } from '../../../src/emulator/fixtures.js';
import { DEMO_KEY, DEMO_OPENID, resolveEmulatorOptions, type EmulatorOptions } from '../../../src/emulator/options.js';
import { EmulatedService, type ServiceClock } from '../../../src/emulator/service.js';
import { SeededRandom } from '../../../src/emulator/prng.js';
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

function service(options: EmulatorOptions = {}, fixtures: unknown = {}, known: string[] = []): { service: EmulatedService; clock: FakeClock; world: World } {
  const resolved = resolveEmulatorOptions({ referenceDate: '20250601', ...options });
  const world = new World(resolved.seed, resolved.referenceDate, parseFixtures(fixtures));
  const clock = new FakeClock();
  const s = new EmulatedService(resolved, world, privateKey, clock);
  s.addKnownNumbers(known);
  return { service: s, clock, world };
}

/** A deterministic shuffle. */
function shuffled<T>(items: readonly T[], seed: string): T[] {
  const random = new SeededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Question {
  endpoint: EndpointId;
  mobile: string;
  date?: string;
}

/**
 * Ask every question until it is answered without an injected error, retries going to
 * the back of the queue (as several workers would interleave them). Refusals (10011,
 * 224924) wait and retry without being an attempt. Returns, per question, the codes of
 * its attempts in order, and the delay of each attempt.
 */
function askUntilAnswered(
  options: EmulatorOptions,
  questions: readonly Question[],
  known: string[] = [],
): { codes: Map<string, number[]>; delays: Map<string, number[]>; refusals: number } {
  const { service: s, clock } = service(options, {}, known);
  const injected = new Set(Object.keys(resolveEmulatorOptions({ errorRates: options.errorRates ?? '' }).errorRatesGiven).map(Number));
  const codes = new Map<string, number[]>();
  const delays = new Map<string, number[]>();
  const queue = [...questions];
  let refusals = 0;
  while (queue.length > 0) {
    const question = queue.shift()!;
    const id = `${question.endpoint} ${question.mobile} ${question.date ?? ''}`;
    const params = new URLSearchParams({ key: DEMO_KEY, mobile: question.mobile, ...(question.date ? { date: question.date } : {}) });
    const answer = s.handle(ENDPOINTS[question.endpoint], params);
    if (answer.errorCode === 10011 || answer.errorCode === 224924) {
      refusals++;
      clock.now += 250;
      queue.push(question);
      continue;
    }
    codes.set(id, [...(codes.get(id) ?? []), answer.errorCode]);
    delays.set(id, [...(delays.get(id) ?? []), answer.delayMs]);
    if (injected.has(answer.errorCode)) queue.push(question);
  }
  return { codes, delays, refusals };
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

  it('records hashes it does not know as hashes, answers an unknown sha256 as China Mobile, and never learns from clear numbers', () => {
    const { service: s } = service();
    const telecom = '18912345678';
    const first = ask(s, 'mobile_online_sha256_cmcc/query', sha256Hex(telecom));
    expect(first.code).toBe(0);
    const resaleByMd5 = ask(s, 'twoSellTel/queryEncry', md5Hex(telecom), { date: '20200101' });
    // Seen in clear afterwards: the answers to its hashes do not change.
    ask(s, 'mobile_status/query', telecom);
    ask(s, 'twoSellTel/query', telecom, { date: '20200101' });
    const again = ask(s, 'mobile_online_sha256_cmcc/query', sha256Hex(telecom));
    expect(again.code).toBe(0);
    expect((again.body.result as { code: string }).code).toBe((first.body.result as { code: string }).code);
    expect(ask(s, 'twoSellTel/queryEncry', md5Hex(telecom), { date: '20200101' }).body.result).toMatchObject({ res: (resaleByMd5.body.result as { res: number }).res });
    const entries = [...s.ledger.entries()];
    expect(entries[0]).toMatchObject({ mobile: null, hash: sha256Hex(telecom), hash_type: 'sha256', billed: true });
    expect(entries[4]).toMatchObject({ mobile: null, hash: sha256Hex(telecom), hash_type: 'sha256', billed: true });
    expect(entries[5]).toMatchObject({ mobile: null, hash: md5Hex(telecom), hash_type: 'md5' });
    expect(s.index.size).toBe(0);
  });

  it('answers the hashes of known numbers as the numbers, carrier included', () => {
    const telecom = '18912345678';
    const { service: s } = service({}, {}, [telecom]);
    expect(ask(s, 'mobile_online_sha256_cmcc/query', sha256Hex(telecom)).body).toEqual({ reason: '查询无此记录', result: null, error_code: 224801 });
    ask(s, 'twoSellTel/queryEncry', md5Hex(telecom), { date: '20200101' });
    const entries = [...s.ledger.entries()];
    expect(entries[0]).toMatchObject({ mobile: telecom, hash: null, form: 'sha256', error_code: 224801, billed: false });
    expect(entries[1]).toMatchObject({ mobile: telecom, hash: null, form: 'md5' });
    expect(s.addKnownNumbers([telecom, '13800138000'])).toBe(1);
    expect(s.index.size).toBe(2);
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

  it('answers 10003 (the key expired) to every call after keyExpiresAfter calls, answered or refused', () => {
    const { service: s } = service({ keyExpiresAfter: 3 });
    expect(ask(s, 'mobile_status/query', '13800138000').code).toBe(0);
    expect(ask(s, 'mobile_status/query', 'bad').code).toBe(224902);
    expect(ask(s, 'mobileOnline/query', '13800138001').code).toBe(0);
    expect(ask(s, 'mobile_status/query', '13800138002').code).toBe(10003);
    expect(ask(s, 'mobileOnline/query', '13800138003').code).toBe(10003);
    expect(s.handle(ENDPOINTS['mobile_status/query'], new URLSearchParams({ key: 'nope', mobile: '13800138000' })).errorCode).toBe(10001);
    expect(s.ledger.billed).toBe(2);
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

  it('injects errors instead of the answer, unbilled, at the configured rate', () => {
    const { service: s } = service({ errorRates: '224805=0.3', seed: 'inject' });
    const codes = Array.from({ length: 400 }, (_, i) => ask(s, 'mobileOnline/query', `1380000${String(i).padStart(4, '0')}`).code);
    const share = codes.filter((c) => c === 224805).length / codes.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.38);
    expect(s.ledger.billed).toBe(codes.filter((c) => c === 0).length);
  });

  describe('fault and latency draws, keyed by (endpoint, number, date, attempt)', () => {
    const numbers = Array.from({ length: 150 }, (_, i) => `1${['38', '39', '89', '30'][i % 4]}${String(10_000_000 + i * 7_919).slice(-8)}`);
    const questions: Question[] = numbers.flatMap((mobile, i) => [
      { endpoint: 'mobileOnline/query' as const, mobile },
      { endpoint: 'mobile_status/query' as const, mobile },
      // One number asked for two dates is two questions.
      { endpoint: 'twoSellTel/query' as const, mobile, date: '20200101' },
      { endpoint: 'twoSellTel/query' as const, mobile, date: '20210101' },
      // Hash forms: a known number's sha256, an unknown md5.
      ...(i % 3 === 0 ? [{ endpoint: 'twoSellTel/queryEncry' as const, mobile: sha256Hex(mobile), date: '20200101' }] : []),
      ...(i % 3 === 1 ? [{ endpoint: 'twoSellTel/queryEncry' as const, mobile: md5Hex(mobile), date: '20200101' }] : []),
    ]);
    const known = numbers.filter((_, i) => i % 2 === 0);
    const rates = '224805=0.25,232701=0.25,10014=0.05';

    it('fault the same (question, attempt) pairs whatever the order, the latency and the refusals', () => {
      const base = askUntilAnswered({ errorRates: rates, seed: 'order' }, questions, known);
      const faulted = [...base.codes.values()].flat().filter((code) => code !== 0 && code !== 224801 && code !== 224922 && code !== 232703);
      expect(faulted.length).toBeGreaterThan(100); // enough faults, and retries that fault again
      expect([...base.codes.values()].some((codes) => codes.length >= 3)).toBe(true);
      for (const variant of [
        askUntilAnswered({ errorRates: rates, seed: 'order' }, shuffled(questions, 'a'), known),
        askUntilAnswered({ errorRates: rates, seed: 'order' }, shuffled(questions, 'b').reverse(), known),
        askUntilAnswered({ errorRates: rates, seed: 'order', latencyMs: '5-50' }, shuffled(questions, 'c'), known),
        // Refusals interleaved: a rate limit (10011) and the same-number window (224924).
        askUntilAnswered({ errorRates: rates, seed: 'order', qps: 7, sameNumberWindowMs: 400 }, shuffled(questions, 'd'), known),
      ]) {
        expect(variant.codes).toEqual(base.codes);
      }
      expect(askUntilAnswered({ errorRates: rates, seed: 'order', qps: 7, sameNumberWindowMs: 400 }, questions, known).refusals).toBeGreaterThan(50);
      // Another seed faults other pairs.
      expect(askUntilAnswered({ errorRates: rates, seed: 'other' }, questions, known).codes).not.toEqual(base.codes);
    });

    it('draw the same latency for each (question, attempt) whatever the order', () => {
      const base = askUntilAnswered({ errorRates: rates, seed: 'order', latencyMs: '5-50' }, questions, known);
      const again = askUntilAnswered({ errorRates: rates, seed: 'order', latencyMs: '5-50', qps: 7 }, shuffled(questions, 'e'), known);
      expect(again.delays).toEqual(base.delays);
      const all = [...base.delays.values()].flat();
      expect(Math.min(...all)).toBe(5);
      expect(Math.max(...all)).toBe(50);
    });

    it('repeat after a reset', () => {
      const { service: s } = service({ errorRates: '224805=0.5', seed: 'reset' });
      const run = (): number[] => Array.from({ length: 60 }, (_, i) => ask(s, 'mobileOnline/query', numbers[i % 20]!).code);
      const first = run();
      s.reset();
      expect(run()).toEqual(first);
    });
  });

  it('answers codes pinned by fixtures, and hashes of fixture numbers reverse from the start and after a reset', () => {
    const { service: s } = service({}, { '13800138000': { error: { status: 224915 }, tenure: { bucket: '0-3' } } });
    expect(ask(s, 'mobile_status/query', '13800138000').body).toEqual({ reason: '网络异常,请重试', result: null, error_code: 224915 });
    expect((ask(s, 'mobile_online_sha256_cmcc/query', sha256Hex('13800138000')).body.result as { code: string }).code).toBe('1');
    expect([...s.ledger.entries()][1]).toMatchObject({ mobile: '13800138000', hash: null, form: 'sha256' });
    s.reset();
    expect([...s.ledger.entries()]).toEqual([]);
    ask(s, 'twoSellTel/queryEncry', md5Hex('13800138000'), { date: '20200101' });
    expect([...s.ledger.entries()][0]).toMatchObject({ mobile: '13800138000', form: 'md5' });
  });

  it('checks key, rate and quota before reading the number, and does not decrypt RSA for a refused call', () => {
    const { service: s } = service({ qps: 1 });
    const rsa = encodeMobile('13800138000', 'rsa', keys);
    // A garbled number behind a wrong key is a key error, not a parameter error.
    expect(s.handle(ENDPOINTS['mobile_status/queryRV2'], new URLSearchParams({ key: 'nope', mobile: 'AAAA' })).errorCode).toBe(10001);
    expect(ask(s, 'mobile_status/query', '13900139000').code).toBe(0);
    expect(ask(s, 'mobile_status/queryRV2', rsa).code).toBe(10011);
    expect(ask(s, 'mobile_status/queryRV2', 'not even base64!').code).toBe(10011);
    expect(ask(s, 'mobile_status/queryEncry', encodeMobile('13700137000', 'aes', keys)).code).toBe(10011);
    const entries = [...s.ledger.entries()];
    expect(entries[0]).toMatchObject({ error_code: 10001, mobile: null, form: null });
    // Refused RSA is not decrypted: no number in the ledger. Cheap forms still say which number.
    expect(entries[2]).toMatchObject({ error_code: 10011, mobile: null, form: null });
    expect(entries[4]).toMatchObject({ error_code: 10011, mobile: '13700137000', form: 'aes' });
    expect(s.index.size).toBe(0);
  });

  it('stamps each entry with the monotonic time the rate limiter saw', () => {
    const { service: s, clock } = service({ qps: 3 });
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      clock.now += 37.25;
      times.push(clock.now);
      ask(s, 'mobile_status/query', `1380013${String(8000 + i)}`);
    }
    const entries = [...s.ledger.entries()];
    expect(entries.map((e) => e.t_ms)).toEqual(times);
    // From the ledger alone: no sliding second holds more than qps accepted calls.
    const accepted = entries.filter((e) => e.error_code !== 10011 && e.error_code !== 10001).map((e) => e.t_ms);
    for (let i = 0; i < accepted.length; i++) expect(accepted.filter((t) => t >= accepted[i]! && t < accepted[i]! + 1_000).length).toBeLessThanOrEqual(3);
    expect(accepted.length).toBeGreaterThanOrEqual(3 * Math.floor((40 * 37.25) / 1_000));
  });

  it('never repeats an order id after a reset', () => {
    const { service: s } = service();
    const ids = (): string[] =>
      Array.from({ length: 20 }, (_, i) => (ask(s, 'mobile_status/queryEncry', encodeMobile(`1380013${String(8000 + i)}`, 'aes', keys)).body.result as { orderid?: string } | null)?.orderid ?? '').filter(Boolean);
    const before = ids();
    s.reset();
    const after = ids();
    expect(before.length).toBeGreaterThan(15);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
  });

  it('draws the latency for each answer', () => {
    const { service: s } = service({ latencyMs: '5-15' });
    const delays = Array.from({ length: 200 }, () => s.handle(ENDPOINTS['mobile_status/query'], new URLSearchParams({ key: DEMO_KEY, mobile: '13800138000' })).delayMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...delays)).toBeLessThanOrEqual(15);
    expect(new Set(delays).size).toBeGreaterThan(5);
  });
});
