import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { main } from '../../../src/cli/main.js';
import { formatsWords, runScheduleCommand, scheduleFrom, SCHEDULE_HELP } from '../../../src/cli/schedule-command.js';
import { loadOptions } from '../../../src/config/load.js';
import type { Options } from '../../../src/config/options.js';
import { ScheduleError } from '../../../src/nightly/schedule.js';
import { DEFAULT_RUBRIC } from '../../../src/risk/index.js';
import { ConfigError } from '../../../src/shared/config-error.js';
import { captureIo } from '../../support/capture-io.js';

type Values = Parameters<typeof scheduleFrom>[1];

const SECRET = 'a-webhook-secret-of-32-characters';

let dir: string;
let inbox: string;
let outbox: string;
const saved = { ...process.env };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-schedule-add-'));
  inbox = join(dir, 'inbox');
  outbox = join(dir, 'outbox');
  await mkdir(inbox);
  // main() and runScheduleCommand read the process's environment.
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('JUHE_') || name.startsWith('RISKSCREEN_') || name === 'REDIS_URL') delete process.env[name];
  }
});
afterEach(async () => {
  process.env = { ...saved };
  await rm(dir, { recursive: true, force: true });
});

/** parseArgs output for `schedule add`: booleans false unless given, strings absent unless given. */
function values(given: Partial<Values> = {}): Values {
  return { markers: false, mask: false, split: false, replace: false, wait: false, json: false, help: false, ...given } as Values;
}

/** The three required options, good. */
function required(given: Partial<Values> = {}): Values {
  return values({ cron: '0 2 * * *', inbox, outbox, ...given });
}

function options(env: NodeJS.ProcessEnv = {}): Options {
  return loadOptions({ env, cwd: dir });
}

async function refusal(promise: Promise<unknown>): Promise<Error & { option?: string; kind?: string }> {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(caught).toBeInstanceOf(Error);
  return caught as Error & { option?: string; kind?: string };
}

describe('scheduleFrom: what is required', () => {
  it('names --cron, --inbox and --outbox when each is missing, and makes no folder', async () => {
    const cases: Array<[Partial<Values>, string]> = [
      [{ inbox, outbox }, '--cron'],
      [{ cron: '0 2 * * *', outbox }, '--inbox'],
      [{ cron: '0 2 * * *', inbox }, '--outbox'],
      [{ cron: '', inbox, outbox }, '--cron'],
    ];
    for (const [given, option] of cases) {
      const error = await refusal(scheduleFrom('nightly', values(given), options(), {}));
      expect(error).toBeInstanceOf(ScheduleError);
      expect((error as ScheduleError).option).toBe(option);
      expect(error.message).toMatch(new RegExp(`^${option}: is required`));
    }
    expect(await readdir(inbox)).toEqual([]);
    expect(await readdir(dir)).toEqual(['inbox']);
  });

  it('checks the zone, the pattern and the folders, naming each', async () => {
    expect((await refusal(scheduleFrom('nightly', required({ tz: 'Mars/Base' }), options(), {}))).message).toMatch(/^--tz: "Mars\/Base" is not a time zone/);
    expect((await refusal(scheduleFrom('nightly', required({ cron: '61 2 * * *' }), options(), {}))).message).toMatch(/^--cron: "61 2 \* \* \*" is not a cron pattern: .*0-59/);
    expect((await refusal(scheduleFrom('nightly', required({ cron: '0 2 * *' }), options(), {}))).message).toMatch(/^--cron: "0 2 \* \*" has 4 fields/);
    expect((await refusal(scheduleFrom('nightly', required({ inbox: join(dir, 'nope') }), options(), {}))).message).toMatch(/^--inbox: .*nope cannot be used: the folder does not exist/);
    expect((await refusal(scheduleFrom('nightly', required({ outbox: join(inbox, 'out') }), options(), {}))).message).toBe('--outbox: must not be inside the inbox');
  });
});

