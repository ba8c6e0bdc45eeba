/**
 * A schedule: when to tick (a cron pattern in a time zone), which inbox to screen, where
 * results go, and whom to tell. Every option is checked here, when the schedule is
 * added, so a typo fails at the desk and not at 2 a.m.; the checked schedule is stored
 * whole with its BullMQ job scheduler, so a tick needs nothing but its own data.
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import type { InputOptions } from '../input/index.js';
import type { Rubric } from '../risk/index.js';
import { isResultFormat, RESULT_FORMATS, type ResultFormat } from '../report/result-format.js';
import { RESULT_LANGUAGES, type ResultLanguage } from '../report/result-language.js';
import { PLANS, planNamed, type Plan } from '../engine/batch.js';
import { errnoWords } from '../shared/errno-words.js';

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
export const DEFAULT_SETTLE_SECONDS = 60;
export const DEFAULT_KEEP_RUNS = 30;

export interface ScheduleSpec {
  /** Letters, digits, `-` and `_`; the BullMQ job scheduler's id. */
  name: string;
  /** Five fields (minute first) or six (seconds first), as cron-parser reads them. */
  cron: string;
  /** IANA zone the pattern is read in. */
  tz: string;
  /** Absolute paths: every worker that may take a tick must see the same folders. */
  inbox: string;
  outbox: string;
  profile: string;
  maxCalls: number | null;
  /** How its batches ask (`--plan`); absent in a schedule added before plans: `all`, as it always did (see schedulePlan). */
  plan?: Plan;
  /** The rubric read when the schedule was added (a file changed later does not change it). */
  rubric: Rubric | null;
  rubricFile: string | null;
  input: InputOptions;
  output: ScheduleOutput;
  /** Runs kept in the outbox per input file stem. */
  keep: number;
  /** Without markers, a file is complete once nothing about it changed for this long. */
  settleSeconds: number;
  /** Take only files with a `NAME.ready` marker beside them. */
  markers: boolean;
  /** Where to POST the signed events (the secret is kept apart, see nightly-store.ts). */
  webhook: string | null;
  added: string;
}

/** How a schedule writes its outbox files. */
export interface ScheduleOutput {
  mask: boolean;
  split: boolean;
  /** CSV only. */
  encoding: 'utf8-bom' | 'utf8' | 'gb18030';
  /**
   * The formats each run is written in: `csv` first, always (it is the run's record, what
   * the next run compares with), then the others asked for. Absent in a schedule added
   * before formats (and in a run it queued): CSV alone (see {@link scheduleFormats}).
   */
  formats?: ResultFormat[];
  /** A workbook's sheet names and summary words; absent in an older schedule: `zh`. */
  language?: ResultLanguage;
}

export const DEFAULT_SCHEDULE_LANGUAGE: ResultLanguage = 'zh';

/**
 * The plan of a schedule's batches. One added before plans keeps asking everything: its
 * readers were set up for those files, and a plan is chosen, not changed under them.
 */
export function schedulePlan(spec: Pick<ScheduleSpec, 'plan'>): Plan {
  return spec.plan ?? 'all';
}

export class ScheduleError extends Error {
  readonly code = 'RISKSCREEN_SCHEDULE';
  readonly kind = 'usage';
  constructor(
    readonly option: string,
    problem: string,
  ) {
    super(`${option}: ${problem}`);
    this.name = 'ScheduleError';
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function checkScheduleName(name: string): string {
  if (!NAME.test(name)) {
    throw new ScheduleError('NAME', `"${name}" is not a schedule name: use up to 64 letters, digits, "-" and "_", starting with a letter or digit`);
  }
  return name;
}

/** The time zone, or a ScheduleError naming `--tz`. */
export function checkTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new ScheduleError('--tz', `"${tz}" is not a time zone; use an IANA name such as Asia/Shanghai or UTC`);
  }
  return tz;
}

/** The pattern, or a ScheduleError naming `--cron` with cron-parser's reason. */
export function checkCron(cron: string, tz: string): string {
  const fields = cron.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6) {
    throw new ScheduleError('--cron', `"${cron}" has ${fields} fields; give five (minute hour day month weekday, e.g. "0 2 * * *" for 02:00 daily) or six (seconds first)`);
  }
  try {
    CronExpressionParser.parse(cron, { tz }).next();
  } catch (err) {
    throw new ScheduleError('--cron', `"${cron}" is not a cron pattern: ${(err as Error).message}`);
  }
  return cron.trim();
}

/**
 * `--format` as given (a comma list, the option given any number of times): the formats
 * checked, duplicates removed, with `csv` first whether named or not: the CSV is always
 * written (the run's record: the next run compares with it).
 */
