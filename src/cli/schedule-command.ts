/**
 * `riskscreen schedule add|list|remove|run`: nightly runs on the queue engine. A
 * schedule is a BullMQ job scheduler (stored in Redis; any worker takes a tick, and
 * each tick runs once however many workers run) whose ticks screen an inbox folder and
 * write results to an outbox folder (docs/nightly.md). Every option is checked here,
 * when the schedule is added, not at 2 a.m.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { deriveEngineKeys } from '../engine/keys.js';
import { resolveProfile } from '../engine/profiles.js';
import { resolveInputOptions } from '../input/index.js';
import {
  DEFAULT_KEEP_RUNS,
  DEFAULT_SETTLE_SECONDS,
  DEFAULT_TIME_ZONE,
  ScheduleError,
  checkCron,
  checkFormats,
  checkInteger,
  checkLanguage,
  checkPlan,
  checkScheduleFolders,
  checkScheduleName,
  checkTimeZone,
  localTime,
  nextTicks,
  scheduleFormats,
  scheduleLanguage,
  schedulePlan,
  type ScheduleOutput,
  type ScheduleSpec,
} from '../nightly/schedule.js';
import { NightlyStore, type TickRecord } from '../nightly/nightly-store.js';
import { checkWebhookUrl, safeWebhookUrl } from '../nightly/webhook-send.js';
import { loadRubric } from '../risk/load.js';
import { createLogger } from '../log/logger.js';
import { loadOptions } from '../config/load.js';
import { outputEncoding } from '../config/validate.js';
import type { Options } from '../config/options.js';
import { aliveWorkers } from '../../workers/heartbeats.js';
import { NIGHTLY_QUEUE } from '../../workers/queue-names.js';
import { openQueueSession, type QueueSession } from '../../workers/sessions.js';
import { EXIT } from './exit-codes.js';
import { INPUT_FLAGS, INPUT_FLAGS_HELP, inputOptionsFrom } from './input-flags.js';
import { UsageError, type CommandIo } from './io.js';
import { webhookSecretFrom, WEBHOOK_SECRET_ENV } from './webhook-secret.js';

export const SCHEDULE_HELP = `Usage: riskscreen schedule add NAME --cron "0 2 * * *" --inbox DIR --outbox DIR [options]
       riskscreen schedule list [--json]
       riskscreen schedule remove NAME
       riskscreen schedule run NAME [--wait]

Nightly screening on the queue engine (REDIS_URL; workers run the ticks). At each tick
every complete file in the inbox becomes a batch of its own and moves to inbox/taken/
(named after its batch); a file that cannot be read moves to inbox/rejected/ with a
.error.txt beside it. Results land in the outbox as <stem>.<yyyymmdd>.result.csv with
their manifest and, from the second run of a list on, <stem>.<yyyymmdd>.changes.csv
against the run before (and the same in each other --format). See docs/nightly.md.

add NAME (letters, digits, - and _):
  --cron PATTERN         when to tick: five fields (minute hour day month weekday), or six
                         with seconds first; "0 2 * * *" is 02:00 every day
  --tz ZONE              time zone of the pattern (default ${DEFAULT_TIME_ZONE})
  --inbox DIR            folder lists are dropped into (every worker must see it at this path)
  --outbox DIR           folder results are written to (made when missing)
  --settle SECONDS       a file without a marker is complete once unchanged this long (default ${DEFAULT_SETTLE_SECONDS})
  --markers              take only files with a NAME.ready marker beside them
  --profile NAME|APIS    which APIs to ask (default standard)
  --max-calls N          never more than N billable calls per batch
  --plan staged|all      staged (default: RISKSCREEN_PLAN, else staged): line status first,
                         the other APIs only when its answer leaves the level open; all: every API
  --rubric FILE          risk rubric JSON, read now and kept with the schedule
  --mask                 numbers masked in the outbox (138****1234, plus mobile_hash)
  --split                also one file per level (<stem>.<yyyymmdd>.high.csv, ...)
  --out-encoding ENC     utf8-bom, utf8 or gb18030 (default RISKSCREEN_OUTPUT_ENCODING, else utf8-bom)
  --format LIST          the outbox's formats: csv, xlsx, jsonl, parquet, as a comma list or
                         the option again (--format csv,xlsx); csv is always written: it is
                         what the next run compares with (<stem>.<yyyymmdd>.result.xlsx, ...)
  --lang zh|en           a workbook's sheet names and summary (default: RISKSCREEN_LANGUAGE, else zh)
  --keep N               runs kept in the outbox per list (default ${DEFAULT_KEEP_RUNS})
  --webhook URL          POST a signed JSON event when a batch ends or a file is rejected
  --webhook-secret S     the signing secret, 16 characters or more (or ${WEBHOOK_SECRET_ENV})
  --replace              change an existing schedule (otherwise an existing name is refused)
${INPUT_FLAGS_HELP}

list: every schedule, its next ticks and its last tick. remove: the schedule (batches
it started go on). run: a tick now, beside the scheduled ones; --wait prints what it took.

Options for every subcommand:
  --config FILE          config file
  -h, --help             show this help

Exit codes: 0 done, 2 bad command line or option (the message names it), 4 configuration,
7 Redis unreachable.
`;

const FLAGS = {
  cron: { type: 'string' },
  tz: { type: 'string' },
  inbox: { type: 'string' },
  outbox: { type: 'string' },
  settle: { type: 'string' },
  markers: { type: 'boolean', default: false },
  profile: { type: 'string' },
  'max-calls': { type: 'string' },
  plan: { type: 'string' },
  rubric: { type: 'string' },
  mask: { type: 'boolean', default: false },
  split: { type: 'boolean', default: false },
  'out-encoding': { type: 'string' },
  format: { type: 'string', multiple: true },
  lang: { type: 'string' },
  keep: { type: 'string' },
  webhook: { type: 'string' },
  'webhook-secret': { type: 'string' },
  replace: { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  ...INPUT_FLAGS,
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: FLAGS });
}

export async function runScheduleCommand(argv: string[], io: CommandIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help || positionals.length === 0) {
    io.stdout.write(SCHEDULE_HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const [sub, ...rest] = positionals;
  const options = loadOptions(values.config ? { configFile: values.config } : {});
  switch (sub) {
    case 'add':
      return addSchedule(nameArg(rest, 'add'), values, options, io, env);
    case 'list':
      if (rest.length > 0) throw new UsageError('schedule list takes no NAME');
      return withSession(options, (session) => listSchedules(session, values.json, io));
    case 'remove': {
      // The NAME is checked before a session is opened, as every option of add is.
      const name = nameArg(rest, 'remove');
      return withSession(options, (session) => removeSchedule(session, name, io));
    }
    case 'run': {
      const name = nameArg(rest, 'run');
      return withSession(options, (session) => runNow(session, name, values.wait, io));
    }
    default:
      throw new UsageError(`unknown schedule subcommand "${sub}"; use add, list, remove or run (see riskscreen schedule --help)`);
  }
}

function nameArg(rest: string[], sub: string): string {
  if (rest.length !== 1) throw new UsageError(`schedule ${sub} needs exactly one NAME (see riskscreen schedule --help)`);
  return checkScheduleName(rest[0]!);
}

async function withSession<T>(options: Options, run: (session: QueueSession) => Promise<T>): Promise<T> {
  const session = await openQueueSession(options, createLogger({ level: options.log.level }), { juhe: false });
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

/** Every option of `schedule add`, checked; nothing is stored until all are good. */
export async function scheduleFrom(name: string, values: Values, options: Options, env: NodeJS.ProcessEnv): Promise<{ spec: ScheduleSpec; secret: string | null }> {
  if (!values.cron) throw new ScheduleError('--cron', 'is required: when should it tick? (e.g. --cron "0 2 * * *" for 02:00 every day)');
  if (!values.inbox) throw new ScheduleError('--inbox', 'is required: the folder lists are dropped into');
  if (!values.outbox) throw new ScheduleError('--outbox', 'is required: the folder results are written to');
  const tz = checkTimeZone(values.tz ?? DEFAULT_TIME_ZONE);
  const cron = checkCron(values.cron, tz);
  const profile = resolveProfile(values.profile).name;
  const maxCalls = values['max-calls'] !== undefined ? checkInteger('--max-calls', values['max-calls'], 1, 1_000_000_000) : null;
  const plan = values.plan !== undefined ? checkPlan(values.plan) : options.engine.plan;
  const rubric = values.rubric !== undefined ? loadRubric(values.rubric) : null;
  const input = inputOptionsFrom(values);
  resolveInputOptions(input);
  const encoding = values['out-encoding'] !== undefined ? outputEncoding('--out-encoding', values['out-encoding']) : options.report.encoding;
  const formats = values.format !== undefined ? checkFormats(values.format) : scheduleFormats({});
  const language = values.lang !== undefined ? checkLanguage(values.lang) : options.report.language;
  if (values.mask) {
    // The workers need the same secret to hash numbers; missing here, it is likely missing there.
    deriveEngineKeys(options.engine.secret, options.juhe.key);
  }
  const webhook = values.webhook !== undefined ? checkWebhookUrl('--webhook', values.webhook) : null;
  const secret = webhookSecretFrom(values['webhook-secret'], env, webhook !== null);
  const keep = values.keep !== undefined ? checkInteger('--keep', values.keep, 1, 10_000) : DEFAULT_KEEP_RUNS;
  const settleSeconds = values.settle !== undefined ? checkInteger('--settle', values.settle, 0, 86_400) : DEFAULT_SETTLE_SECONDS;
  // Last: it makes folders (inbox/taken, inbox/rejected, the outbox), so only once every other option is good.
  const folders = await checkScheduleFolders(values.inbox, values.outbox);
  return {
    spec: {
      name,
      cron,
      tz,
      inbox: folders.inbox,
      outbox: folders.outbox,
      profile,
      maxCalls,
      plan,
      rubric,
      rubricFile: values.rubric !== undefined ? resolve(values.rubric) : null,
      input,
      output: { mask: values.mask, split: values.split, encoding, formats, language },
      keep,
      settleSeconds,
      markers: values.markers,
      webhook,
      added: new Date().toISOString(),
    },
    secret,
  };
}

