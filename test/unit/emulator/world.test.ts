import { describe, expect, it } from 'vitest';
import { md5Hex, sha256Hex } from '../../../src/juhe/ciphers.js';
import { parseFixtures } from '../../../src/emulator/fixtures.js';
import type { Identity } from '../../../src/emulator/identity.js';
import { createHash } from 'node:crypto';
import { DATE_HORIZON_YEARS, DEFAULT_NOT_IN_SERVICE_SHARE, World, bucketForDays, stateWeightsFor, type NumberFacts } from '../../../src/emulator/world.js';
import { TENURE_BUCKETS } from '../../../src/juhe/model.js';

const REFERENCE = '20250601';
const DAY_MS = 86_400_000;

function byNumber(mobile: string): Identity {
  return { kind: 'number', mobile, sha256: sha256Hex(mobile), form: 'plain' };
}

/** n distinct China Mobile numbers. */
function numbers(n: number, prefix = '138'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i * 7_919 + 1).padStart(8, '0').slice(-8)}`);
}

/** Days from yyyymmdd `a` to yyyymmdd `b`. */
function daysBetween(a: string, b: string): number {
  const day = (d: string) => Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8))) / DAY_MS;
  return day(b) - day(a);
}

/** The yyyymmdd `days` days before `date`. */
function daysBefore(date: string, days: number): string {
  const day = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8))) - days * DAY_MS;
  return new Date(day).toISOString().slice(0, 10).replace(/-/g, '');
}

/** Shorter tenure buckets first; left_network is not a length and is never compared. */
const bucketRank = (bucket: string): number => TENURE_BUCKETS.indexOf(bucket as (typeof TENURE_BUCKETS)[number]);

/** Silent last month, as the rubric scores it: the busier of calling and called at most code 1, (0,1]. */
const isSilent = (facts: NumberFacts): boolean => Math.max(facts.callingCode, facts.calledCode) <= 1;

const near = (value: number, expected: number, tolerance = 0.012): void => expect(Math.abs(value - expected), `${value} vs ${expected}`).toBeLessThan(tolerance);

describe('world', () => {
  it('gives the same facts for the same seed and number, whatever the form', () => {
    const a = new World('s1', REFERENCE);
    const b = new World('s1', REFERENCE);
    const mobile = '13800138000';
    expect(a.factsFor(byNumber(mobile))).toEqual(b.factsFor(byNumber(mobile)));
    // A sha256 request that could not be reversed reaches the same state (carrier assumed CMCC).
    const viaHash = a.factsFor({ kind: 'sha256', sha256: sha256Hex(mobile), form: 'sha256' });
    const clear = a.factsFor(byNumber(mobile));
    expect({ ...viaHash, carrierKnown: true }).toEqual(clear);
    expect(viaHash.carrierKnown).toBe(false);
  });

  it('changes with the seed', () => {
    const sample = numbers(200);
    const a = new World('s1', REFERENCE);
    const b = new World('s2', REFERENCE);
    const differing = sample.filter((m) => JSON.stringify(a.factsFor(byNumber(m))) !== JSON.stringify(b.factsFor(byNumber(m))));
    expect(differing.length).toBeGreaterThan(150);
  });

  it('has the mix of a customer list: line states, tenure buckets and when lines were activated (20,000 numbers)', () => {
    const world = new World('mix', REFERENCE);
    const sample = numbers(20_000);
    const states: Record<string, number> = {};
    const tenures: Record<string, number> = {};
    const activation = { lastTwoYears: 0, twoYearsToHorizon: 0, beforeHorizon: 0 };
    for (const mobile of sample) {
      const facts = world.factsFor(byNumber(mobile));
      states[facts.state] = (states[facts.state] ?? 0) + 1;
      tenures[facts.tenure] = (tenures[facts.tenure] ?? 0) + 1;
      if (facts.activated === null) continue;
      const age = daysBetween(facts.activated, REFERENCE);
      if (age <= 730) activation.lastTwoYears++;
      else if (age <= DATE_HORIZON_YEARS * 365) activation.twoYearsToHorizon++;
      else activation.beforeHorizon++;
    }
    const share = (count: number | undefined): number => (count ?? 0) / sample.length;
    near(share(states['0']), 0.88);
    near(share(states['1']), 0.04, 0.006);
    near(share(states['2']), 0.02, 0.005);
    near(share(states['3']), 0.04, 0.006);
    near(share(states['4']), 0.02, 0.005);
    // Short tenures are few: a customer's phone is usually years old.
    near(share(tenures['0-3']), 0.01, 0.004);
    near(share(tenures['3-6']), 0.01, 0.004);
    near(share(tenures['6-12']), 0.01, 0.004);
    near(share(tenures['12-24']), 0.02, 0.005);
    near(share(tenures['24+']), 0.91);
    near(share(tenures.left_network), 0.04, 0.006);
    near(share(activation.lastTwoYears), 0.05, 0.007);
    near(share(activation.twoYearsToHorizon), 0.04, 0.006);
    near(share(activation.beforeHorizon), 0.87);
  });

  it('marks a few percent of a customer list as recycled: dates spread over the ten years up to two years ago (the sample list\'s kind)', () => {
    const world = new World('customers', REFERENCE);
    const sample = numbers(20_000, '186');
    let recycled = 0;
    let asked = 0;
    sample.forEach((mobile, i) => {
      const date = daysBefore(REFERENCE, 730 + ((i * 193) % 3_650));
      const answer = world.answer('resale', byNumber(mobile), date);
      if (answer.kind !== 'data') return;
      asked++;
      if (answer.res === 1) recycled++;
    });
    // 5% activated in the last two years (after every one of these dates) and 4% between
    // two and fifteen years ago (after (age - 2) / 13 of them, 38% on average): 6.5% in all.
    near(recycled / asked, 0.065, 0.012);
  });

  it('recycles more numbers the older the customer\'s date', () => {
    const world = new World('by-age', REFERENCE);
    const sample = numbers(20_000, '135');
    const recycledShare = (years: number): number => {
      const date = daysBefore(REFERENCE, Math.round(years * 365));
      const answers = sample.map((m) => world.answer('resale', byNumber(m), date)).filter((a) => a.kind === 'data');
      return answers.filter((a) => a.res === 1).length / answers.length;
    };
    // A date last month: only lines activated since then (a third of the 1% in the 0-3 bucket).
    expect(recycledShare(1 / 12)).toBeLessThan(0.006);
    // A year ago: the 0-3, 3-6 and 6-12 buckets, 1% each.
    near(recycledShare(1), 0.03, 0.006);
    near(recycledShare(3), 0.05 + 0.04 * (1 / 13), 0.008);
    near(recycledShare(10), 0.05 + 0.04 * (8 / 13), 0.01);
    // Beyond the horizon the long-held lines begin to count, fast: such dates are not a customer list's.
    expect(recycledShare(DATE_HORIZON_YEARS + 3)).toBeGreaterThan(0.2);
  });

  it('is consistent across APIs: a line not on the network left it, has no activation date and no call record', () => {
    const world = new World('consistency', REFERENCE);
    let inactive = 0;
    for (const mobile of numbers(5_000, '189')) {
      const facts = world.factsFor(byNumber(mobile));
      // Inactive (不在网) if and only if the tenure APIs say it left the network.
      expect(facts.state === '3').toBe(facts.tenure === 'left_network');
      if (facts.state === '3') {
        inactive++;
        expect(facts.activated).toBeNull();
        expect(facts.hasCallRecord).toBe(false);
        expect(world.answer('callDuration', byNumber(mobile))).toMatchObject({ kind: 'error', code: 232403 });
        if (!facts.noRecord.tenure) expect(world.answer('tenure', byNumber(mobile))).toMatchObject({ kind: 'data', facts: { tenure: 'left_network' } });
        if (!facts.noRecord.resale) expect(world.answer('resale', byNumber(mobile), '20200101')).toMatchObject({ kind: 'data', res: 3 });
      } else {
        expect(facts.activated).toMatch(/^\d{8}$/);
        expect(facts.hasCallRecord).toBe(true);
      }
      expect(facts.isp).toBe('电信');
    }
    expect(inactive).toBeGreaterThan(120);
  });

  it('is consistent across APIs: the tenure bucket is the time since activation, and recycled after a date means a tenure shorter than the time since that date', () => {
    const world = new World('tenure-resale', REFERENCE);
    const dates = [1, 30, 100, 200, 400, 800, 1_500, 3_000, 5_000, DATE_HORIZON_YEARS * 365 + 200].map((days) => daysBefore(REFERENCE, days));
    let recycled = 0;
    for (const mobile of numbers(5_000, '137')) {
      const facts = world.factsFor(byNumber(mobile));
      if (facts.activated === null) continue;
      const tenureDays = daysBetween(facts.activated, REFERENCE);
      expect(tenureDays).toBeGreaterThan(0);
      expect(bucketForDays(tenureDays)).toBe(facts.tenure);
      for (const date of dates) {
        const answer = world.answer('resale', byNumber(mobile), date);
        if (answer.kind !== 'data') continue;
        const sinceDate = bucketForDays(daysBetween(date, REFERENCE));
        if (answer.res === 1) {
          recycled++;
          // Activated after the date: on the network for less time than has passed since it.
          expect(tenureDays).toBeLessThan(daysBetween(date, REFERENCE));
          expect(bucketRank(facts.tenure)).toBeLessThanOrEqual(bucketRank(sinceDate));
        } else {
          expect(answer.res).toBe(2);
          expect(tenureDays).toBeGreaterThanOrEqual(daysBetween(date, REFERENCE));
          expect(bucketRank(facts.tenure)).toBeGreaterThanOrEqual(bucketRank(sinceDate));
        }
      }
    }
    expect(recycled).toBeGreaterThan(500);
  });

  it('answers resale as a pure function of the activation date and the date asked: recycled before it, not from it on', () => {
    const world = new World('resale-pure', REFERENCE);
    const again = new World('resale-pure', REFERENCE);
    for (const mobile of numbers(300, '139')) {
      const { activated, noRecord } = world.factsFor(byNumber(mobile));
      if (activated === null || noRecord.resale) continue;
      const dayBefore = daysBefore(activated, 1);
      for (const date of [daysBefore(activated, 4_000), dayBefore]) expect(world.answer('resale', byNumber(mobile), date)).toMatchObject({ res: 1 });
      for (const date of [activated, daysBefore(activated, -1), REFERENCE, '20991231']) expect(world.answer('resale', byNumber(mobile), date)).toMatchObject({ res: 2 });
      expect(again.answer('resale', byNumber(mobile), dayBefore)).toEqual(world.answer('resale', byNumber(mobile), dayBefore));
    }
  });

  it('correlates China Telecom call minutes with the line state: silent lines are far more often suspended', () => {
    const world = new World('minutes-state', REFERENCE);
    const telecom = numbers(20_000, '189').map((m) => world.factsFor(byNumber(m))).filter((f) => f.hasCallRecord);
    const silent = telecom.filter(isSilent);
    const busy = telecom.filter((f) => !isSilent(f));
    const suspendedShare = (lines: NumberFacts[]) => lines.filter((f) => f.state === '1').length / lines.length;
    expect(suspendedShare(silent)).toBeGreaterThan(0.25);
    expect(suspendedShare(busy)).toBeLessThan(0.015);
    const silentShare = (state: string) => {
      const lines = telecom.filter((f) => f.state === state);
      return lines.filter(isSilent).length / lines.length;
    };
    // Most lines out of normal use were already silent last month; some were cut off only this month.
    near(silentShare('1'), 0.8, 0.06);
    near(silentShare('2'), 0.7, 0.09);
    near(silentShare('4'), 0.95, 0.05);
    expect(silentShare('0')).toBeLessThan(0.06);
  });

  it('has about 1% no-record answers each for status, tenure and resale, deterministic per number', () => {
    const world = new World('no-record', REFERENCE);
    const again = new World('no-record', REFERENCE);
    const sample = numbers(20_000);
    const codes = { status: 0, tenure: 0, tenureCmcc: 0, resale: 0 };
    let all = 0;
    for (const mobile of sample) {
      const status = world.answer('status', byNumber(mobile));
      const tenure = world.answer('tenure', byNumber(mobile));
      const cmcc = world.answer('tenureCmcc', byNumber(mobile));
      const resale = world.answer('resale', byNumber(mobile), '20200101');
      if (status.kind === 'error' && status.code === 224922) codes.status++;
      if (tenure.kind === 'error' && tenure.code === 224801) codes.tenure++;
      if (cmcc.kind === 'error' && cmcc.code === 224801) codes.tenureCmcc++;
      if (resale.kind === 'error' && resale.code === 232703) codes.resale++;
      if (status.kind === 'error' && tenure.kind === 'error' && resale.kind === 'error') all++;
      expect(again.answer('status', byNumber(mobile))).toEqual(status);
    }
    for (const count of [codes.status, codes.tenure, codes.resale]) {
      expect(count / sample.length).toBeGreaterThan(0.006);
      expect(count / sample.length).toBeLessThan(0.014);
    }
    // Both tenure APIs agree (these are all China Mobile numbers), and the three are drawn separately.
    expect(codes.tenureCmcc).toBe(codes.tenure);
    expect(all).toBeLessThan(5);
    // Call minutes keep their own rule: no record only for inactive lines and other carriers.
    const telecom = numbers(5_000, '189').map((m) => world.factsFor(byNumber(m)));
    expect(telecom.filter((f) => !f.hasCallRecord).every((f) => f.state === '3')).toBe(true);
  });

  it('gives a number whose data a fixture pins a record for that API', () => {
    const world = new World('no-record', REFERENCE);
    const unlucky = numbers(20_000).filter((m) => {
      const { noRecord } = world.factsFor(byNumber(m));
      return noRecord.status && noRecord.tenure;
    });
    const resaleless = numbers(20_000).find((m) => world.factsFor(byNumber(m)).noRecord.resale)!;
    expect(unlucky.length).toBeGreaterThan(0);
    const pinned = new World(
      'no-record',
      REFERENCE,
      parseFixtures({ [unlucky[0]!]: { status: { state: '0' }, tenure: { bucket: '3-6' } }, [resaleless]: { resale: { activated: '20200101' } } }),
    );
    expect(pinned.answer('status', byNumber(unlucky[0]!))).toMatchObject({ kind: 'data' });
    expect(pinned.answer('tenure', byNumber(unlucky[0]!))).toMatchObject({ kind: 'data' });
    expect(pinned.answer('resale', byNumber(resaleless), '20190101')).toMatchObject({ kind: 'data', res: 1 });
  });

  it('spreads call minutes over the codes 0..11 for normal lines', () => {
    const world = new World('minutes', REFERENCE);
    const seen = new Set<number>();
    for (const mobile of numbers(3_000, '189')) seen.add(world.factsFor(byNumber(mobile)).callingCode);
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('is carrier-aware: sha256 tenure only for China Mobile, call minutes only for China Telecom', () => {
    const world = new World('carrier', REFERENCE, parseFixtures({ '18912345678': { status: { state: '0' } }, '13800138000': { status: { state: '0' } } }));
    expect(world.answer('tenureCmcc', byNumber('13012345678'))).toMatchObject({ kind: 'error', code: 224801 });
    expect(world.answer('tenureCmcc', byNumber('13800138000'))).toMatchObject({ kind: 'data' });
    expect(world.answer('callDuration', byNumber('13800138000'))).toMatchObject({ kind: 'error', code: 232403 });
    expect(world.answer('callDuration', byNumber('18912345678'))).toMatchObject({ kind: 'data' });
    // A hash the emulator cannot reverse is taken as China Mobile.
    expect(world.answer('tenureCmcc', { kind: 'sha256', sha256: sha256Hex('18912345678'), form: 'sha256' })).toMatchObject({ kind: 'data' });
    expect(world.factsFor(byNumber('13012345678')).isp).toBe('联通');
    expect(world.factsFor(byNumber('19212345678')).isp).toBe('广电');
  });

  it('answers an md5 it cannot reverse from the seed and the md5', () => {
    const world = new World('md5', REFERENCE);
    const md5 = md5Hex('13800138000');
    const a = world.factsFor({ kind: 'md5', md5, form: 'md5' });
    expect(world.factsFor({ kind: 'md5', md5, form: 'md5' })).toEqual(a);
    expect(world.answer('resale', { kind: 'md5', md5, form: 'md5' }, '20200101').kind).toBe('data');
  });

  it('lets fixtures pin answers, a pinned carrier included', () => {
    const world = new World(
      'pins',
      REFERENCE,
      parseFixtures({
        '13800138000': {
          carrier: 'ctcc',
          status: { state: '4' },
          tenure: { bucket: '3-6' },
          resale: { activated: '20240101' },
          callDuration: { calling: '11', called: '0' },
          province: '西藏',
          city: '拉萨',
        },
        '13900139000': { error: { status: 224915 } },
        '13700137000': { resale: { activated: '20250501' } },
      }),
    );
    const facts = world.factsFor(byNumber('13800138000'));
    expect(facts).toMatchObject({ carrier: 'ctcc', isp: '电信', state: '4', stateDescription: '预销户', tenure: '3-6', activated: '20240101', callingCode: 11, calledCode: 0, province: '西藏', city: '拉萨' });
    expect(world.answer('callDuration', byNumber('13800138000'))).toMatchObject({ kind: 'data' });
    expect(world.answer('tenureCmcc', byNumber('13800138000'))).toMatchObject({ kind: 'error', code: 224801 });
    expect(world.answer('resale', byNumber('13800138000'), '20231231')).toMatchObject({ res: 1 });
    expect(world.answer('status', byNumber('13900139000'))).toMatchObject({ kind: 'error', code: 224915 });
    // A pinned activation date without a pinned tenure gives the matching tenure.
    expect(world.factsFor(byNumber('13700137000')).tenure).toBe('0-3');
    expect([...world.pinnedNumbers()].sort()).toEqual(['13700137000', '13800138000', '13900139000']);
  });

  it('keeps a pinned tenure and the drawn activation date in agreement', () => {
    const sample = numbers(200, '150');
    const pins: Record<string, unknown> = {};
    const buckets = ['0-3', '3-6', '6-12', '12-24', '24+'] as const;
    sample.forEach((mobile, i) => (pins[mobile] = { tenure: { bucket: buckets[i % buckets.length] } }));
    const world = new World('pinned-tenure', REFERENCE, parseFixtures(pins));
    sample.forEach((mobile, i) => {
      const facts = world.factsFor(byNumber(mobile));
      expect(facts.tenure).toBe(buckets[i % buckets.length]);
      expect(bucketForDays(daysBetween(facts.activated!, REFERENCE))).toBe(facts.tenure);
    });
    // A pinned null activation on a line still on the network: resale res 3, a tenure all the same.
    const noDate = new World('pinned-tenure', REFERENCE, parseFixtures({ '15000000001': { status: { state: '0' }, resale: { activated: null } } }));
    const facts = noDate.factsFor(byNumber('15000000001'));
    expect(facts.activated).toBeNull();
    expect(facts.tenure).not.toBe('left_network');
    expect(noDate.answer('resale', byNumber('15000000001'), '20200101')).toMatchObject({ kind: 'data', res: 3 });
  });

});

describe('world with a share of lines not in service (notInService)', () => {
  /** Line states of `sample` as shares. */
  function stateShares(world: World, sample: readonly string[]): Record<string, number> {
    const counts: Record<string, number> = { '0': 0, '1': 0, '2': 0, '3': 0, '4': 0 };
    for (const mobile of sample) counts[world.factsFor(byNumber(mobile)).state]!++;
    return Object.fromEntries(Object.entries(counts).map(([state, n]) => [state, n / sample.length]));
  }

  it('leaves the default world exactly as it was when the option is unset (a digest of its answers, taken before the option existed)', () => {
    // Facts and a resale answer of 3,000 numbers over six carriers' prefixes. If this
    // changes, every seed's world changed: the golden results and the shares in
    // docs/emulator.md change with it. Only change it with the world, on purpose.
    const world = new World('golden-default', REFERENCE);
    const same = new World('golden-default', REFERENCE, new Map(), {});
    const digest = createHash('sha256');
    const prefixes = ['138', '130', '189', '192', '150', '177'];
    for (let i = 0; i < 3_000; i++) {
      const mobile = `${prefixes[i % prefixes.length]}${String(i * 7_919 + 1).padStart(8, '0').slice(-8)}`;
      const facts = world.factsFor(byNumber(mobile));
      if (i % 10 === 0) expect(same.factsFor(byNumber(mobile))).toEqual(facts);
      digest.update(JSON.stringify(facts));
      digest.update(JSON.stringify(world.answer('resale', byNumber(mobile), '20180315')));
    }
    expect(digest.digest('hex')).toBe('167726a21456552d55de6598a74fa2b3d9fecf2827dc1305109dcbcbf7278d7d');
  });

  it('scales states 3 and 4 to the share, 2:1, and the states in service keep their 88:4:2 (the weights)', () => {
    expect(DEFAULT_NOT_IN_SERVICE_SHARE).toBeCloseTo(0.06, 12);
    const weights = Object.fromEntries(stateWeightsFor(0.2));
    expect(weights['3']).toBeCloseTo(0.2 * (2 / 3), 12);
    expect(weights['4']).toBeCloseTo(0.2 * (1 / 3), 12);
    expect(weights['0']).toBeCloseTo(0.8 * (88 / 94), 12);
    expect(weights['1']).toBeCloseTo(0.8 * (4 / 94), 12);
    expect(weights['2']).toBeCloseTo(0.8 * (2 / 94), 12);
    expect(Object.values(weights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // The default share gives the default weights back.
    const asDefault = Object.fromEntries(stateWeightsFor(DEFAULT_NOT_IN_SERVICE_SHARE));
    for (const [state, percent] of [['0', 88], ['1', 4], ['2', 2], ['3', 4], ['4', 2]] as const) expect(asDefault[state]).toBeCloseTo(percent / 100, 12);
  });

  it('draws 20% of lines not in service, 13.3% inactive and 6.7% pre-cancel, and keeps the rest in proportion (20,000 numbers)', () => {
    const world = new World('dormant', REFERENCE, new Map(), { notInService: 0.2 });
    const sample = numbers(20_000, '136');
    const shares = stateShares(world, sample);
    near(shares['3']! + shares['4']!, 0.2);
    near(shares['3']!, 0.2 * (2 / 3), 0.01);
    near(shares['4']!, 0.2 * (1 / 3), 0.007);
    near(shares['0']!, 0.8 * (88 / 94));
    near(shares['1']!, 0.8 * (4 / 94), 0.006);
    near(shares['2']!, 0.8 * (2 / 94), 0.005);
    // The same seed, the same world: deterministic per seed and number.
    const again = new World('dormant', REFERENCE, new Map(), { notInService: 0.2 });
    for (const mobile of sample.slice(0, 500)) expect(again.factsFor(byNumber(mobile))).toEqual(world.factsFor(byNumber(mobile)));
  });

  it('keeps the rules that tie the APIs together, and the activation shares among lines on the network', () => {
    const world = new World('dormant-rules', REFERENCE, new Map(), { notInService: 0.2 });
    const sample = numbers(20_000, '133');
    let onNetwork = 0;
    const activation = { lastTwoYears: 0, twoYearsToHorizon: 0, beforeHorizon: 0 };
    const noRecord = { status: 0, tenure: 0, resale: 0 };
    for (const mobile of sample) {
      const facts = world.factsFor(byNumber(mobile));
      // Inactive if and only if it left the network; then no activation date and no call record.
      expect(facts.state === '3').toBe(facts.tenure === 'left_network');
      expect(facts.activated === null).toBe(facts.state === '3');
      expect(facts.hasCallRecord).toBe(facts.state !== '3');
      for (const source of ['status', 'tenure', 'resale'] as const) if (facts.noRecord[source]) noRecord[source]++;
      if (facts.activated === null) continue;
      onNetwork++;
      const age = daysBetween(facts.activated, REFERENCE);
      if (age <= 730) activation.lastTwoYears++;
      else if (age <= DATE_HORIZON_YEARS * 365) activation.twoYearsToHorizon++;
      else activation.beforeHorizon++;
    }
    // The default world's 5 / 4 / 87 of all numbers are of its 96% on the network.
    near(activation.lastTwoYears / onNetwork, 5 / 96, 0.008);
    near(activation.twoYearsToHorizon / onNetwork, 4 / 96, 0.007);
    near(activation.beforeHorizon / onNetwork, 87 / 96);
    for (const count of Object.values(noRecord)) near(count / sample.length, 0.01, 0.004);
  });

  it('keeps every number not in service by default out of service at a larger share (the same draw per number)', () => {
    const normal = new World('monotone', REFERENCE);
    const dormant = new World('monotone', REFERENCE, new Map(), { notInService: 0.2 });
    let out = 0;
    for (const mobile of numbers(5_000, '158')) {
      const before = normal.factsFor(byNumber(mobile)).state;
      if (before !== '3' && before !== '4') continue;
      out++;
      expect(['3', '4']).toContain(dormant.factsFor(byNumber(mobile)).state);
      // Pre-cancel stays pre-cancel: its slice of the draws only grows.
      if (before === '4') expect(dormant.factsFor(byNumber(mobile)).state).toBe('4');
    }
    expect(out).toBeGreaterThan(200);
  });

  it('takes 0 and 1 at their word, lets fixtures win, and refuses a share outside 0..1', () => {
    const sample = numbers(2_000, '131');
    const none = stateShares(new World('edges', REFERENCE, new Map(), { notInService: 0 }), sample);
    expect(none['3']! + none['4']!).toBe(0);
    const all = stateShares(new World('edges', REFERENCE, new Map(), { notInService: 1 }), sample);
    expect(all['3']! + all['4']!).toBe(1);
    const pinned = new World('edges', REFERENCE, parseFixtures({ [sample[0]!]: { status: { state: '0' } } }), { notInService: 1 });
    expect(pinned.factsFor(byNumber(sample[0]!)).state).toBe('0');
    for (const bad of [-0.1, 1.5, Number.NaN]) expect(() => new World('edges', REFERENCE, new Map(), { notInService: bad })).toThrow(/notInService/);
  });
});
