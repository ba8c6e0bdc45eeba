import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_KEEP_RUNS,
  DEFAULT_SETTLE_SECONDS,
  DEFAULT_TIME_ZONE,
  ScheduleError,
  checkCron,
  checkFormats,
  checkInteger,
  checkLanguage,
  checkScheduleFolders,
  checkScheduleName,
  checkTimeZone,
  localTime,
  nextTicks,
  scheduleFormats,
  scheduleLanguage,
  schedulePlan,
} from '../../../src/nightly/schedule.js';

/** The ScheduleError `run` throws (or fails the test). */
function scheduleErrorOf(run: () => unknown): ScheduleError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ScheduleError);
  return caught as ScheduleError;
}

async function rejectionOf(promise: Promise<unknown>): Promise<ScheduleError> {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(caught).toBeInstanceOf(ScheduleError);
  return caught as ScheduleError;
}

describe('defaults', () => {
  it('are Asia/Shanghai, 60 s to settle and 30 runs kept', () => {
    expect(DEFAULT_TIME_ZONE).toBe('Asia/Shanghai');
    expect(DEFAULT_SETTLE_SECONDS).toBe(60);
    expect(DEFAULT_KEEP_RUNS).toBe(30);
  });
});

describe('ScheduleError', () => {
  it('is a usage error naming its option first', () => {
    const error = new ScheduleError('--cron', 'is required');
    expect(error).toBeInstanceOf(Error);
    expect(error.kind).toBe('usage');
    expect(error.code).toBe('RISKSCREEN_SCHEDULE');
    expect(error.option).toBe('--cron');
    expect(error.message).toBe('--cron: is required');
    expect(error.name).toBe('ScheduleError');
  });
});

describe('checkScheduleName', () => {
  it('takes letters, digits, "-" and "_", up to 64, starting with a letter or digit', () => {
    for (const name of ['nightly', 'N', '7', 'sales-east_2', 'A1-b2_C3', 'x'.repeat(64), '2026-list']) {
      expect(checkScheduleName(name)).toBe(name);
    }
  });

  it('refuses anything else, naming NAME and quoting the name', () => {
    for (const name of ['', '-nightly', '_nightly', 'night ly', 'night:ly', 'night/ly', 'night.ly', '夜间', 'x'.repeat(65), 'nightly\n', ' nightly']) {
      const error = scheduleErrorOf(() => checkScheduleName(name));
      expect(error.option, JSON.stringify(name)).toBe('NAME');
      expect(error.message).toMatch(/^NAME: ".*" is not a schedule name: use up to 64 letters, digits/s);
    }
  });
});

describe('checkTimeZone', () => {
  it('returns an IANA zone as given', () => {
    expect(checkTimeZone('Asia/Shanghai')).toBe('Asia/Shanghai');
    expect(checkTimeZone('UTC')).toBe('UTC');
    expect(checkTimeZone('America/New_York')).toBe('America/New_York');
  });

  it('refuses a zone that does not exist, naming --tz', () => {
    for (const tz of ['Mars/Base', '', 'Asia/Peking Duck']) {
      const error = scheduleErrorOf(() => checkTimeZone(tz));
      expect(error.option).toBe('--tz');
      expect(error.message).toBe(`--tz: ${JSON.stringify(tz)} is not a time zone; use an IANA name such as Asia/Shanghai or UTC`);
    }
  });
});

