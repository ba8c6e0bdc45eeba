/**
 * Commands on batches: submit (the queue engine only), status, result, cancel. With
 * REDIS_URL they work on the queue engine's batches; without it, on the local engine's,
 * kept in the data dir by `riskscreen run`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOptions } from '../config/load.js';
import { FINAL_STATUSES, isBatchId, newBatchId, type BatchView } from '../engine/batch.js';
import { NightlyStore } from '../nightly/nightly-store.js';
import { checkWebhookUrl } from '../nightly/webhook-send.js';
import { webhookSecretFrom } from './webhook-secret.js';
import { diagnoseBatch, durationWords } from '../engine/batch-health.js';
import { submitBatch } from '../engine/submit.js';
import { gatherBatchFacts, gatherLocalBatchFacts, noWorkerWarning } from '../../workers/batch-facts.js';
import { createLogger } from '../log/logger.js';
import { manifestPathOf, readManifest } from '../report/manifest.js';
import { openBatchSession, openQueueSession, type LocalStoreSession, type QueueSession } from '../../workers/sessions.js';
import { EXIT } from './exit-codes.js';
import { INPUT_FLAGS, INPUT_FLAGS_HELP, inputOptionsFrom } from './input-flags.js';
import { UsageError, type CommandIo } from './io.js';
import { describe } from './progress.js';
import { ENGINE_FLAGS, engineRequestFrom, loadEngineOptions } from './run.js';
import type { Options } from '../config/options.js';
import { OUTPUT_FLAGS, OUTPUT_FLAGS_HELP, outputOptionsFrom, prepareResultFiles, writeResultFiles } from './output-flags.js';
import { levelTable, summaryText } from './summary.js';

export const SUBMIT_HELP = `Usage: riskscreen submit <file> [options]

Queue a phone list on the queue engine (REDIS_URL) and print its batch id. The list is
read whole first: a file that cannot be read queues nothing. Workers
(riskscreen worker) do the screening; riskscreen status <batch> follows it. When no
worker is alive for a queue the batch needs, submit says so at once (the batch is
queued all the same and starts when one does).

Options:
  --profile NAME|APIS    which APIs to ask (default standard)
  --rate API=N,...       calls per second for these APIs (shared by every batch)
  --max-calls N          never more than N billable calls for this batch
  --plan staged|all      staged (default, RISKSCREEN_PLAN): line status first, the other
                         APIs only when its answer leaves the level open; all: every API at once
  --rubric FILE          risk rubric JSON (default: the shipped one); stored with the batch
  --webhook URL          POST a signed JSON event when the batch ends (docs/webhooks.md)
  --webhook-secret S     its signing secret, 16 characters or more (or RISKSCREEN_WEBHOOK_SECRET)
  --json                 print the batch record as JSON
${INPUT_FLAGS_HELP}
  -h, --help             show this help

Exit codes: 0 queued, 2 bad command line, 3 the list cannot be read, 4 configuration,
7 Redis unreachable.
`;

export const STATUS_HELP = `Usage: riskscreen status <batch> [--json]

Show a batch (of the queue engine with REDIS_URL, else of the local engine, kept in
the data dir): status (queued, ingesting, screening, reporting, done, failed,
cancelled, blocked), the reason in plain words when it is not done,
counts, billed calls, the plan (staged or all) and the calls staging saved by API,
errors by code, times and the result file. A batch that is not done also says what it
waits for: no worker alive for a queue, the first call of an API (the key check), the
rate gate, a hold the service asked for (10011, 224924) and until when, a spent quota,
ingest paused while the queues drain, under the staged plan the questions waiting for
their numbers' line status answers; a local batch whose run ended before it did (run
the same list again to resume it). With no progress for RISKSCREEN_STUCK_AFTER
(10 min) it is flagged STUCK, with the reason.

Options:
  --json         print the batch record, with a health object (idleMs, stuck, waits)
  --config FILE  config file

Exit codes: 0 shown, 2 bad command line or unknown batch, 7 Redis unreachable.
`;

export const RESULT_HELP = `Usage: riskscreen result <batch> --out <path> [options]

Write the result file of a finished batch to <path> (atomically: whole or not at all),
then its manifest beside it, and print rows by status and risk level. No call is made:
the batch's own result, kept in the data dir, is exported again (a batch of the queue
engine with REDIS_URL, else of the local engine), in any format: <path>'s extension
(.csv, .xlsx, .jsonl, .parquet) or --format picks it.

${OUTPUT_FLAGS_HELP}
  --json                 print the manifest as JSON instead of the summary

Exit codes: 0 written, 1 the batch has no result yet (see riskscreen status), 2 bad
command line, --out, --format or unknown batch, 3 the --compare file cannot be read as a result,
4 configuration (a masked file needs RISKSCREEN_SECRET or JUHE_KEY), 7 Redis unreachable,
8 the file could not be written (a full disk: the message says why; nothing partial is left).
`;

export const CANCEL_HELP = `Usage: riskscreen cancel <batch>

Stop a batch: no more calls are made for it; questions not yet asked are skipped and
the result file is still written, with those rows marked not screened. A local batch
that no riskscreen run is working on is only marked cancelled (it gets no result file).

Exit codes: 0 cancelled, 1 already finished, 2 bad command line or unknown batch,
7 Redis unreachable.
`;

async function withQueueSession<T>(options: Options, run: (session: QueueSession) => Promise<T>): Promise<T> {
  const session = await openQueueSession(options, createLogger({ level: options.log.level }), { juhe: false });
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

type BatchSession = QueueSession | LocalStoreSession;

/** The queue engine's batches with REDIS_URL, else the local engine's (the data dir). */
async function withBatchSession<T>(config: string | undefined | Options, run: (session: BatchSession, options: Options) => Promise<T>): Promise<T> {
  const options = typeof config === 'object' ? config : loadOptions(config ? { configFile: config } : {});
  const session = await openBatchSession(options, createLogger({ level: options.log.level }));
  try {
    return await run(session, options);
  } finally {
    await session.close();
  }
}