describe('scheduleFrom: the webhook and its secret', () => {
  it('refuses --webhook without a secret, naming --webhook-secret and the environment variable', async () => {
    const error = await refusal(scheduleFrom('nightly', required({ webhook: 'https://hooks.example.com/in' }), options(), {}));
    expect(error).toBeInstanceOf(ScheduleError);
    expect((error as ScheduleError).option).toBe('--webhook-secret');
    expect(error.message).toMatch(/^--webhook-secret: is required with --webhook \(or set RISKSCREEN_WEBHOOK_SECRET\)/);
    // An empty variable is no secret.
    const empty = await refusal(scheduleFrom('nightly', required({ webhook: 'https://hooks.example.com/in' }), options(), { RISKSCREEN_WEBHOOK_SECRET: '' }));
    expect((empty as ScheduleError).option).toBe('--webhook-secret');
  });

  it('takes the secret from --webhook-secret, or from RISKSCREEN_WEBHOOK_SECRET, and never puts it in the spec', async () => {
    const fromFlag = await scheduleFrom('nightly', required({ webhook: 'https://hooks.example.com/in?token=abc', 'webhook-secret': SECRET }), options(), {});
    expect(fromFlag.secret).toBe(SECRET);
    expect(fromFlag.spec.webhook).toBe('https://hooks.example.com/in?token=abc');
    expect(JSON.stringify(fromFlag.spec)).not.toContain(SECRET);

    const fromEnv = await scheduleFrom('nightly', required({ webhook: 'https://hooks.example.com/in' }), options(), { RISKSCREEN_WEBHOOK_SECRET: SECRET });
    expect(fromEnv.secret).toBe(SECRET);

    const flagWins = await scheduleFrom('nightly', required({ webhook: 'https://hooks.example.com/in', 'webhook-secret': `${SECRET}-flag` }), options(), { RISKSCREEN_WEBHOOK_SECRET: SECRET });
    expect(flagWins.secret).toBe(`${SECRET}-flag`);
  });

  it('refuses a short secret, naming where it came from', async () => {
    const flag = await refusal(scheduleFrom('nightly', required({ webhook: 'https://hooks.example.com/in', 'webhook-secret': 'too-short' }), options(), {}));
    expect(flag.message).toBe('--webhook-secret: must be at least 16 characters (a random one: openssl rand -hex 32)');
    const env = await refusal(scheduleFrom('nightly', required({ webhook: 'https://hooks.example.com/in' }), options(), { RISKSCREEN_WEBHOOK_SECRET: '123456789012345' }));
    expect(env.message).toMatch(/^RISKSCREEN_WEBHOOK_SECRET: must be at least 16 characters/);
    expect(env.message).not.toContain('123456789012345');
    const twoLines = await refusal(scheduleFrom('nightly', required({ webhook: 'https://hooks.example.com/in', 'webhook-secret': `${SECRET}\nmore` }), options(), {}));
    expect(twoLines.message).toBe('--webhook-secret: must be one line');
  });

  it('refuses --webhook-secret without --webhook', async () => {
    const error = await refusal(scheduleFrom('nightly', required({ 'webhook-secret': SECRET }), options(), {}));
    expect((error as ScheduleError).option).toBe('--webhook-secret');
    expect(error.message).toBe('--webhook-secret: is given without --webhook: where should the events go?');
    // The variable alone, without --webhook, is no mistake: it may be set for other schedules.
    expect((await scheduleFrom('nightly', required(), options(), { RISKSCREEN_WEBHOOK_SECRET: SECRET })).secret).toBeNull();
  });

  it('refuses a --webhook that is not an http(s) URL with a host, naming --webhook and not repeating the URL', async () => {
    const cases: Array<[string, RegExp]> = [
      ['ftp://hooks.example.com/in?token=s3cret', /^--webhook: must be an http:\/\/ or https:\/\/ URL, not ftp:/],
      ['http://', /^--webhook: is not a URL/],
      ['hooks.example.com/in?token=s3cret', /^--webhook: is not a URL/],
      ['https://user:s3cret@hooks.example.com/in', /^--webhook: must not contain a user name or password/],
    ];
    for (const [url, problem] of cases) {
      const error = await refusal(scheduleFrom('nightly', required({ webhook: url, 'webhook-secret': SECRET }), options(), {}));
      expect(error, url).toBeInstanceOf(ConfigError);
      expect(error.message, url).toMatch(problem);
      expect(error.message).not.toContain('s3cret');
    }
  });
});

