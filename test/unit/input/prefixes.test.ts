import { describe, expect, it } from 'vitest';
import { CARRIERS } from '../../../src/phone/carrier.js';
import { NUMBER_KINDS, PREFIX_TABLE_CHECKED, allPrefixes, lookupPrefix } from '../../../src/phone/prefixes.js';

describe('prefix table', () => {
  it('finds each carrier and kind', () => {
    expect(lookupPrefix('13800138000')).toEqual({ prefix: '138', carrier: 'cmcc', kind: 'mobile' });
    expect(lookupPrefix('18612345678')).toEqual({ prefix: '186', carrier: 'cucc', kind: 'mobile' });
    expect(lookupPrefix('18912345678')).toEqual({ prefix: '189', carrier: 'ctcc', kind: 'mobile' });
    expect(lookupPrefix('19212345678')).toEqual({ prefix: '192', carrier: 'cbn', kind: 'mobile' });
    expect(lookupPrefix('16512345678')).toMatchObject({ carrier: 'cmcc', kind: 'mvno' });
    expect(lookupPrefix('16712345678')).toMatchObject({ carrier: 'cucc', kind: 'mvno' });
    expect(lookupPrefix('16212345678')).toMatchObject({ carrier: 'ctcc', kind: 'mvno' });
    expect(lookupPrefix('17112345678')).toMatchObject({ carrier: 'cucc', kind: 'mvno' });
    expect(lookupPrefix('14512345678')).toMatchObject({ carrier: 'cucc', kind: 'iot' });
    expect(lookupPrefix('14912345678')).toMatchObject({ carrier: 'ctcc', kind: 'iot' });
  });

  it('lets the longest prefix win: 170x MVNOs of three carriers', () => {
    expect(lookupPrefix('17001234567')).toEqual({ prefix: '1700', carrier: 'ctcc', kind: 'mvno' });
    expect(lookupPrefix('17031234567')).toEqual({ prefix: '1703', carrier: 'cmcc', kind: 'mvno' });
    expect(lookupPrefix('17041234567')).toEqual({ prefix: '1704', carrier: 'cucc', kind: 'mvno' });
    expect(lookupPrefix('17091234567')).toEqual({ prefix: '1709', carrier: 'cucc', kind: 'mvno' });
  });

  it('puts 1349 with China Telecom satellite, the rest of 134 with China Mobile', () => {
    expect(lookupPrefix('13491234567')).toEqual({ prefix: '1349', carrier: 'ctcc', kind: 'satellite' });
    expect(lookupPrefix('13481234567')).toEqual({ prefix: '134', carrier: 'cmcc', kind: 'mobile' });
  });

  it('knows satellite 17400-17405 and nothing else of 174', () => {
    for (const prefix of ['17400', '17401', '17402', '17403', '17404', '17405']) {
      expect(lookupPrefix(`${prefix}123456`)).toEqual({ prefix, carrier: 'ctcc', kind: 'satellite' });
    }
    expect(lookupPrefix('17406123456')).toBeUndefined();
    expect(lookupPrefix('17412123456')).toBeUndefined();
  });

  it('has no allocation for unassigned prefixes', () => {
    for (const prefix of ['100', '110', '120', '140', '142', '143', '144', '154', '160', '161', '163', '164', '168', '169', '179', '194']) {
      expect(lookupPrefix(`${prefix}12345678`), prefix).toBeUndefined();
    }
  });

  it('is well formed: unique prefixes of 3 to 5 digits starting with 1, known carriers and kinds', () => {
    const prefixes = allPrefixes();
    expect(prefixes.length).toBeGreaterThan(60);
    expect(new Set(prefixes.map((info) => info.prefix)).size).toBe(prefixes.length);
    for (const info of prefixes) {
      expect(info.prefix).toMatch(/^1\d{2,4}$/);
      expect(CARRIERS).toContain(info.carrier);
      expect(NUMBER_KINDS).toContain(info.kind);
    }
  });

  it('says when it was last checked, a real date not in the future', () => {
    expect(PREFIX_TABLE_CHECKED).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const checked = new Date(`${PREFIX_TABLE_CHECKED}T00:00:00Z`);
    expect(Number.isNaN(checked.getTime())).toBe(false);
    expect(checked.getTime()).toBeLessThanOrEqual(Date.now());
  });
});
