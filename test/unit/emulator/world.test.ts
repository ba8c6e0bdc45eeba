import { describe, expect, it } from 'vitest';
import { md5Hex, sha256Hex } from '../../../src/juhe/ciphers.js';
import { parseFixtures } from '../../../src/emulator/fixtures.js';
import type { Identity } from '../../../src/emulator/identity.js';
import { World, bucketForDays } from '../../../src/emulator/world.js';

const REFERENCE = '20250601';

function byNumber(mobile: string): Identity {
  return { kind: 'number', mobile, sha256: sha256Hex(mobile), form: 'plain' };
}

/** n distinct China Mobile numbers. */
function numbers(n: number, prefix = '138'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i * 7_919 + 1).padStart(8, '0').slice(-8)}`);
}

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

  it('has the realistic mix of states and tenures', () => {
    const world = new World('mix', REFERENCE);
    const sample = numbers(20_000);
    const states: Record<string, number> = {};
    const tenures: Record<string, number> = {};
    for (const mobile of sample) {
      const facts = world.factsFor(byNumber(mobile));
      states[facts.state] = (states[facts.state] ?? 0) + 1;
      tenures[facts.tenure] = (tenures[facts.tenure] ?? 0) + 1;
    }
    const share = (count: number | undefined): number => (count ?? 0) / sample.length;
    const near = (value: number, expected: number): void => expect(Math.abs(value - expected)).toBeLessThan(0.012);
    near(share(states['0']), 0.85);
    near(share(states['1']), 0.05);
    near(share(states['2']), 0.03);
    near(share(states['3']), 0.04);
    near(share(states['4']), 0.03);
    near(share(tenures['0-3']), 0.08);
    near(share(tenures['3-6']), 0.05);
    near(share(tenures['6-12']), 0.07);
    near(share(tenures['12-24']), 0.1);
    near(share(tenures['24+']), 0.66);
    near(share(tenures.left_network), 0.04);
  });

  it('is self-consistent: inactive lines left the network, have no activation date and no call record', () => {
    const world = new World('consistency', REFERENCE);
    let inactive = 0;
    for (const mobile of numbers(5_000, '189')) {
      const facts = world.factsFor(byNumber(mobile));
      if (facts.state === '3') {
        inactive++;
        expect(facts.tenure).toBe('left_network');
        expect(facts.activated).toBeNull();
        expect(world.answer('callDuration', byNumber(mobile))).toMatchObject({ kind: 'error', code: 232403 });
        if (!facts.noRecord.resale) expect(world.answer('resale', byNumber(mobile), '20200101')).toMatchObject({ kind: 'data', res: 3 });
      } else {
        expect(facts.tenure).not.toBe('left_network');
        expect(facts.activated).toMatch(/^\d{8}$/);
        // The activation date lies inside the tenure bucket, counted back from the reference date.
        const days = (Date.UTC(2025, 5, 1) - Date.parse(`${facts.activated!.slice(0, 4)}-${facts.activated!.slice(4, 6)}-${facts.activated!.slice(6)}`)) / 86_400_000;
        expect(bucketForDays(days)).toBe(facts.tenure);
      }
      if (facts.state !== '0') {
        // Lines that are not in normal use make (almost) no calls.
        expect(facts.callingCode).toBe(0);
        expect(facts.calledCode).toBeLessThanOrEqual(1);
      }
      expect(facts.isp).toBe('电信');
    }
    expect(inactive).toBeGreaterThan(100);
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

  it('answers resale by comparing the activation date with the date asked', () => {
    const world = new World('resale', REFERENCE);
    const mobile = numbers(50).find((m) => world.factsFor(byNumber(m)).activated !== null)!;
    const activated = world.factsFor(byNumber(mobile)).activated!;
    const dayBefore = new Date(Date.parse(`${activated.slice(0, 4)}-${activated.slice(4, 6)}-${activated.slice(6)}`) - 86_400_000)
      .toISOString()
      .slice(0, 10)
      .replace(/-/g, '');
    expect(world.answer('resale', byNumber(mobile), dayBefore)).toMatchObject({ res: 1 });
    expect(world.answer('resale', byNumber(mobile), activated)).toMatchObject({ res: 2 });
    expect(world.answer('resale', byNumber(mobile), '20991231')).toMatchObject({ res: 2 });
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
});
