/**
 * `riskscreen run <file> --out <path>`: submit a list, show progress, wait, write the
 * result. With REDIS_URL unset it uses the local engine (one process, no Redis); with
 * REDIS_URL it uses the queue engine and, unless --no-worker, works in this process too.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadOptions } from '../config/load.js';
import { parseRates, planOption } from '../config/validate.js';
import type { Options } from '../config/options.js';
import { FINAL_STATUSES, type BatchView, type Plan } from '../engine/batch.js';
import { PROFILES, DEFAULT_PROFILE, resolveProfile } from '../engine/profiles.js';
import { resumableBatches } from '../engine/resume.js';
import { submitBatch } from '../engine/submit.js';
import type { ApiId } from '../juhe/catalogue.js';
import { createLogger } from '../log/logger.js';
import type { Exported } from '../report/export.js';
import { loadRubric, type Rubric } from '../risk/index.js';
import { gatherBatchFacts, noWorkerWarning } from '../../workers/batch-facts.js';
import { startBullmqRunner } from '../../workers/bullmq-runner.js';
import { ENGINE_QUEUES } from '../../workers/queue-names.js';
import { checkRedisForWorkers } from '../../workers/redis-policy.js';
import { openLocalSession, openQueueSession, type LocalSession } from '../../workers/sessions.js';
import { EXIT } from './exit-codes.js';
import { INPUT_FLAGS, INPUT_FLAGS_HELP, inputOptionsFrom } from './input-flags.js';
import { UsageError, type CommandIo } from './io.js';
import { OUTPUT_FLAGS, OUTPUT_FLAGS_HELP, outputOptionsFrom, prepareResultFiles, writeResultFiles } from './output-flags.js';
import { DataDirWriteError, isDataDirRefusal } from './data-dir-error.js';
import { createProgress } from './progress.js';
import { spaceWarnings } from './space-check.js';
import { summaryText } from './summary.js';

export const RUN_HELP = `Usage: riskscreen run <file> --out <path> [options]

Screen a phone list and write the result file: submit, show progress, wait, write.
Without REDIS_URL it runs on the local engine (this process, no Redis), keeping the
batch and every answer in the data dir (RISKSCREEN_DATA_DIR, riskscreen-data/): run
again after a crash and it resumes the same list's batch, paying only for what was
not answered. With REDIS_URL it runs on the queue engine, working in this process too
unless --no-worker.

Options:
  --out PATH             where to write the result (required; written whole or not at all);
                         its extension picks the format: .csv, .xlsx, .jsonl or .parquet
  --rubric FILE          risk rubric JSON (default: the shipped one; riskscreen rubric prints it)
  --profile NAME|APIS    ${Object.values(PROFILES).map((p) => p.name).join(', ')}, or a list like status,resale (default ${DEFAULT_PROFILE})
  --rate API=N,...       calls per second for these APIs (default RISKSCREEN_RATES, 20 each)
  --max-calls N          never more than N billable calls for this batch
  --plan staged|all      staged (default, RISKSCREEN_PLAN): line status first, the other
                         APIs only when its answer leaves the level open (same levels,
                         fewer calls); all: every API at once
  --no-worker            queue engine only: submit and wait, leave the work to other workers
  --json                 print the finished batch record as JSON instead of the summary
  --quiet                no progress display
${OUTPUT_FLAGS_HELP}
${INPUT_FLAGS_HELP}
  -h, --help             show this help

Exit codes: 0 done, 2 bad command line, --out or --format, 3 the list or the --compare
file cannot be read (nothing was queued), 4 configuration or rubric, 5 the Juhe account
refused the key (batch blocked), 6 stopped by a limit (--max-calls, an API quota), 7
Redis or the Juhe service unreachable, 8 a file could not be written (the result at
--out: the message gives the command that exports the kept result again; or the data
dir: calls stop and running the same command again resumes), 1 the batch failed or was
cancelled, 130 interrupted.
`;

export const ENGINE_FLAGS = {
  profile: { type: 'string' },
  rate: { type: 'string' },
  'max-calls': { type: 'string' },
  plan: { type: 'string' },
  rubric: { type: 'string' },
  config: { type: 'string' },
} as const;

export interface EngineRequest {
  profile: string;
  rates: Partial<Record<ApiId, number>>;
  maxCalls: number | null;
  rubric: Rubric;
  plan: Plan;
}

export function engineRequestFrom(
  values: { profile?: string | undefined; rate?: string | undefined; 'max-calls'?: string | undefined; plan?: string | undefined },
  options: Options,
): EngineRequest {
  const profile = resolveProfile(values.profile).name;
  const rates = values.rate ? parseRates('--rate', values.rate) : {};
  let maxCalls: number | null = null;
  if (values['max-calls'] !== undefined) {
    if (!/^\d+$/.test(values['max-calls']) || Number(values['max-calls']) < 1) {
      throw new UsageError(`--max-calls: must be a whole number of calls, at least 1 (got ${JSON.stringify(values['max-calls'])})`);
    }
    maxCalls = Number(values['max-calls']);
  }
  let plan = options.engine.plan;
  if (values.plan !== undefined) {
    try {
      plan = planOption('--plan', values.plan);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return { profile, rates, maxCalls, rubric: loadRubric(options.report.rubric), plan };
}

export async function runRunCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...INPUT_FLAGS,
      ...ENGINE_FLAGS,
      ...OUTPUT_FLAGS,
      out: { type: 'string' },
      'no-worker': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(RUN_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('run needs exactly one <file> (see riskscreen run --help)');
  if (!values.out) throw new UsageError('--out: where should the result go? (e.g. --out result.csv)');
  const file = positionals[0]!;
  const out = resolve(values.out);
  const options = loadEngineOptions(values);
  const request = engineRequestFrom(values, options);
  const output = outputOptionsFrom(values, options, out);
  // Before anything is queued or paid for: a bad --out or --compare must not waste a night's calls.
  const prepared = await prepareResultFiles(out, output, options, file);
  Object.assign(options.engine.rates, request.rates);
  const logger = createLogger({ level: options.log.level });
  const progress = createProgress(io.stderr as NodeJS.WritableStream & { isTTY?: boolean }, !values.quiet && !values.json);
  const input = inputOptionsFrom(values);

  const deliver: Deliver = async (view) => {
    if (!view.resultPath) return null;
    if (!values.quiet && !values.json) io.stderr.write(`riskscreen: writing the result files (${view.counts.rows.toLocaleString('en-US')} rows)\n`);
    return writeResultFiles(view, prepared);
  };
  const finished = options.engine.redisUrl
    ? await runOnQueue(options, logger, file, input, request, !values['no-worker'], progress, io, deliver)
    : await runLocally(options, logger, file, input, request, progress, deliver, out, io, output.split);
  if (!finished) return EXIT.interrupted;
  const { view, exported } = finished;
  if (values.json) {
    const record = { ...view, out: exported ? out : null, files: exported?.paths ?? [], manifest: exported?.manifest ?? null };
    io.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
  } else io.stdout.write(summaryText(view, exported ? out : null, exported ?? undefined));
  return exitFor(view);
}

type Deliver = (view: BatchView) => Promise<Exported | null>;

interface Finished {
  view: BatchView;
  /** Null when the batch ended without a result file (it failed). */
  exported: Exported | null;
}

