import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';
import { apisFor, DEFAULT_PROFILE, PROFILES, ProfileError, resolveProfile, type Profile } from '../../../src/engine/profiles.js';
import { API_IDS } from '../../../src/juhe/catalogue.js';
import type { Carrier } from '../../../src/phone/carrier.js';

const CARRIERS: Array<Carrier | null> = ['cmcc', 'cucc', 'ctcc', 'cbn', null];

describe('profiles', () => {
  it('each profile asks its documented APIs', () => {
    expect(PROFILES.standard!.apis).toEqual(['status', 'tenure', 'resale', 'callDuration']);
    expect(PROFILES.private!.apis).toEqual(['status', 'tenureCmcc', 'tenure', 'resale', 'callDuration']);
    expect(PROFILES.basic!.apis).toEqual(['status', 'tenure']);
    expect(PROFILES.status!.apis).toEqual(['status']);
    expect(Object.keys(PROFILES).sort()).toEqual(['basic', 'private', 'standard', 'status']);
    for (const [name, profile] of Object.entries(PROFILES)) expect(profile.name).toBe(name);
    expect(DEFAULT_PROFILE).toBe('standard');
  });
});

describe('apisFor', () => {
  const standard = PROFILES.standard!;
  const priv = PROFILES.private!;

  it('standard: status and tenure for every carrier, call minutes only China Telecom, resale only with a date', () => {
    expect(apisFor(standard, { carrier: 'cmcc', date: null })).toEqual(['status', 'tenure']);
    expect(apisFor(standard, { carrier: 'cucc', date: null })).toEqual(['status', 'tenure']);
    expect(apisFor(standard, { carrier: 'cbn', date: null })).toEqual(['status', 'tenure']);
    expect(apisFor(standard, { carrier: 'ctcc', date: null })).toEqual(['status', 'tenure', 'callDuration']);
    expect(apisFor(standard, { carrier: 'cmcc', date: '20240101' })).toEqual(['status', 'tenure', 'resale']);
    expect(apisFor(standard, { carrier: 'ctcc', date: '20240101' })).toEqual(['status', 'tenure', 'resale', 'callDuration']);
    // An unknown carrier gets neither carrier-specific API.
    expect(apisFor(standard, { carrier: null, date: '20240101' })).toEqual(['status', 'tenure', 'resale']);
  });

  it('private: China Mobile tenure goes to tenureCmcc, every other carrier to tenure', () => {
    expect(apisFor(priv, { carrier: 'cmcc', date: null })).toEqual(['status', 'tenureCmcc']);
    expect(apisFor(priv, { carrier: 'cucc', date: null })).toEqual(['status', 'tenure']);
    expect(apisFor(priv, { carrier: 'ctcc', date: '20240101' })).toEqual(['status', 'tenure', 'resale', 'callDuration']);
    expect(apisFor(priv, { carrier: 'cbn', date: null })).toEqual(['status', 'tenure']);
    expect(apisFor(priv, { carrier: null, date: null })).toEqual(['status', 'tenure']);
  });

  it('tenureCmcc only for China Mobile; callDuration only for China Telecom, in any profile', () => {
    const all: Profile = { name: 'all', description: '', apis: [...API_IDS] };
    const cmccOnly: Profile = { name: 'tenureCmcc', description: '', apis: ['tenureCmcc'] };
    for (const carrier of CARRIERS) {
      for (const date of [null, '20240101']) {
        const apis = apisFor(all, { carrier, date });
        expect(apis.includes('tenureCmcc')).toBe(carrier === 'cmcc');
        expect(apis.includes('callDuration')).toBe(carrier === 'ctcc');
        expect(apis.includes('resale')).toBe(date !== null);
        // Exactly one tenure API per number when a profile has both.
        expect(apis.filter((api) => api === 'tenure' || api === 'tenureCmcc')).toHaveLength(1);
        expect(apisFor(cmccOnly, { carrier, date })).toEqual(carrier === 'cmcc' ? ['tenureCmcc'] : []);
      }
    }
  });

  it('a profile with tenureCmcc but not tenure leaves other carriers without tenure', () => {
    const profile = resolveProfile('status,tenureCmcc');
    expect(apisFor(profile, { carrier: 'cucc', date: null })).toEqual(['status']);
    expect(apisFor(profile, { carrier: 'cmcc', date: null })).toEqual(['status', 'tenureCmcc']);
  });
});

describe('resolveProfile', () => {
  it('defaults to standard and finds profiles by name (trimmed)', () => {
    expect(resolveProfile(undefined)).toBe(PROFILES.standard);
    expect(resolveProfile(' basic ')).toBe(PROFILES.basic);
  });

  it('reads a comma list of APIs, trimming and dropping repeats, in the order given', () => {
    const profile = resolveProfile('resale, status,,resale');
    expect(profile.apis).toEqual(['resale', 'status']);
    expect(profile.name).toBe('resale,status,resale');
    expect(resolveProfile('callDuration').apis).toEqual(['callDuration']);
  });

  it('refuses an unknown profile or API, naming it and the choices', () => {
    expect(() => resolveProfile('premium')).toThrow(ProfileError);
    expect(() => resolveProfile('premium')).toThrow(/--profile: unknown profile or API "premium"; profiles are standard, private, basic, status, or list APIs: status, tenure, tenureCmcc, resale, callDuration/);
    expect(() => resolveProfile('status,tenur')).toThrow(/"tenur"/);
    expect(() => resolveProfile(',')).toThrow(/unknown profile or API ","/);
    expect(() => resolveProfile('')).toThrow(ProfileError);
    const err = caught(() => resolveProfile('nope'));
    expect(err).toBeInstanceOf(ProfileError);
    expect(exitCodeOf(err)).toBe(2);
    expect((err as ProfileError).code).toBe('RISKSCREEN_PROFILE');
  });
});

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}