export function checkFormats(given: readonly string[]): ResultFormat[] {
  const formats: ResultFormat[] = ['csv'];
  const names = given.flatMap((value) => value.split(',')).map((name) => name.trim());
  if (names.length === 0 || names.every((name) => name === '')) {
    throw new ScheduleError('--format', `is empty; give one or more of ${RESULT_FORMATS.join(', ')}, separated by commas (e.g. --format csv,xlsx)`);
  }
  for (const name of names) {
    if (name === '') continue; // `csv,xlsx,` or `csv,,xlsx`: a stray comma is no format
    const format = name.toLowerCase();
    if (!isResultFormat(format)) {
      throw new ScheduleError('--format', `"${name}" is not a result format; use one or more of ${RESULT_FORMATS.join(', ')}, separated by commas (e.g. --format csv,xlsx)`);
    }
    if (!formats.includes(format)) formats.push(format);
  }
  return formats;
}

/** `--plan`: how the schedule's batches ask their questions. */
export function checkPlan(value: string): Plan {
  const plan = planNamed(value);
  if (plan === null) {
    throw new ScheduleError('--plan', `"${value}" is not a plan; use ${PLANS.join(' or ')} (staged: line status first, the other APIs only when it leaves the level open)`);
  }
  return plan;
}

/** `--lang`: the language of a workbook's sheet names and summary. */
export function checkLanguage(value: string): ResultLanguage {
  const language = value.trim().toLowerCase();
  if (!(RESULT_LANGUAGES as readonly string[]).includes(language)) {
    throw new ScheduleError('--lang', `"${value}" is not a workbook language; use ${RESULT_LANGUAGES.join(' or ')}`);
  }
  return language as ResultLanguage;
}

/** The formats a schedule (or a run it queued) writes, `csv` first; CSV alone for one stored before formats. */
export function scheduleFormats(output: Pick<ScheduleOutput, 'formats'>): ResultFormat[] {
  const formats: ResultFormat[] = ['csv'];
  for (const format of output.formats ?? []) if (isResultFormat(format) && !formats.includes(format)) formats.push(format);
  return formats;
}

/** The workbook language of a schedule (or a run it queued); `zh` for one stored before formats. */
export function scheduleLanguage(output: Pick<ScheduleOutput, 'language'>): ResultLanguage {
  // A stored value is read back, not trusted: one edited by hand falls back as a missing one does.
  return output.language && (RESULT_LANGUAGES as readonly string[]).includes(output.language) ? output.language : DEFAULT_SCHEDULE_LANGUAGE;
}

/** The next `count` ticks after `from`. */
export function nextTicks(cron: string, tz: string, count: number, from = new Date()): Date[] {
  const interval = CronExpressionParser.parse(cron, { tz, currentDate: from });
  return Array.from({ length: count }, () => interval.next().toDate());
}

/** `2026-12-07 02:00:00` in the zone. */
export function localTime(date: Date, tz: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

export function checkInteger(option: string, value: string | number, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ScheduleError(option, `must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  return n;
}

/**
 * The inbox exists and files can be moved out of it (into `taken/` and `rejected/`,
 * made here now), and the outbox exists or can be made, and files can be written in it.
 */
export async function checkScheduleFolders(inbox: string, outbox: string): Promise<{ inbox: string; outbox: string }> {
  const inboxPath = absolute('--inbox', inbox);
  const outboxPath = absolute('--outbox', outbox);
  // Before anything is made: a refused outbox must not be left behind inside the inbox.
  if (inboxPath === outboxPath) throw new ScheduleError('--outbox', 'must not be the inbox: results would be taken as new lists');
  if (outboxPath.startsWith(`${inboxPath}/`)) throw new ScheduleError('--outbox', 'must not be inside the inbox');
  const inboxStat = await stat(inboxPath).catch((err: unknown) => {
    throw new ScheduleError('--inbox', `${inboxPath} cannot be used: ${errnoWords(err)}`);
  });
  if (!inboxStat.isDirectory()) throw new ScheduleError('--inbox', `${inboxPath} is not a folder`);
  await access(inboxPath, constants.R_OK | constants.W_OK | constants.X_OK).catch((err: unknown) => {
    throw new ScheduleError('--inbox', `files cannot be moved out of ${inboxPath}: ${errnoWords(err)}`);
  });
  for (const sub of ['taken', 'rejected']) {
    await mkdir(join(inboxPath, sub), { recursive: true }).catch((err: unknown) => {
      throw new ScheduleError('--inbox', `${join(inboxPath, sub)} cannot be made: ${errnoWords(err)}`);
    });
  }
  await mkdir(outboxPath, { recursive: true }).catch((err: unknown) => {
    throw new ScheduleError('--outbox', `${outboxPath} cannot be made: ${errnoWords(err)}`);
  });
  await access(outboxPath, constants.W_OK | constants.X_OK).catch((err: unknown) => {
    throw new ScheduleError('--outbox', `files cannot be written in ${outboxPath}: ${errnoWords(err)}`);
  });
  return { inbox: inboxPath, outbox: outboxPath };
}

function absolute(option: string, path: string): string {
  if (!path.trim()) throw new ScheduleError(option, 'is empty');
  return isAbsolute(path) ? resolve(path) : resolve(process.cwd(), path);
}