describe('checkCron', () => {
  it('takes five fields, or six with seconds first, and returns the pattern trimmed', () => {
    expect(checkCron('0 2 * * *', 'Asia/Shanghai')).toBe('0 2 * * *');
    expect(checkCron('  30 1 * * 1-5 ', 'Asia/Shanghai')).toBe('30 1 * * 1-5');
    expect(checkCron('0 0 2 * * *', 'UTC')).toBe('0 0 2 * * *');
    expect(checkCron('*/15 * * * *', 'UTC')).toBe('*/15 * * * *');
  });

  it('refuses four or seven fields, naming --cron and saying how many there are and should be', () => {
    for (const [cron, fields] of [
      ['0 2 * *', 4],
      ['0 0 2 * * * 2026', 7],
      ['', 1],
      ['@daily', 1],
    ] as const) {
      const error = scheduleErrorOf(() => checkCron(cron, 'UTC'));
      expect(error.option).toBe('--cron');
      expect(error.message).toContain(`--cron: "${cron}" has ${fields} fields; give five (minute hour day month weekday`);
      expect(error.message).toMatch(/or six \(seconds first\)/);
    }
  });

  it('refuses a field out of range with cron-parser’s reason', () => {
    const error = scheduleErrorOf(() => checkCron('61 2 * * *', 'Asia/Shanghai'));
    expect(error.option).toBe('--cron');
    expect(error.message).toMatch(/^--cron: "61 2 \* \* \*" is not a cron pattern: /);
    expect(error.message).toMatch(/61/);
    expect(error.message).toMatch(/0-59/);
    expect(scheduleErrorOf(() => checkCron('0 25 * * *', 'UTC')).message).toMatch(/is not a cron pattern: .*0-23/);
    expect(scheduleErrorOf(() => checkCron('a b c d e', 'UTC')).message).toMatch(/is not a cron pattern: /);
  });
});

describe('nextTicks', () => {
  it('reads the pattern in the zone: 02:00 in Shanghai is 18:00 UTC the day before', () => {
    const ticks = nextTicks('0 2 * * *', 'Asia/Shanghai', 2, new Date('2026-12-06T12:00:00Z'));
    expect(ticks.map((tick) => tick.toISOString())).toEqual(['2026-12-06T18:00:00.000Z', '2026-12-07T18:00:00.000Z']);
  });

  it('gives ticks strictly after `from`, as many as asked', () => {
    const from = new Date('2026-12-06T18:00:00Z'); // exactly a tick
    const ticks = nextTicks('0 2 * * *', 'Asia/Shanghai', 3, from);
    expect(ticks.map((tick) => tick.toISOString())).toEqual(['2026-12-07T18:00:00.000Z', '2026-12-08T18:00:00.000Z', '2026-12-09T18:00:00.000Z']);
    expect(nextTicks('0 2 * * *', 'UTC', 0, from)).toEqual([]);
  });

  it('reads six fields with seconds first', () => {
    const ticks = nextTicks('30 0 2 * * *', 'UTC', 1, new Date('2026-12-06T12:00:00Z'));
    expect(ticks[0]?.toISOString()).toBe('2026-12-07T02:00:30.000Z');
  });
});

describe('localTime', () => {
  it('is yyyy-mm-dd hh:mm:ss in the zone, 24-hour, zero-padded', () => {
    expect(localTime(new Date('2026-12-06T18:00:00Z'), 'Asia/Shanghai')).toBe('2026-12-07 02:00:00');
    expect(localTime(new Date('2026-12-06T18:00:00Z'), 'UTC')).toBe('2026-12-06 18:00:00');
    expect(localTime(new Date('2026-01-02T16:04:05Z'), 'Asia/Shanghai')).toBe('2026-01-03 00:04:05');
    expect(localTime(new Date('2026-07-01T00:00:00Z'), 'America/New_York')).toBe('2026-06-30 20:00:00');
  });
});

describe('checkInteger', () => {
  it('takes whole numbers within the range, from text or a number', () => {
    expect(checkInteger('--keep', '30', 1, 10_000)).toBe(30);
    expect(checkInteger('--keep', ' 7 ', 1, 10_000)).toBe(7);
    expect(checkInteger('--keep', '1', 1, 10_000)).toBe(1);
    expect(checkInteger('--keep', '10000', 1, 10_000)).toBe(10_000);
    expect(checkInteger('--settle', '0', 0, 86_400)).toBe(0);
    expect(checkInteger('--settle', 15, 0, 86_400)).toBe(15);
  });

  it('refuses anything else, naming the option, the range and what was given', () => {
    for (const value of ['0', '10001', '-1', '1.5', '1e3', '', 'ten', '0x10', '+5', 2.5, Number.NaN, 0]) {
      const error = scheduleErrorOf(() => checkInteger('--keep', value, 1, 10_000));
      expect(error.option).toBe('--keep');
      expect(error.message).toBe(`--keep: must be a whole number from 1 to 10000 (got ${JSON.stringify(value)})`);
    }
  });
});

