/**
 * A batch has ended: hand it on. A scheduled batch that is done gets its files in the
 * schedule's outbox, whole or not at all with the manifest last (the export's own
 * rule), named `<stem>.<yyyymmdd>.result.csv`, with the changes against the schedule's
 * earlier run of the same list (`<stem>.<yyyymmdd>.changes.csv`: the morning view);
 * old runs past the schedule's `keep` are removed. The schedule's other formats
 * (`--format xlsx`...) are written first, each a whole export of its own under the same
 * base name (`<stem>.<yyyymmdd>.result.xlsx` and its manifest), and the CSV last: the
 * run's manifest appears only once every file of the run is whole. Then the webhook, if
 * any, is queued with everything a receiver needs. Run again (a crash, a re-delivered
 * event), it writes the same files under the same names and queues the same delivery
 * (one job id).
 *
 * A cancelled, blocked or failed batch writes nothing to the outbox (a partial result
 * there would be compared with tomorrow's as if it were whole); the webhook says how it
 * ended, and `riskscreen result` still exports what it has.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { BatchView } from '../src/engine/batch.js';
import { GiveUp, HoldJob } from '../src/engine/control.js';
import { applyRetention, listRuns, outboxNamesFor, type OutboxNames } from '../src/nightly/outbox.js';
import type { HeldLock, NightlyRun } from '../src/nightly/nightly-store.js';
import { scheduleFormats, scheduleLanguage } from '../src/nightly/schedule.js';
import { batchEndedPayload, manifestFiles, type WebhookFile } from '../src/nightly/webhook-event.js';
import { readEarlierResult, type EarlierResult } from '../src/report/earlier-result.js';
import { exportResult, type Exported } from '../src/report/export.js';
import { maskNumbersIn } from '../src/report/masking.js';
import { manifestPathOf, readManifest, removeManifest, type OutputOptions, type ResultManifest } from '../src/report/manifest.js';
import { RESULT_FORMATS, type ResultFormat } from '../src/report/result-format.js';
import { DEFAULT_RUBRIC } from '../src/risk/index.js';
import type { BatchEndJobData, JobAttempt, NightlyContext } from './nightly-context.js';

export interface BatchEndOutcome {
  outbox: string[];
  webhook: string | null;
}

export async function runBatchEndJob(ctx: NightlyContext, data: BatchEndJobData, owner: string, attempt: JobAttempt): Promise<BatchEndOutcome> {
  const run = await ctx.nightly.run(data.batchId);
  if (!run) return { outbox: [], webhook: null };
  const view = await ctx.batches.get(data.batchId);
  if (!view) throw new GiveUp(`batch ${data.batchId} does not exist`);
  const log = ctx.logger.child({ batch: data.batchId, job: 'batch-end', ...(run.schedule ? { schedule: run.schedule.name } : {}) });

  const notes: string[] = [];
  let manifest: ResultManifest | null = null;
  let files: WebhookFile[] = [];
  if (run.schedule && view.status === 'done' && view.resultPath) {
    // One batch at a time per schedule: two lists with one stem ending together would
    // otherwise both take the day's first name, and retention would race the export.
    const held = await ctx.nightly.hold(`${run.schedule.name}:outbox`, owner, ctx.lockMs);
    if (!held) throw new HoldJob(2_000, `another batch of schedule ${run.schedule.name} is writing to its outbox`);
    try {
      ({ manifest, files } = await writeOutbox(ctx, run, view, notes, held));
      log.info({ files: files.length }, 'result written to the outbox');
    } catch (err) {
      // Retried (a share that is away for a while); on the last attempt the webhook still
      // goes, saying what failed, so nobody waits for files that never come.
      if (!attempt.last) throw err;
      const problem = maskNumbersIn((err as Error).message);
      notes.push(`writing the result to the outbox ${run.schedule.outbox} failed: ${problem}; look there, and riskscreen result ${view.id} --out FILE writes it again`);
      log.error({ err: { message: problem } }, 'result not written to the outbox');
      manifest = await readManifest(manifestPathOf(view.resultPath)).catch(() => null);
    } finally {
      await held.release();
    }
  } else {
    // Not for the outbox (a plain submit with a webhook, or a batch that did not finish):
    // the batch's own manifest, if any, still says what its rows and calls were.
    if (view.resultPath) manifest = await readManifest(manifestPathOf(view.resultPath)).catch(() => null);
    if (run.schedule) {
      notes.push(
        view.resultPath
          ? `the batch ended ${view.status}: nothing was written to the outbox (riskscreen result ${view.id} --out FILE exports what it has)`
          : `the batch ended ${view.status} without a result: nothing was written to the outbox`,
      );
    }
  }

  let delivery: string | null = null;
  if (run.webhook) {
    const payload = batchEndedPayload({ view, schedule: run.schedule?.name ?? null, manifest, files, notes });
    delivery = payload.delivery_id;
    await ctx.scheduler.addWebhook({ deliveryId: delivery, event: payload.event, url: run.webhook.url, secretOwner: run.webhook.secretOwner, body: JSON.stringify(payload) });
  }
  // Done with: a later "ended" for it (a report delivered again) finds nothing to do.
  await ctx.nightly.dropRun(data.batchId);
  return { outbox: files.map((file) => file.path), webhook: delivery };
}

async function writeOutbox(ctx: NightlyContext, run: NightlyRun, view: BatchView, notes: string[], held: HeldLock): Promise<{ manifest: ResultManifest; files: WebhookFile[] }> {
  const target = run.schedule!;
  const names = await outboxNamesFor(target.outbox, target.stem, target.runDate, view.id);
  // The newest run made before this batch: a later list that happened to finish first is not "before".
  const before =
    (await listRuns(target.outbox, target.name, target.stem)).filter((run) => run.batchId !== view.id && run.created < view.times.created).at(-1) ?? null;
  let earlier: EarlierResult | null = null;
  if (before) {
    try {
      earlier = await readEarlierResult(before.resultPath);
    } catch (err) {
      notes.push(`no changes file: the earlier run's result ${before.resultPath} cannot be read (${(err as Error).message})`);
    }
  } else {
    notes.push('no changes file: this is the first run of this list in the outbox');
  }
  // CSV last: its manifest is the run (what outboxNamesFor, listRuns and the next run go by).
  const formats = scheduleFormats(target.output);
  const order: ResultFormat[] = [...formats.filter((format) => format !== 'csv'), 'csv'];
  // Written again (a retry): the run's manifest goes first, so it never stands beside files being rewritten.
  await removeManifest(names.manifest);
  await clearOtherFormats(names, formats);

  const { mask, split, encoding } = target.output;
  const language = scheduleLanguage(target.output);
  const rubric = view.options.rubric ?? DEFAULT_RUBRIC;
  const schedule = { name: target.name, run_date: target.runDate, stem: target.stem, inbox_file: maskNumbersIn(target.file) };
  const exports = new Map<ResultFormat, Exported>();
  try {
    for (const format of order) {
      const at = names.inFormat(format);
      // An export marks the earlier numbers it meets: each needs its own reading of the earlier run.
      const compared = earlier && exports.size > 0 ? await readEarlierResult(before!.resultPath) : earlier;
      const output: OutputOptions = { encoding, mask, split, compare: compared ? before!.resultPath : null, format, language };
      const exported = await exportResult({ source: view.resultPath!, out: at.result, output, earlier: compared, joinKey: ctx.joinKey, siblingOf: at.sibling, schedule, rubric });
      exports.set(format, exported);
      // Every export of one batch against one earlier run meets the same numbers: its words once.
      if (format === 'csv') notes.push(...exported.warnings);
    }
  } catch (err) {
    // The run is whole or not there: the other formats already written go (each manifest
    // first), so a run that failed for good leaves no workbook that no run lists. A retry
    // writes them again.
    for (const exported of exports.values()) {
      await removeManifest(exported.manifestPath).catch(() => undefined);
      for (const path of exported.paths) await rm(path, { force: true }).catch(() => undefined);
    }
    throw err;
  }
  // Retention removes other runs' files: never without the lock (this worker may have stalled past it).
  if (held.lost) throw new Error(`the outbox lock of schedule ${target.name} was lost (this worker stalled past it); another attempt goes on`);
  const removed = await applyRetention(target.outbox, target.name, target.stem, target.keep, view.id).catch((err: unknown) => {
    notes.push(`old runs could not all be removed from the outbox: ${(err as Error).message}`);
    return [] as string[];
  });
  if (removed.length > 0) notes.push(`${removed.length} files of runs older than the newest ${target.keep} removed from the outbox`);
  // The run's own (CSV) files first, as before formats, then each other format's.
  const files: WebhookFile[] = [];
  for (const format of formats) {
    const exported = exports.get(format)!;
    const raw = await readFile(exported.manifestPath);
    files.push(...manifestFiles(exported.manifest, dirname(exported.manifestPath), exported.manifestPath, raw.length, createHash('sha256').update(raw).digest('hex')));
  }
  return { manifest: exports.get('csv')!.manifest, files };
}

/**
 * Another format's files at this run's name that this run does not write: left by an
 * earlier attempt under this name that never finished (the schedule's formats changed
 * since). Removed manifest first, so nothing stands beside this run that it did not write.
 */
async function clearOtherFormats(names: OutboxNames, formats: readonly ResultFormat[]): Promise<void> {
  for (const format of RESULT_FORMATS) {
    if (formats.includes(format)) continue;
    const at = names.inFormat(format);
    const manifest = await readManifest(at.manifest).catch(() => null);
    await removeManifest(at.manifest);
    if (!manifest) continue;
    const listed = [manifest.result?.file, manifest.files?.changes?.file, ...Object.values(manifest.files?.levels ?? {}).map((file) => file?.file)];
    const folder = dirname(at.manifest);
    for (const name of listed) {
      // Only this run's names in that format: a manifest is never a way to remove another file.
      const own = typeof name === 'string' && basename(name) === name && !name.includes('\\') && name.startsWith(`${names.base}.`) && name.endsWith(extname(at.result));
      if (own) await rm(join(folder, name), { force: true });
    }
  }
}