function batchArg(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} needs exactly one <batch> id (see riskscreen ${command} --help)`);
  const id = positionals[0]!;
  if (!isBatchId(id)) throw new UsageError(`"${id}" is not a batch id (they look like b20261122-101500-a1b2)`);
  return id;
}

async function mustGet(session: BatchSession, id: string): Promise<BatchView> {
  const view = await session.stores.batches.get(id);
  if (view) return view;
  throw new UsageError(
    session.kind === 'queue'
      ? `no batch ${id} under prefix ${session.queues.prefix} (REDIS_URL is set: the local engine's batches are not looked at)`
      : `no batch ${id} in the local store ${session.stores.file} (REDIS_URL is not set: the queue engine's batches are not looked at)`,
  );
}

export async function runSubmitCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...INPUT_FLAGS,
      ...ENGINE_FLAGS,
      webhook: { type: 'string' },
      'webhook-secret': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(SUBMIT_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('submit needs exactly one <file> (see riskscreen submit --help)');
  const options = loadEngineOptions(values);
  const request = engineRequestFrom(values, options);
  const webhook = values.webhook !== undefined ? checkWebhookUrl('--webhook', values.webhook) : null;
  const secret = webhookSecretFrom(values['webhook-secret'], process.env, webhook !== null);
  return withQueueSession(options, async (session) => {
    const id = newBatchId();
    if (webhook && secret) {
      // Before the batch exists: it cannot end before whom to tell is known.
      const store = new NightlyStore(session.redis, session.queues.prefix);
      await store.putSecret(`batch:${id}`, secret);
      await store.putRun({ batchId: id, schedule: null, webhook: { url: webhook, secretOwner: `batch:${id}` } });
    }
    const { meta } = await submitBatch(session.stores.batches, session.dataDir, { id, file: positionals[0]!, input: inputOptionsFrom(values), ...request }).catch(
      async (err: unknown) => {
        // Nothing was queued: nothing to tell anyone about.
        const store = new NightlyStore(session.redis, session.queues.prefix);
        await store.dropRun(id);
        await store.dropSecret(`batch:${id}`);
        throw err;
      },
    );
    if (Object.keys(request.rates).length > 0) await session.queues.setRates(request.rates);
    await session.queues.addIngestJob(meta.id);
    io.stdout.write(values.json ? `${JSON.stringify(await session.stores.batches.get(meta.id), null, 2)}\n` : `${meta.id}\n`);
    const warning = noWorkerWarning(await gatherBatchFacts(session, options.engine), meta.options.apis);
    if (warning) io.stderr.write(`riskscreen: warning: ${warning}\n`);
    return EXIT.ok;
  });
}