describe('scheduleFrom: screening and output options', () => {
  it('refuses a bad --profile, --max-calls 0, --keep 0, --settle -1, naming each', async () => {
    const cases: Array<[Partial<Values>, RegExp]> = [
      [{ profile: 'everything' }, /^--profile: unknown profile or API "everything"/],
      [{ profile: 'status,nope' }, /^--profile: unknown profile or API "nope"/],
      [{ 'max-calls': '0' }, /^--max-calls: must be a whole number from 1 to 1000000000 \(got "0"\)$/],
      [{ 'max-calls': '1e3' }, /^--max-calls: must be a whole number/],
      [{ keep: '0' }, /^--keep: must be a whole number from 1 to 10000 \(got "0"\)$/],
      [{ settle: '-1' }, /^--settle: must be a whole number from 0 to 86400 \(got "-1"\)$/],
      [{ settle: '86401' }, /^--settle: must be a whole number from 0 to 86400/],
      [{ 'out-encoding': 'latin1' }, /^--out-encoding: must be one of utf8-bom, utf8, gb18030 \(got "latin1"\)$/],
      [{ format: ['csv,xls'] }, /^--format: "xls" is not a result format; use one or more of csv, xlsx, jsonl, parquet/],
      [{ format: [''] }, /^--format: is empty/],
      [{ lang: 'fr' }, /^--lang: "fr" is not a workbook language; use zh or en$/],
      [{ plan: 'some' }, /^--plan: "some" is not a plan; use staged or all/],
    ];
    for (const [given, problem] of cases) {
      const error = await refusal(scheduleFrom('nightly', required(given), options(), {}));
      expect(error.message, JSON.stringify(given)).toMatch(problem);
      expect(error.kind).toMatch(/^(usage|config)$/);
    }
  });

  it('makes no folder when any option is refused (the folders are checked, and made, last)', async () => {
    for (const given of [{ profile: 'nope' }, { plan: 'x' }, { keep: '0' }, { settle: 'x' }, { webhook: 'https://hooks.example.com/in' }, { rubric: join(dir, 'none.json') }, { mask: true }, { format: ['xls'] }, { lang: 'fr' }]) {
      await refusal(scheduleFrom('nightly', required(given as Partial<Values>), options(), {}));
      expect(await readdir(inbox), JSON.stringify(given)).toEqual([]);
      expect(await readdir(dir), JSON.stringify(given)).toEqual(['inbox']);
    }
  });

  it('refuses an input flag that cannot be read', async () => {
    const error = await refusal(scheduleFrom('nightly', required({ encoding: 'no-such-encoding' }), options(), {}));
    expect(error.message).toMatch(/unknown encoding "no-such-encoding"/);
  });

  it('refuses a --rubric file that does not exist, naming the file', async () => {
    const missing = join(dir, 'no-rubric.json');
    const error = await refusal(scheduleFrom('nightly', required({ rubric: missing }), options(), {}));
    expect(error.kind).toBe('config');
    expect(error.message).toBe(`rubric ${missing}: cannot be read (ENOENT)`);
  });

  it('reads --rubric now and keeps it with the schedule', async () => {
    const file = join(dir, 'rubric.json');
    await writeFile(file, await import('../../../src/risk/index.js').then((m) => JSON.stringify(m.rubricToJson(DEFAULT_RUBRIC))));
    const { spec } = await scheduleFrom('nightly', required({ rubric: file }), options(), {});
    expect(spec.rubricFile).toBe(file);
    expect(spec.rubric).toEqual(DEFAULT_RUBRIC);
  });

  it('refuses --mask without JUHE_KEY or RISKSCREEN_SECRET (a configuration error), and takes it with either', async () => {
    const error = await refusal(scheduleFrom('nightly', required({ mask: true }), options(), {}));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.kind).toBe('config');
    expect(error.message).toMatch(/^RISKSCREEN_SECRET: is not set, and neither is JUHE_KEY/);
    for (const env of [{ JUHE_KEY: 'abcdef0123456789' }, { RISKSCREEN_SECRET: 'a-long-installation-secret' }]) {
      const { spec } = await scheduleFrom('nightly', required({ mask: true }), options(env), {});
      expect(spec.output.mask).toBe(true);
    }
  });

  it('makes a whole spec with the defaults: Asia/Shanghai, settle 60, keep 30, absolute folders, the configured encoding', async () => {
    const before = Date.now();
    const { spec, secret } = await scheduleFrom('nightly', required({ inbox: `${inbox}/`, outbox: `${dir}/x/../outbox` }), options({ RISKSCREEN_OUTPUT_ENCODING: 'gb18030' }), {});
    expect(secret).toBeNull();
    expect(spec).toEqual({
      name: 'nightly',
      cron: '0 2 * * *',
      tz: 'Asia/Shanghai',
      inbox,
      outbox,
      profile: 'standard',
      maxCalls: null,
      plan: 'staged',
      rubric: null,
      rubricFile: null,
      input: {},
      output: { mask: false, split: false, encoding: 'gb18030', formats: ['csv'], language: 'zh' },
      keep: 30,
      settleSeconds: 60,
      markers: false,
      webhook: null,
      added: expect.any(String),
    });
    expect(Date.parse(spec.added)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(spec.added)).toBeLessThanOrEqual(Date.now() + 1_000);
    expect((await readdir(inbox)).sort()).toEqual(['rejected', 'taken']);
    expect(await readdir(dir)).toContain('outbox');
    // Without a configured encoding: utf8-bom.
    expect((await scheduleFrom('nightly', required(), options(), {})).spec.output.encoding).toBe('utf8-bom');
  });

  it('makes a whole spec from every option given', async () => {
    const { spec, secret } = await scheduleFrom(
      'sales-east',
      values({
        cron: ' 30 1 * * 1-5 ',
        tz: 'UTC',
        inbox,
        outbox,
        settle: '0',
        markers: true,
        profile: ' status, tenure ',
        'max-calls': '5000',
        plan: ' ALL ',
        mask: true,
        split: true,
        'out-encoding': 'UTF8',
        format: ['xlsx,jsonl', 'XLSX'],
        lang: 'en',
        keep: '7',
        webhook: ' HTTPS://Hooks.Example.com/in#frag ',
        'webhook-secret': SECRET,
        column: 'mobile',
        since: '20260101',
        header: 'yes',
      }),
      options({ JUHE_KEY: 'abcdef0123456789' }),
      {},
    );
    expect(secret).toBe(SECRET);
    expect(spec).toMatchObject({
      name: 'sales-east',
      cron: '30 1 * * 1-5',
      tz: 'UTC',
      inbox,
      outbox,
      profile: 'status,tenure',
      maxCalls: 5000,
      plan: 'all',
      input: { column: 'mobile', since: '20260101', header: 'yes' },
      output: { mask: true, split: true, encoding: 'utf8', formats: ['csv', 'xlsx', 'jsonl'], language: 'en' },
      keep: 7,
      settleSeconds: 0,
      markers: true,
      webhook: 'https://hooks.example.com/in',
    });
  });
});