async function addSchedule(name: string, values: Values, options: Options, io: CommandIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { spec, secret } = await scheduleFrom(name, values, options, env);
  return withSession(options, async (session) => {
    const existing = await session.queues.schedule(name);
    if (existing && !values.replace) throw new UsageError(`schedule ${name} exists; give --replace to change it (riskscreen schedule list shows it)`);
    checkFoldersFree(spec, await session.queues.schedules());
    const store = new NightlyStore(session.redis, session.queues.prefix);
    // The secret first: a tick that comes right after the upsert must find it.
    if (secret !== null) await store.putSecret(`schedule:${name}`, secret);
    await session.queues.upsertSchedule(spec);
    if (secret === null) await store.dropSecret(`schedule:${name}`);
    const next = nextTicks(spec.cron, spec.tz, 3).map((date) => localTime(date, spec.tz));
    io.stdout.write(
      [
        `schedule ${name} ${existing ? 'replaced' : 'added'}: ${spec.cron} (${spec.tz})`,
        `  inbox   ${spec.inbox}${spec.markers ? ' (files with a .ready marker)' : ` (files unchanged for ${spec.settleSeconds} s)`}`,
        `  outbox  ${spec.outbox} (keeps ${spec.keep} runs per list${spec.output.mask ? ', masked' : ''}${spec.output.split ? ', split by level' : ''}, ${spec.output.encoding})`,
        `  formats ${formatsWords(spec.output)}`,
        `  webhook ${spec.webhook ? safeWebhookUrl(spec.webhook) : 'none'}`,
        `  next    ${next.join(', ')} (${spec.tz})`,
        '',
      ].join('\n'),
    );
    return EXIT.ok;
  });
}

