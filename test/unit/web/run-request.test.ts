/**
 * The options a batch is started (or previewed) with, as JSON values or multipart
 * strings: each problem is a 422 RISKSCREEN_BAD_OPTION naming the field.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUBRIC, type Rubric } from '../../../src/risk/index.js';
import type { RubricChoice } from '../../../src/web/rubric-catalogue.js';
import { INPUT_FIELDS, inputOptionsOf, profileOf, RUN_FIELDS, runRequestOf } from '../../../src/web/run-request.js';
import { WebError } from '../../../src/web/web-error.js';

const strict: Rubric = { ...DEFAULT_RUBRIC, name: 'strict rubric' };
const RUBRICS: RubricChoice[] = [
  { id: 'default', name: DEFAULT_RUBRIC.name, rubric: DEFAULT_RUBRIC },
  { id: 'strict', name: strict.name, rubric: strict },
];
const MAX = 1_000_000;

function badOption(fn: () => unknown): WebError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WebError);
    const webError = err as WebError;
    expect(webError.code).toBe('RISKSCREEN_BAD_OPTION');
    expect(webError.status).toBe(422);
    return webError;
  }
  throw new Error('expected a WebError');
}

describe('runRequestOf', () => {
  it('gives the defaults for an empty request', () => {
    expect(runRequestOf({}, RUBRICS, MAX)).toEqual({ input: { maxFileBytes: MAX }, profile: 'standard', maxCalls: null, rubric: DEFAULT_RUBRIC, plan: 'staged' });
  });

  it('reads every field, as JSON values', () => {
    const request = runRequestOf(
      { uploadId: 'u0123', profile: 'basic', maxCalls: 5000, rubric: 'strict', plan: 'all', column: '手机号', dateColumn: 3, since: '2024-01-31', sheet: 'Sheet 2', header: 'yes', delimiter: ';', encoding: 'gb18030' },
      RUBRICS,
      MAX,
    );
    expect(request).toEqual({
      input: { maxFileBytes: MAX, column: '手机号', dateColumn: 3, since: '20240131', sheet: 'Sheet 2', header: 'yes', delimiter: ';', encoding: 'gb18030' },
      profile: 'basic',
      maxCalls: 5000,
      rubric: strict,
      plan: 'all',
    });
  });

  it('reads multipart strings alike (all fields are text there), and empty fields are not given', () => {
    const request = runRequestOf({ profile: '', maxCalls: '  ', rubric: '', column: '2', dateColumn: '', since: '', sheet: '1', header: '' }, RUBRICS, MAX);
    expect(request).toEqual({ input: { maxFileBytes: MAX, column: 2, sheet: 1 }, profile: 'standard', maxCalls: null, rubric: DEFAULT_RUBRIC, plan: 'staged' });
    expect(runRequestOf({ maxCalls: ' 12 ', profile: null, rubric: null }, RUBRICS, MAX)).toMatchObject({ maxCalls: 12, profile: 'standard' });
  });

  it('refuses an unknown field, naming it', () => {
    const err = badOption(() => runRequestOf({ profile: 'basic', maxcalls: 5 }, RUBRICS, MAX));
    expect(err.details).toEqual({ field: 'maxcalls' });
    expect(err.message).toMatch(/^maxcalls: unknown field; the fields are /);
    for (const field of RUN_FIELDS) expect(err.message).toContain(field);
    expect(badOption(() => runRequestOf({ __proto__x: 1 }, RUBRICS, MAX)).details).toEqual({ field: '__proto__x' });
  });

  it.each([['0'], [0], ['-5'], ['1.5'], [2.5], ['lots'], ['1e3'], ['9007199254740993'], [true], [{}]])('refuses maxCalls %j', (value) => {
    const err = badOption(() => runRequestOf({ maxCalls: value }, RUBRICS, MAX));
    expect(err.details).toEqual({ field: 'maxCalls' });
    expect(err.message).toMatch(/^maxCalls: must be a whole number of calls, at least 1/);
  });

  it('plan: staged or all (any case); the server\'s configured plan when not given; anything else is refused, naming the field', () => {
    expect(runRequestOf({ plan: 'ALL ' }, RUBRICS, MAX).plan).toBe('all');
    expect(runRequestOf({ plan: 'staged' }, RUBRICS, MAX, 'all').plan).toBe('staged');
    expect(runRequestOf({}, RUBRICS, MAX, 'all').plan).toBe('all');
    expect(runRequestOf({ plan: '' }, RUBRICS, MAX, 'all').plan).toBe('all');
    for (const value of ['some', 1, true]) {
      const err = badOption(() => runRequestOf({ plan: value }, RUBRICS, MAX));
      expect(err.details).toEqual({ field: 'plan' });
      expect(err.message).toMatch(/^plan: must be staged or all/);
    }
  });

  it('takes maxCalls of 1 and a large safe integer', () => {
    expect(runRequestOf({ maxCalls: '1' }, RUBRICS, MAX).maxCalls).toBe(1);
    expect(runRequestOf({ maxCalls: 10_000_000 }, RUBRICS, MAX).maxCalls).toBe(10_000_000);
  });

  it('refuses a rubric the server does not offer, listing those it does', () => {
    const err = badOption(() => runRequestOf({ rubric: 'lenient' }, RUBRICS, MAX));
    expect(err.details).toEqual({ field: 'rubric' });
    expect(err.message).toBe('rubric: no rubric "lenient" on this server; it offers default, strict');
    // ids, not names or files
    badOption(() => runRequestOf({ rubric: 'strict rubric' }, RUBRICS, MAX));
    badOption(() => runRequestOf({ rubric: 'rubrics/strict.json' }, RUBRICS, MAX));
    badOption(() => runRequestOf({ rubric: 'Strict' }, RUBRICS, MAX));
  });

  it('checks the input fields too', () => {
    expect(badOption(() => runRequestOf({ column: ['a'] }, RUBRICS, MAX)).details).toEqual({ field: 'column' });
  });
});

describe('profileOf', () => {
  it('is the default profile when not given', () => {
    expect(profileOf(undefined)).toBe('standard');
    expect(profileOf('')).toBe('standard');
    expect(profileOf(null)).toBe('standard');
  });

  it('takes a profile name or a list of APIs', () => {
    expect(profileOf('private')).toBe('private');
    expect(profileOf(' status ')).toBe('status');
    expect(profileOf('status,resale')).toBe('status,resale');
  });

  it.each([['nope'], ['status,nope'], [5], [['status']]])('refuses %j, naming the field', (value) => {
    const err = badOption(() => profileOf(value));
    expect(err.details).toEqual({ field: 'profile' });
    expect(err.message).toMatch(/^profile: /);
  });
});

describe('inputOptionsOf', () => {
  it('lists the input fields', () => {
    expect([...INPUT_FIELDS].sort()).toEqual(['column', 'dateColumn', 'delimiter', 'encoding', 'header', 'sheet', 'since']);
  });

  it('reads columns and sheets as 1-based numbers when all digits, else as names', () => {
    expect(inputOptionsOf({ column: '3', dateColumn: 4, sheet: '2' }, MAX)).toEqual({ maxFileBytes: MAX, column: 3, dateColumn: 4, sheet: 2 });
    expect(inputOptionsOf({ column: ' 3 ' }, MAX).column).toBe(3);
    expect(inputOptionsOf({ column: 'mobile', dateColumn: '注册日期', sheet: 'Sheet1' }, MAX)).toEqual({
      maxFileBytes: MAX,
      column: 'mobile',
      dateColumn: '注册日期',
      sheet: 'Sheet1',
    });
    expect(inputOptionsOf({ column: '3a' }, MAX).column).toBe('3a');
    expect(inputOptionsOf({ column: 'col 3' }, MAX).column).toBe('col 3');
    expect(inputOptionsOf({ column: '-1' }, MAX).column).toBe('-1');
  });

  it('takes since with or without dashes', () => {
    expect(inputOptionsOf({ since: '2024-01-31' }, MAX).since).toBe('20240131');
    expect(inputOptionsOf({ since: '20240131' }, MAX).since).toBe('20240131');
    expect(inputOptionsOf({ since: ' 2024-1-5 ' }, MAX).since).toBe('202415');
  });

  it('passes the other fields as trimmed text', () => {
    expect(inputOptionsOf({ header: ' no ', delimiter: 'tab', encoding: 'utf-16le' }, MAX)).toEqual({ maxFileBytes: MAX, header: 'no', delimiter: 'tab', encoding: 'utf-16le' });
  });

  it('ignores fields that are not input fields (runRequestOf refuses unknown ones)', () => {
    expect(inputOptionsOf({ profile: 'basic', maxCalls: 3, nope: 1 }, MAX)).toEqual({ maxFileBytes: MAX });
  });

  it.each([
    ['column', { a: 1 }, /must be text or a number/],
    ['sheet', true, /must be text or a number/],
    ['since', ['2024'], /must be text or a number/],
    ['encoding', 'x'.repeat(201), /is too long/],
  ])('refuses %s = %j', (field, value, problem) => {
    const err = badOption(() => inputOptionsOf({ [field]: value }, MAX));
    expect(err.details).toEqual({ field });
    expect(err.message).toMatch(new RegExp(`^${field}: `));
    expect(err.message).toMatch(problem);
  });

  it('accepts 200 characters', () => {
    expect(inputOptionsOf({ column: 'x'.repeat(200) }, MAX).column).toHaveLength(200);
  });

  // BUG (src/web/run-request.ts, given() and inputOptionsOf): a tab delimiter sent as the
  // character itself ({"delimiter": "\t"}, which the input layer accepts, see
  // InputOptions.delimiter) is whitespace, so given() calls it "not given" (and trim()
  // would empty it anyway): the request silently falls back to detection. Fix: do not
  // trim `delimiter`, and treat only '' as empty for it (or refuse whitespace with a 422
  // saying to send "tab").
  it('keeps a tab delimiter sent as the character', () => {
    expect(inputOptionsOf({ delimiter: '\t' }, MAX).delimiter).toBe('\t');
  });
});