/** Options from file and env, with `--config` and `--rubric` applied. */
export function loadEngineOptions(values: { config?: string | undefined; rubric?: string | undefined }): Options {
  return loadOptions({
    ...(values.config ? { configFile: values.config } : {}),
    overrides: { 'report.rubric': { value: values.rubric, flag: '--rubric' } },
  });
}

async function runLocally(
  options: Options,
  logger: ReturnType<typeof createLogger>,
  file: string,
  input: ReturnType<typeof inputOptionsFrom>,
  request: EngineRequest,
  progress: ReturnType<typeof createProgress>,
  deliver: Deliver,
  out: string,
  io: CommandIo,
  split: boolean,
): Promise<Finished | null> {
  const session = await openLocalSession(options, logger);
  let stop = () => {};
  const interrupted = new Promise<null>((resolveInterrupt) => {
    stop = () => {
      session.runner.stop();
      session.abort.abort(new Error('interrupted'));
      resolveInterrupt(null);
    };
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let timer: NodeJS.Timeout | undefined;
  let batchId: string | null = null;
  try {
    const { id, questions } = await takeBatch(session, file, input, request, io);
    batchId = id;
    const view = (await session.stores.batches.get(id))!;
    for (const warning of await spaceWarnings({ out, dataDir: session.dataDir, inputBytes: view.input.bytes, rows: view.input.fingerprint.rows, questions, split })) {
      io.stderr.write(`riskscreen: warning: ${warning}\n`);
    }
    timer = setInterval(() => {
      void session.stores.batches.get(id).then((latest) => latest && progress.update(latest), () => undefined);
    }, 250);
    const done = await Promise.race([session.runner.run(id).then(() => true), interrupted]);
    if (!done) return null;
    clearInterval(timer);
    const finished = (await session.stores.batches.get(id))!;
    progress.finish(finished);
    return { view: finished, exported: await deliver(finished) };
  } catch (err) {
    // Nothing more is asked once something failed: an answer that cannot be kept must not be paid for.
    session.runner.stop();
    session.abort.abort(err);
    if (isDataDirRefusal(err, session.dataDir)) throw new DataDirWriteError(err, session.dataDir, batchId);
    throw err;
  } finally {
    clearInterval(timer);
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await session.close();
  }
}

/**
 * The batch this run works: an unended batch of the same list and questions that no
 * other run works (a run killed mid-way), resumed, so only what was not answered is
 * paid for; else a new one. Claimed in the local store either way.
 */
async function takeBatch(
  session: LocalSession,
  file: string,
  input: ReturnType<typeof inputOptionsFrom>,
  request: EngineRequest,
  io: CommandIo,
): Promise<{ id: string; questions: number }> {
  const { batches } = session.stores;
  const sha256 = await fileSha256(file).catch(() => null);
  if (sha256) {
    const rerun = { sha256, input, profile: request.profile, maxCalls: request.maxCalls, rubric: request.rubric, plan: request.plan };
    for (const candidate of resumableBatches(await batches.list(), rerun)) {
      if (!(await batches.claim(candidate.id)).claimed) continue;
      // Looked at again once claimed (no other run can change that now): it may have ended meanwhile.
      const claimed = await batches.get(candidate.id);
      if (!claimed || resumableBatches([claimed], rerun).length === 0) {
        await batches.release(candidate.id);
        continue;
      }
      await batches.forgetKeyChecks(candidate.id);
      const c = claimed.counts;
      io.stderr.write(
        c.ingestDone
          ? `riskscreen: resuming ${candidate.id}: ${c.final.toLocaleString('en-US')} of ${c.tasks.toLocaleString('en-US')} questions already answered\n`
          : `riskscreen: resuming ${candidate.id}: ${c.final.toLocaleString('en-US')} questions already answered; the list is read again\n`,
      );
      return { id: candidate.id, questions: c.ingestDone ? c.tasks - c.final : claimed.input.fingerprint.rows * claimed.options.apis.length };
    }
  }
  // Created claimed by this run (one transaction): no other run takes it.
  const { meta, scan } = await submitBatch(batches, session.dataDir, { file, input, ...request });
  return { id: meta.id, questions: scan.counts.unique * meta.options.apis.length };
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function runOnQueue(
  options: Options,
  logger: ReturnType<typeof createLogger>,
  file: string,
  input: ReturnType<typeof inputOptionsFrom>,
  request: EngineRequest,
  work: boolean,
  progress: ReturnType<typeof createProgress>,
  io: CommandIo,
  deliver: Deliver,
): Promise<Finished | null> {
  const session = await openQueueSession(options, logger, { juhe: work });
  let workers: ReturnType<typeof startBullmqRunner> | null = null;
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // Before the batch is made: a Redis that evicts keys would lose its jobs.
    if (work) await checkRedisForWorkers(session.redis, session.redisUrl, logger);
    const { meta } = await submitBatch(session.stores.batches, session.dataDir, { file, input, ...request });
    await session.queues.prepare(options.engine.rates);
    if (Object.keys(request.rates).length > 0) await session.queues.setRates(request.rates);
    await session.queues.addIngestJob(meta.id);
    io.stderr.write(`riskscreen: batch ${meta.id} submitted\n`);
    if (!work) {
      const warning = noWorkerWarning(await gatherBatchFacts(session, options.engine), meta.options.apis);
      if (warning) io.stderr.write(`riskscreen: warning: ${warning}\n`);
    }
    if (work && session.parts) {
      workers = startBullmqRunner({
        context: session.parts.context,
        queues: session.queues,
        connect: (name) => session.connect(name),
        // Not schedules' ticks nor webhooks: this process ends with its batch.
        only: ENGINE_QUEUES,
        concurrency: options.engine.concurrency,
        logger,
      });
    }
    for (;;) {
      const view = await session.stores.batches.get(meta.id);
      if (view) progress.update(view);
      if (view && FINAL_STATUSES.has(view.status) && (view.resultPath || view.status === 'failed')) {
        progress.finish(view);
        return { view, exported: await deliver(view) };
      }
      if (stop) {
        io.stderr.write(`\nriskscreen: stopped waiting; batch ${meta.id} goes on with the workers. riskscreen status ${meta.id}\n`);
        return null;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (workers) await workers.close(options.engine.shutdownTimeoutMs);
    await session.close();
  }
}

export function exitFor(view: BatchView): number {
  switch (view.status) {
    case 'done': {
      const limited =
        Object.keys(view.exhausted).length > 0 ||
        (view.options.maxCalls !== null && (view.counts.skippedMaxCalls > 0 || (view.counts.skipped > 0 && view.counts.reserved >= view.options.maxCalls)));
      return limited ? EXIT.limited : EXIT.ok;
    }
    case 'blocked':
      return EXIT.account;
    default:
      return EXIT.internal;
  }
}