describe('checkFormats (--format)', () => {
  it('takes a comma list, the option repeated, any case and spaces; duplicates removed; csv first, always', () => {
    expect(checkFormats(['csv'])).toEqual(['csv']);
    expect(checkFormats(['xlsx'])).toEqual(['csv', 'xlsx']);
    expect(checkFormats(['csv,xlsx'])).toEqual(['csv', 'xlsx']);
    expect(checkFormats(['parquet, XLSX', 'jsonl', 'xlsx,csv'])).toEqual(['csv', 'parquet', 'xlsx', 'jsonl']);
    expect(checkFormats(['xlsx,', ',,jsonl'])).toEqual(['csv', 'xlsx', 'jsonl']);
  });

  it('refuses a name that is no format, naming --format and listing the formats', () => {
    for (const given of [['xls'], ['csv,json'], ['csv', 'excel'], ['csv xlsx']]) {
      const error = scheduleErrorOf(() => checkFormats(given));
      expect(error.option, given.join(' ')).toBe('--format');
      expect(error.message).toMatch(/^--format: ".+" is not a result format; use one or more of csv, xlsx, jsonl, parquet, separated by commas \(e\.g\. --format csv,xlsx\)$/);
    }
    expect(scheduleErrorOf(() => checkFormats(['xls'])).message).toContain('"xls"');
  });

  it('refuses an empty list', () => {
    for (const given of [[], [''], [' , ']]) {
      const error = scheduleErrorOf(() => checkFormats(given));
      expect(error.message).toBe('--format: is empty; give one or more of csv, xlsx, jsonl, parquet, separated by commas (e.g. --format csv,xlsx)');
    }
  });
});

describe('checkLanguage (--lang)', () => {
  it('takes zh or en, any case; refuses anything else naming --lang', () => {
    expect(checkLanguage('zh')).toBe('zh');
    expect(checkLanguage(' EN ')).toBe('en');
    const error = scheduleErrorOf(() => checkLanguage('fr'));
    expect(error.option).toBe('--lang');
    expect(error.message).toBe('--lang: "fr" is not a workbook language; use zh or en');
  });
});

describe('scheduleFormats and scheduleLanguage', () => {
  it('read a schedule stored before formats as CSV alone, workbooks in Chinese', () => {
    expect(scheduleFormats({})).toEqual(['csv']);
    expect(scheduleLanguage({})).toBe('zh');
  });

  it('keep csv first and once, whatever is stored', () => {
    expect(scheduleFormats({ formats: ['csv', 'xlsx'] })).toEqual(['csv', 'xlsx']);
    expect(scheduleFormats({ formats: ['xlsx', 'csv', 'xlsx'] })).toEqual(['csv', 'xlsx']);
    expect(scheduleFormats({ formats: [] })).toEqual(['csv']);
    expect(scheduleLanguage({ language: 'en' })).toBe('en');
  });
});

describe('schedulePlan', () => {
  it('a schedule stored before plans keeps asking everything; a stored plan is kept', () => {
    expect(schedulePlan({})).toBe('all');
    expect(schedulePlan({ plan: 'staged' })).toBe('staged');
    expect(schedulePlan({ plan: 'all' })).toBe('all');
  });
});