describe('scheduleFrom: --format and --lang', () => {
  it('stores the formats checked, csv first and once, whether named or not; listing csv is allowed', async () => {
    const cases: Array<[string[], string[]]> = [
      [['xlsx'], ['csv', 'xlsx']],
      [['csv,xlsx'], ['csv', 'xlsx']],
      [['csv'], ['csv']],
      [['parquet', 'csv, jsonl', 'parquet'], ['csv', 'parquet', 'jsonl']],
    ];
    for (const [format, formats] of cases) {
      const { spec } = await scheduleFrom('nightly', required({ format }), options(), {});
      expect(spec.output.formats, format.join(' ')).toEqual(formats);
      expect(spec.output.language).toBe('zh');
    }
  });

  it('refuses a format it does not write, with a ScheduleError naming --format and listing the formats', async () => {
    const error = await refusal(scheduleFrom('nightly', required({ format: ['csv', 'xlsx,json'] }), options(), {}));
    expect(error).toBeInstanceOf(ScheduleError);
    expect((error as ScheduleError).option).toBe('--format');
    expect(error.kind).toBe('usage');
    expect(error.message).toBe('--format: "json" is not a result format; use one or more of csv, xlsx, jsonl, parquet, separated by commas (e.g. --format csv,xlsx)');
  });

  it('--lang sets the workbook language', async () => {
    const { spec } = await scheduleFrom('nightly', required({ format: ['xlsx'], lang: 'EN' }), options(), {});
    expect(spec.output).toMatchObject({ formats: ['csv', 'xlsx'], language: 'en' });
  });

  it('says what a schedule writes, also one stored before formats', () => {
    expect(formatsWords({ mask: false, split: false, encoding: 'utf8-bom' })).toBe('csv');
    expect(formatsWords({ mask: false, split: false, encoding: 'utf8-bom', formats: ['csv', 'jsonl'], language: 'en' })).toBe('csv, jsonl');
    expect(formatsWords({ mask: false, split: false, encoding: 'utf8-bom', formats: ['csv', 'xlsx'], language: 'en' })).toBe('csv, xlsx (workbook in en)');
    expect(formatsWords({ mask: false, split: false, encoding: 'utf8-bom', formats: ['xlsx'] })).toBe('csv, xlsx (workbook in zh)');
  });
});

