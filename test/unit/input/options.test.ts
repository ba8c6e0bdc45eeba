import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeOf } from '../../../src/cli/exit-codes.js';
import { InputOptionError } from '../../../src/input/errors.js';
import { INPUT_DEFAULTS, resolveInputOptions, type InputOptions } from '../../../src/input/options.js';

describe('resolveInputOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolveInputOptions()).toEqual({
      encoding: null,
      column: null,
      dateColumn: null,
      since: null,
      sheet: null,
      header: 'auto',
      delimiter: null,
      maxFileBytes: 200 * 1024 * 1024,
      maxLineBytes: 1024 * 1024,
    });
    expect(INPUT_DEFAULTS.maxFileBytes).toBe(200 * 1024 * 1024);
  });

  it('reads columns as names or 1-based numbers', () => {
    expect(resolveInputOptions({ column: '手机号' }).column).toEqual({ by: 'name', name: '手机号' });
    expect(resolveInputOptions({ column: '3' }).column).toEqual({ by: 'number', index: 2 });
    expect(resolveInputOptions({ column: 1 }).column).toEqual({ by: 'number', index: 0 });
    expect(resolveInputOptions({ dateColumn: ' reg_date ' }).dateColumn).toEqual({ by: 'name', name: 'reg_date' });
  });

  it('normalizes since, encodings, delimiters, sheets', () => {
    expect(resolveInputOptions({ since: '2023-1-5' }).since).toBe('20230105');
    expect(resolveInputOptions({ since: '20230105' }).since).toBe('20230105');
    expect(resolveInputOptions({ encoding: 'GBK' }).encoding).toBe('gbk');
    expect(resolveInputOptions({ encoding: 'UTF8' }).encoding).toBe('utf-8');
    expect(resolveInputOptions({ encoding: 'auto' }).encoding).toBeNull();
    expect(resolveInputOptions({ encoding: 'big5' }).encoding).toBe('big5');
    expect(resolveInputOptions({ delimiter: 'tab' }).delimiter).toBe('\t');
    expect(resolveInputOptions({ delimiter: '\t' }).delimiter).toBe('\t');
    expect(resolveInputOptions({ delimiter: ';' }).delimiter).toBe(';');
    expect(resolveInputOptions({ delimiter: 'none' }).delimiter).toBe('none');
    expect(resolveInputOptions({ sheet: '2' }).sheet).toEqual({ by: 'number', position: 2 });
    expect(resolveInputOptions({ sheet: '名单' }).sheet).toEqual({ by: 'name', name: '名单' });
    expect(resolveInputOptions({ header: 'NO' }).header).toBe('no');
  });

  it.each<[InputOptions, string, RegExp]>([
    [{ encoding: 'klingon' }, 'encoding', /unknown encoding "klingon"/],
    [{ column: '0' }, 'column', /numbered from 1/],
    [{ column: 0 }, 'column', /numbered from 1/],
    [{ column: 1.5 }, 'column', /numbered from 1/],
    [{ column: '  ' }, 'column', /is empty/],
    [{ dateColumn: '0' }, 'dateColumn', /numbered from 1/],
    [{ since: '2023-02-30' }, 'since', /not a date/],
    [{ since: 'soon' }, 'since', /not a date/],
    [{ sheet: '0' }, 'sheet', /numbered from 1/],
    [{ header: 'maybe' }, 'header', /not one of auto, yes, no/],
    [{ delimiter: '#' }, 'delimiter', /not a delimiter/],
    [{ maxFileBytes: 0 }, 'maxFileBytes', /whole number of bytes/],
    [{ maxLineBytes: -1 }, 'maxLineBytes', /whole number of bytes/],
    [{ maxLineBytes: 1.5 }, 'maxLineBytes', /whole number of bytes/],
  ])('%j is refused, naming %s', (options, option, message) => {
    let caught: unknown;
    try {
      resolveInputOptions(options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputOptionError);
    const error = caught as InputOptionError;
    expect(error.code).toBe('INPUT_OPTION_INVALID');
    expect(exitCodeOf(error)).toBe(EXIT.usage);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(error.flag)).toBe(true);
  });

  it('spells the flag as the command line does', () => {
    expect(() => resolveInputOptions({ dateColumn: '0' })).toThrow(/^--date-column: /);
    expect(() => resolveInputOptions({ maxFileBytes: 0 })).toThrow(/^--max-file-bytes: /);
  });
});