describe('checkScheduleFolders', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'riskscreen-schedule-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns absolute paths, makes taken/ and rejected/ in the inbox and the outbox when missing', async () => {
    const inbox = join(dir, 'inbox');
    await mkdir(inbox);
    const outbox = join(dir, 'out', 'nightly');
    expect(await checkScheduleFolders(`${inbox}/`, outbox)).toEqual({ inbox, outbox });
    expect((await stat(outbox)).isDirectory()).toBe(true);
    expect((await readdir(inbox)).sort()).toEqual(['rejected', 'taken']);
    // Again: all there already, nothing changes.
    expect(await checkScheduleFolders(inbox, outbox)).toEqual({ inbox, outbox });
    expect((await readdir(inbox)).sort()).toEqual(['rejected', 'taken']);
  });

  it('keeps an outbox that exists with its files', async () => {
    const inbox = join(dir, 'inbox');
    const outbox = join(dir, 'outbox');
    await mkdir(inbox);
    await mkdir(outbox);
    await writeFile(join(outbox, 'earlier.result.csv'), 'x');
    expect(await checkScheduleFolders(inbox, outbox)).toEqual({ inbox, outbox });
    expect(await readdir(outbox)).toEqual(['earlier.result.csv']);
  });

  it('refuses a missing inbox, naming --inbox and saying it does not exist; makes nothing', async () => {
    const inbox = join(dir, 'no-such-inbox');
    const outbox = join(dir, 'outbox');
    const error = await rejectionOf(checkScheduleFolders(inbox, outbox));
    expect(error.option).toBe('--inbox');
    expect(error.message).toBe(`--inbox: ${inbox} cannot be used: the folder does not exist (ENOENT)`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses an inbox that is a file', async () => {
    const inbox = join(dir, 'list.csv');
    await writeFile(inbox, 'mobile\n');
    const error = await rejectionOf(checkScheduleFolders(inbox, join(dir, 'outbox')));
    expect(error.option).toBe('--inbox');
    expect(error.message).toBe(`--inbox: ${inbox} is not a folder`);
    expect(await readdir(dir)).toEqual(['list.csv']);
  });

  it('refuses empty paths', async () => {
    expect((await rejectionOf(checkScheduleFolders(' ', dir))).message).toBe('--inbox: is empty');
    expect((await rejectionOf(checkScheduleFolders(dir, ''))).message).toBe('--outbox: is empty');
  });

  it('refuses an outbox that is the inbox (however written), and makes nothing in it', async () => {
    const inbox = join(dir, 'inbox');
    await mkdir(inbox);
    for (const outbox of [inbox, `${inbox}/`, join(inbox, 'sub', '..')]) {
      const error = await rejectionOf(checkScheduleFolders(inbox, outbox));
      expect(error.option).toBe('--outbox');
      expect(error.message).toBe('--outbox: must not be the inbox: results would be taken as new lists');
    }
    expect(await readdir(inbox)).toEqual([]);
  });

  it('refuses an outbox inside the inbox, and makes nothing in it', async () => {
    const inbox = join(dir, 'inbox');
    await mkdir(inbox);
    for (const outbox of [join(inbox, 'results'), join(inbox, 'taken'), join(inbox, 'a', 'b')]) {
      const error = await rejectionOf(checkScheduleFolders(inbox, outbox));
      expect(error.option).toBe('--outbox');
      expect(error.message).toBe('--outbox: must not be inside the inbox');
    }
    expect(await readdir(inbox)).toEqual([]);
  });

  it('takes an outbox beside the inbox whose name starts with the inbox’s', async () => {
    const inbox = join(dir, 'inbox');
    await mkdir(inbox);
    const outbox = join(dir, 'inbox-results');
    expect(await checkScheduleFolders(inbox, outbox)).toEqual({ inbox, outbox });
  });

  it('refuses an outbox that cannot be made, naming --outbox', async () => {
    const inbox = join(dir, 'inbox');
    await mkdir(inbox);
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');
    const error = await rejectionOf(checkScheduleFolders(inbox, join(blocker, 'outbox')));
    expect(error.option).toBe('--outbox');
    expect(error.message).toMatch(new RegExp(`^--outbox: ${join(blocker, 'outbox')} cannot be made: `));
  });
});