describe('riskscreen schedule (command line, no Redis)', () => {
  it('prints its help and exits 2 with no subcommand, 0 with --help', async () => {
    const io = captureIo();
    expect(await runScheduleCommand([], io, {})).toBe(EXIT.usage);
    expect(io.out()).toBe(SCHEDULE_HELP);
    const help = captureIo();
    expect(await runScheduleCommand(['--help'], help, {})).toBe(EXIT.ok);
    expect(help.out()).toMatch(/^Usage: riskscreen schedule add NAME --cron/);
    expect(help.out()).toMatch(/--webhook-secret S/);
    expect(help.out()).toMatch(/--format LIST .*csv, xlsx, jsonl, parquet/);
    expect(help.out()).toMatch(/csv is always written/);
    expect(help.out()).toMatch(/--lang zh\|en/);
    const viaMain = captureIo();
    expect(await main(['schedule', 'add', '-h'], viaMain)).toBe(EXIT.ok);
    expect(viaMain.out()).toBe(SCHEDULE_HELP);
  });

  it('refuses an unknown subcommand in one line, exit 2', async () => {
    await expect(runScheduleCommand(['bogus'], captureIo(), {})).rejects.toThrow(/^unknown schedule subcommand "bogus"; use add, list, remove or run/);
    const io = captureIo();
    expect(await main(['schedule', 'bogus'], io)).toBe(EXIT.usage);
    expect(io.err()).toBe('riskscreen: unknown schedule subcommand "bogus"; use add, list, remove or run (see riskscreen schedule --help)\n');
  });

  it('refuses a bad or missing NAME, exit 2', async () => {
    const missing = captureIo();
    expect(await main(['schedule', 'add', '--cron', '0 2 * * *'], missing)).toBe(EXIT.usage);
    expect(missing.err()).toBe('riskscreen: schedule add needs exactly one NAME (see riskscreen schedule --help)\n');
    const bad = captureIo();
    expect(await main(['schedule', 'remove', 'night ly'], bad)).toBe(EXIT.usage);
    expect(bad.err()).toMatch(/^riskscreen: NAME: "night ly" is not a schedule name/);
    const two = captureIo();
    expect(await main(['schedule', 'run', 'a', 'b'], two)).toBe(EXIT.usage);
    expect(two.err()).toBe('riskscreen: schedule run needs exactly one NAME (see riskscreen schedule --help)\n');
    const list = captureIo();
    expect(await main(['schedule', 'list', 'nightly'], list)).toBe(EXIT.usage);
    expect(list.err()).toBe('riskscreen: schedule list takes no NAME\n');
  });

  it('schedule add refuses a bad option before opening a session: exit 2, one line naming the option', async () => {
    const io = captureIo();
    expect(await main(['schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--inbox', inbox, '--outbox', outbox, '--keep', '0'], io)).toBe(EXIT.usage);
    expect(io.err()).toBe('riskscreen: --keep: must be a whole number from 1 to 10000 (got "0")\n');
    const noCron = captureIo();
    expect(await main(['schedule', 'add', 'nightly', '--inbox', inbox, '--outbox', outbox], noCron)).toBe(EXIT.usage);
    expect(noCron.err()).toMatch(/^riskscreen: --cron: is required/);
    const format = captureIo();
    expect(await main(['schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--inbox', inbox, '--outbox', outbox, '--format', 'csv', '--format', 'xls'], format)).toBe(EXIT.usage);
    expect(format.err()).toBe('riskscreen: --format: "xls" is not a result format; use one or more of csv, xlsx, jsonl, parquet, separated by commas (e.g. --format csv,xlsx)\n');
    const unknown = captureIo();
    expect(await main(['schedule', 'add', 'nightly', '--crone', '0 2 * * *'], unknown)).toBe(EXIT.usage);
    expect(unknown.err()).toMatch(/^riskscreen: .*--crone/);
  });

  it('schedule list without REDIS_URL says it needs the queue engine, exit 2', async () => {
    const io = captureIo();
    expect(await main(['schedule', 'list'], io)).toBe(EXIT.usage);
    expect(io.err()).toBe('riskscreen: this command needs the queue engine: set REDIS_URL (without it, riskscreen run screens a list in this process)\n');
    expect(io.out()).toBe('');
  });
});