export async function runStatusCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, config: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    io.stdout.write(STATUS_HELP);
    return EXIT.ok;
  }
  const id = batchArg(positionals, 'status');
  const options = loadOptions(values.config ? { configFile: values.config } : {});
  return withBatchSession(options, async (session) => {
    const view = await mustGet(session, id);
    const facts = session.kind === 'queue' ? await gatherBatchFacts(session, options.engine) : await gatherLocalBatchFacts(session.stores, id, options.engine);
    const health = diagnoseBatch(view, facts);
    if (values.json) io.stdout.write(`${JSON.stringify({ ...view, health }, null, 2)}\n`);
    else {
      const manifestPath = view.resultPath ? manifestPathOf(view.resultPath) : null;
      io.stdout.write(summaryText(view, view.resultPath));
      if (manifestPath && existsSync(manifestPath)) io.stdout.write(`\n${levelTable((await readManifest(manifestPath)).rows).join('\n')}\n`);
      io.stdout.write(`\n  progress        ${describe(view, Date.now() - Date.parse(view.times.created))}\n`);
      if (health.stuck) io.stdout.write(`  STUCK           no progress for ${durationWords(health.idleMs)} (RISKSCREEN_STUCK_AFTER is ${durationWords(options.engine.stuckAfterSeconds * 1000)})\n`);
      for (const wait of health.waits) io.stdout.write(`  waiting         ${wait}\n`);
      io.stdout.write(`  input           ${view.input.name} (${view.input.bytes.toLocaleString('en-US')} bytes, sha256 ${view.input.sha256.slice(0, 16)}…)\n`);
      io.stdout.write(`  profile         ${view.options.profile}${view.options.maxCalls !== null ? `, --max-calls ${view.options.maxCalls}` : ''}\n`);
      for (const [name, at] of Object.entries(view.times)) io.stdout.write(`  ${name.padEnd(15)} ${at}\n`);
    }
    return EXIT.ok;
  });
}

export async function runResultCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...OUTPUT_FLAGS,
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(RESULT_HELP);
    return EXIT.ok;
  }
  const id = batchArg(positionals, 'result');
  if (!values.out) throw new UsageError('--out: where should the result go?');
  const out = resolve(values.out);
  const options = loadOptions(values.config ? { configFile: values.config } : {});
  const output = outputOptionsFrom(values, options, out);
  return withBatchSession(options, async (session) => {
    const view = await mustGet(session, id);
    if (view.resultPath && existsSync(view.resultPath) && !existsSync(manifestPathOf(view.resultPath)) && FINAL_STATUSES.has(view.status)) {
      io.stderr.write(`riskscreen: batch ${id} was reported by an older riskscreen, without a manifest or risk columns; its file is ${view.resultPath}\n`);
      return EXIT.internal;
    }
    if (!view.resultPath || !existsSync(manifestPathOf(view.resultPath))) {
      io.stderr.write(`riskscreen: batch ${id} has no result yet (${view.status}${view.reason ? `: ${view.reason}` : ''})\n`);
      return EXIT.internal;
    }
    const exported = await writeResultFiles(view, await prepareResultFiles(out, output, options));
    io.stdout.write(values.json ? `${JSON.stringify(exported.manifest, null, 2)}\n` : summaryText(view, out, exported));
    return EXIT.ok;
  });
}

export async function runCancelCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    io.stdout.write(CANCEL_HELP);
    return EXIT.ok;
  }
  const id = batchArg(positionals, 'cancel');
  return withBatchSession(values.config, async (session) => {
    const view = await mustGet(session, id);
    // The time is set only once it moved: a patch would also move a finished batch's time.
    const moved = await session.stores.batches.setStatus(id, 'cancelled', 'cancelled by riskscreen cancel');
    if (!moved) {
      io.stderr.write(`riskscreen: batch ${id} has already finished (${view.status})\n`);
      return EXIT.internal;
    }
    if (session.kind === 'local-store' && !(await session.stores.batches.claimant(id))) {
      // No run works it, so no report will set its end: it ends now.
      await session.stores.batches.setStatus(id, 'cancelled', 'cancelled by riskscreen cancel', { times: { finished: new Date().toISOString() } });
      io.stdout.write(`batch ${id} cancelled; no riskscreen run was working on it, so nothing more is asked and it has no result file\n`);
    } else io.stdout.write(`batch ${id} cancelled; questions not yet asked are skipped and the result file is still written\n`);
    return EXIT.ok;
  });
}