/**
 * One schedule per inbox (two would race for its files) and per outbox (their runs of a
 * list with one name would be compared with each other and overwrite each other's
 * names), and no schedule's outbox is another's inbox.
 */
function checkFoldersFree(spec: ScheduleSpec, schedulers: Awaited<ReturnType<QueueSession['queues']['schedules']>>): void {
  // Compared as the folders they are (a symlink or a second path to one folder is the same folder).
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  const mine = { inbox: real(spec.inbox), outbox: real(spec.outbox) };
  for (const scheduler of schedulers) {
    const found = (scheduler.template?.data as { schedule?: ScheduleSpec } | undefined)?.schedule;
    if (!found || found.name === spec.name) continue;
    const other = { name: found.name, inbox: real(found.inbox), outbox: real(found.outbox) };
    if (other.inbox === mine.inbox) throw new ScheduleError('--inbox', `schedule ${other.name} already takes files from ${spec.inbox}; give each schedule its own inbox`);
    if (other.outbox === mine.outbox) throw new ScheduleError('--outbox', `schedule ${other.name} already writes to ${spec.outbox}; give each schedule its own outbox`);
    if (other.outbox === mine.inbox) throw new ScheduleError('--inbox', `${spec.inbox} is the outbox of schedule ${other.name}: its results would be taken as lists`);
    if (other.inbox === mine.outbox) throw new ScheduleError('--outbox', `${spec.outbox} is the inbox of schedule ${other.name}: these results would be taken as lists`);
  }
}

