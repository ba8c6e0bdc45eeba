import { describe, expect, it } from 'vitest';
import { INVALID_REASONS, normalizeMobile } from '../../../src/input/normalize.js';

describe('normalizeMobile: cleaning', () => {
  it.each([
    ['13800138000', 'plain'],
    [' 13800138000 ', 'spaces around'],
    ['138 0013 8000', 'spaces inside'],
    ['138-0013-8000', 'dashes'],
    ['138.0013.8000', 'dots'],
    ['(138)00138000', 'parentheses'],
    ['１３８００１３８０００', 'full-width digits'],
    ['１３８－００１３－８０００', 'full-width digits and dash'],
    ['138\u3000 0013\u30008000', 'ideographic spaces'],
    ['\u200b13800138000\ufeff', 'zero-width characters'],
    ['+8613800138000', '+86'],
    ['+86 138 0013 8000', '+86 with spaces'],
    ['＋８６１３８００１３８０００', 'full-width +86'],
    ['(+86)13800138000', '+86 in parentheses'],
    ['008613800138000', '0086'],
    ['8613800138000', '86'],
    ['13800138000.0', "Excel's trailing .0"],
    ['13800138000.00', "Excel's trailing .00"],
    ['="13800138000"', 'Excel text formula'],
    ["'13800138000", 'leading apostrophe'],
    ['"13800138000"', 'stray quotes'],
    ['138"00138000', 'a quote inside'],
    ['13,800,138,000', 'thousands separators'],
    ['138/0013/8000', 'slashes'],
    ['\t13800138000\t', 'tabs'],
    ['138 0013 8000.0', "spaces and Excel's trailing .0"],
    ['+86 138 0013 8000.0', "+86, spaces and Excel's trailing .0"],
  ])('%s (%s) is 13800138000', (raw) => {
    expect(normalizeMobile(raw)).toEqual({ ok: true, mobile: '13800138000', carrier: 'cmcc', kind: 'mobile' });
  });

  it.each([
    ['18612345678', 'cucc', 'mobile'],
    ['13312345678', 'ctcc', 'mobile'],
    ['19212345678', 'cbn', 'mobile'],
    ['16212345678', 'ctcc', 'mvno'],
    ['17051234567', 'cmcc', 'mvno'],
    ['17101234567', 'cucc', 'mvno'],
    ['14712345678', 'cmcc', 'iot'],
    ['13491234567', 'ctcc', 'satellite'],
    ['17400123456', 'ctcc', 'satellite'],
  ])('%s is %s %s', (raw, carrier, kind) => {
    expect(normalizeMobile(raw)).toEqual({ ok: true, mobile: raw, carrier, kind });
  });
});

describe('normalizeMobile: refusals', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['\u3000', 'empty'],
    ['""', 'empty'],
    ['=""', 'empty'],
    ['-', 'empty'],
    ['1.38001E+10', 'scientific_notation'],
    ['1.38001e+10', 'scientific_notation'],
    ['1,38001E+10', 'scientific_notation'],
    ['1.3800138E10', 'scientific_notation'],
    ['138****8000', 'masked'],
    ['138xxxx8000', 'masked'],
    ['13800138000/13900139000', 'multiple_numbers'],
    ['13800138000, 13900139000', 'multiple_numbers'],
    ['13800138000;13900139000', 'multiple_numbers'],
    ['13800138000、13900139000', 'multiple_numbers'],
    ['13800138000 13900139000', 'multiple_numbers'],
    ['abc', 'letters'],
    ['tel13800138000', 'letters'],
    ['13800138000 张三', 'letters'],
    ['138-0013-8000 转 123', 'letters'],
    ['13800138000#', 'invalid_characters'],
    ['138+00138000', 'invalid_characters'],
    ['+1 415 555 0100', 'foreign'],
    ['+85291234567', 'foreign'],
    ['0085291234567', 'foreign'],
    ['010-12345678', 'landline'],
    ['0755 1234 5678', 'landline'],
    ['+86 21 1234 5678'.replace('21', '021'), 'landline'],
    ['+86 10 12345678', 'landline'],
    ['+86 21 1234 5678', 'landline'],
    ['0086 755 1234 5678', 'landline'],
    ['+861012345678', 'landline'],
    ['1380013800', 'too_short'],
    ['12345', 'too_short'],
    ['138001380001', 'too_long'],
    ['13800138000.5', 'decimal'],
    ['23800138000', 'unallocated_prefix'],
    ['10012345678', 'unallocated_prefix'],
    ['12012345678', 'unallocated_prefix'],
    ['14012345678', 'unallocated_prefix'],
    ['15412345678', 'unallocated_prefix'],
    ['16012345678', 'unallocated_prefix'],
    ['17406123456', 'unallocated_prefix'],
    ['17912345678', 'unallocated_prefix'],
    ['19412345678', 'unallocated_prefix'],
  ])('%j is refused as %s', (raw, reason) => {
    expect(normalizeMobile(raw)).toEqual({ ok: false, reason });
  });

  it('a decimal other than .0 is not cleaned into a number', () => {
    // Dots are phone formatting (138.0013.8000), but a one- or two-digit fraction is a
    // number Excel computed, and must not be glued onto the digits.
    expect(normalizeMobile('1380013800.5')).toEqual({ ok: false, reason: 'decimal' });
    expect(normalizeMobile('138.0013.8000')).toMatchObject({ ok: true, mobile: '13800138000' });
  });

  it('every reason has a plain-English description', () => {
    for (const [code, text] of Object.entries(INVALID_REASONS)) {
      expect(code).toMatch(/^[a-z_]+$/);
      expect(text.length).toBeGreaterThan(5);
    }
  });
});