async function listSchedules(session: QueueSession, json: boolean, io: CommandIo): Promise<number> {
  const store = new NightlyStore(session.redis, session.queues.prefix);
  const rows = [];
  for (const scheduler of await session.queues.schedules()) {
    const spec = (scheduler.template?.data as { schedule?: ScheduleSpec } | undefined)?.schedule;
    if (!spec) continue;
    const [last] = await store.ticks(spec.name, 1);
    rows.push({ spec, next: scheduler.next ?? null, last: last ?? null });
  }
  if (json) {
    const shown = rows.map(({ spec, next, last }) => ({
      ...spec,
      // A schedule added before formats: what it writes (CSV, workbooks in Chinese), spelled out.
      output: { ...spec.output, formats: scheduleFormats(spec.output), language: scheduleLanguage(spec.output) },
      webhook: spec.webhook ? safeWebhookUrl(spec.webhook) : null,
      rubric: spec.rubric ? spec.rubric.name : null,
      next: next === null ? null : new Date(next).toISOString(),
      lastTick: last,
    }));
    io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    io.stdout.write('no schedules (riskscreen schedule add NAME --cron ... --inbox DIR --outbox DIR)\n');
    return EXIT.ok;
  }
  for (const { spec, next, last } of rows) {
    io.stdout.write(
      [
        `${spec.name}: ${spec.cron} (${spec.tz}); next ${next === null ? 'none' : localTime(new Date(next), spec.tz)}`,
        `  inbox ${spec.inbox} -> outbox ${spec.outbox}; profile ${spec.profile}, plan ${schedulePlan(spec)}${spec.maxCalls !== null ? `, at most ${spec.maxCalls} calls per batch` : ''}`,
        `  formats ${formatsWords(spec.output)}`,
        `  webhook ${spec.webhook ? safeWebhookUrl(spec.webhook) : 'none'}`,
        `  last tick ${last ? tickWords(last, spec.tz) : 'none yet'}`,
        '',
      ].join('\n'),
    );
  }
  return EXIT.ok;
}

/** `csv, xlsx (workbook in zh)`: the formats a schedule writes, and a workbook's language when it writes one. */
export function formatsWords(output: ScheduleOutput): string {
  const formats = scheduleFormats(output);
  return `${formats.join(', ')}${formats.includes('xlsx') ? ` (workbook in ${scheduleLanguage(output)})` : ''}`;
}

function tickWords(tick: TickRecord, tz: string): string {
  if (tick.error) return `${localTime(new Date(tick.started), tz)}: failed: ${tick.error}`;
  const parts = [`${localTime(new Date(tick.started), tz)}: ${tick.taken.length} taken, ${tick.rejected.length} rejected`];
  if (tick.failed.length > 0) parts.push(`${tick.failed.length} not taken for now (${tick.failed[0]!.file}: ${tick.failed[0]!.problem})`);
  if (tick.waiting.length > 0) parts.push(`${tick.waiting.length} still being written${tick.followUp ? `, looked at again at ${localTime(new Date(tick.followUp), tz)}` : ''}`);
  return parts.join('; ');
}

async function removeSchedule(session: QueueSession, name: string, io: CommandIo): Promise<number> {
  const removed = await session.queues.removeSchedule(name);
  if (!removed) throw new UsageError(`no schedule ${name} (riskscreen schedule list shows them)`);
  await new NightlyStore(session.redis, session.queues.prefix).dropSchedule(name);
  io.stdout.write(`schedule ${name} removed; batches it started go on and their results still go to its outbox (its webhook secret is gone, so they are not reported)\n`);
  return EXIT.ok;
}

async function runNow(session: QueueSession, name: string, wait: boolean, io: CommandIo): Promise<number> {
  const scheduler = await session.queues.schedule(name);
  const spec = (scheduler?.template?.data as { schedule?: ScheduleSpec } | undefined)?.schedule;
  if (!spec) throw new UsageError(`no schedule ${name} (riskscreen schedule list shows them)`);
  const job = await session.queues.runScheduleNow(spec);
  if (!wait) {
    io.stdout.write(`tick of ${name} queued (${job.id}); a worker runs it (riskscreen schedule list shows the last tick)\n`);
    return EXIT.ok;
  }
  const takers = (await aliveWorkers(session.redis, session.queues.prefix)).filter((worker) => worker.queues.includes(NIGHTLY_QUEUE));
  io.stderr.write(
    takers.length > 0
      ? `riskscreen: tick of ${name} queued; waiting for a worker to run it\n`
      : `riskscreen: tick of ${name} queued, but no worker works the nightly queue now: it runs when one starts (riskscreen worker); Ctrl-C stops waiting\n`,
  );
  for (;;) {
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const done = await session.queues.nightly.getJob(job.id!);
  if (!done || done.failedReason) {
    io.stderr.write(`riskscreen: the tick failed: ${done?.failedReason ?? 'it is gone'}\n`);
    return EXIT.internal;
  }
  const record = done.returnvalue as TickRecord;
  for (const taken of record.taken) io.stdout.write(`taken     ${taken.file} -> batch ${taken.batchId}\n`);
  for (const rejected of record.rejected) io.stdout.write(`rejected  ${rejected.file}: ${rejected.problem}\n`);
  for (const waiting of record.waiting) io.stdout.write(`waiting   ${waiting} (still being written, or no marker yet)\n`);
  for (const failed of record.failed) io.stdout.write(`not taken ${failed.file}: ${failed.problem} (looked at again at the next look)\n`);
  if (record.taken.length + record.rejected.length + record.waiting.length + record.failed.length === 0) io.stdout.write('the inbox had no files\n');
  return EXIT.ok;
}
