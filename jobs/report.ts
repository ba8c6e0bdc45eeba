/**
 * The report job: runs once, when every question of the batch has a result. Reads the
 * stored list again (the same rows in the same order), joins each row with the results
 * of its questions, scores it, and writes the batch's result file atomically, then its
 * manifest (docs/output-schema.md). The manifest is the mark of a finished report: a
 * report re-delivered after writing it only finishes the batch record.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readPhoneList, type PhoneRecord } from '../src/input/index.js';
import { FINAL_STATUSES, type BatchView } from '../src/engine/batch.js';
import { GiveUp } from '../src/engine/control.js';
import type { EngineContext, ReportJobData } from '../src/engine/context.js';
import { planRecord } from '../src/engine/plan.js';
import { resolveProfile } from '../src/engine/profiles.js';
import { decodeTaskResult } from '../src/engine/task-result.js';
import { DEFAULT_RUBRIC, type RiskLevel } from '../src/risk/index.js';
import { batchManifest, manifestPathOf, readManifest, removeManifest, RowTally, writeManifest } from '../src/report/manifest.js';
import { openResultCsv } from '../src/report/result-csv.js';
import { ADDED_COLUMNS, resultRow, type RowStatus } from '../src/report/result-row.js';

/** Rows joined per round trip to the store. */
const CHUNK = 1_000;

export function resultPathOf(dataDir: string, batchId: string): string {
  return join(dataDir, 'batches', batchId, 'result.csv');
}

export async function runReportJob(ctx: EngineContext, data: ReportJobData): Promise<{ path: string }> {
  const { batches } = ctx.stores;
  const batch = await batches.get(data.batchId);
  if (!batch) throw new GiveUp(`batch ${data.batchId} does not exist`);
  const target = resultPathOf(ctx.dataDir, data.batchId);
  const manifestPath = manifestPathOf(target);
  const log = ctx.logger.child({ batch: data.batchId, job: 'report' });

  if (!existsSync(manifestPath)) {
    await batches.setStatus(data.batchId, 'reporting', null, { times: { reportingStarted: new Date().toISOString() } });
    await removeManifest(manifestPath);
    const profile = resolveProfile(batch.options.profile);
    const rubric = batch.options.rubric ?? DEFAULT_RUBRIC;
    const reader = await readPhoneList(batch.input.path, batch.options.input, { expect: batch.input.fingerprint });
    const width = Math.max(batch.counts.fields, reader.layout.header?.length ?? 0, 1);
    const header = Array.from({ length: width }, (_, i) => reader.layout.header?.[i] ?? `column_${i + 1}`);
    const status = (await batches.status(data.batchId)) ?? batch.status;
    const tally = new RowTally();
    const file = await openResultCsv(target, [...header, ...ADDED_COLUMNS], 'utf8-bom');
    try {
      let chunk: PhoneRecord[] = [];
      const writeChunk = async () => {
        const plans = chunk.map((record) => planRecord(record, profile, ctx.keys));
        const results = await batches.getResults(data.batchId, plans.flatMap((plan) => plan.map((task) => task.taskId)));
        let at = 0;
        const rows = chunk.map((record, i) => {
          const questions = plans[i]!.map((task) => {
            const encoded = results[at++];
            return { api: task.api, result: encoded ? decodeTaskResult(task.api, encoded) : null };
          });
          const added = resultRow(record, questions, { batchStatus: status, profile, rubric });
          tally.add(added.row_status as RowStatus, added.risk_level as RiskLevel | '');
          const original = Array.from({ length: width }, (_, c) => record.fields[c] ?? '');
          return [...original, ...ADDED_COLUMNS.map((column) => added[column])];
        });
        await file.writeRows(rows);
        chunk = [];
      };
      for await (const record of reader) {
        chunk.push(record);
        if (chunk.length >= CHUNK) await writeChunk();
      }
      if (chunk.length > 0) await writeChunk();
      const written = await file.commit();
      const byStatus = tally.counts.by_status;
      await batches.setCounts(data.batchId, {
        rowsScreened: byStatus.screened,
        rowsPartial: byStatus.partial,
        rowsNotScreened: byStatus.not_screened,
        rowsInvalid: byStatus.invalid,
      });
      const view = (await batches.get(data.batchId))!;
      const phone = reader.layout.phoneColumn;
      await writeManifest(
        manifestPath,
        batchManifest(view, finalStatusOf(view), {
          result: written,
          rows: tally.counts,
          columns: width,
          phoneColumn: { number: phone.index + 1, name: phone.name },
          written: new Date().toISOString(),
        }),
      );
    } catch (err) {
      await file.abort();
      await reader.close();
      throw err;
    }
    // Once per result file: a report delivered again after its manifest is written skips this block.
    ctx.observe?.rowsReported(tally.counts.by_status_and_level);
    log.info({ path: target }, 'result written');
  }

  const final = (await batches.get(data.batchId))!;
  const { status, reason } = finalStatusOf(final);
  // A batch already cancelled or blocked keeps its status; the patch applies all the same.
  await batches.setStatus(data.batchId, status, reason, { times: { finished: new Date().toISOString() }, resultPath: target });
  // A cancel between the manifest and the status above leaves the batch cancelled: the
  // manifest must say what the record says.
  const settled = await batches.get(data.batchId);
  const manifest = await readManifest(manifestPath);
  if (settled && (settled.status !== manifest.batch.status || settled.reason !== manifest.batch.reason)) {
    await writeManifest(manifestPath, { ...manifest, batch: { ...manifest.batch, status: settled.status, reason: settled.reason } });
  }
  const after = await batches.status(data.batchId);
  if (after && FINAL_STATUSES.has(after)) await batches.dropResults(data.batchId);
  // Last: a report delivered again after a crash here tells it again (listeners are idempotent).
  await ctx.events?.ended(data.batchId);
  return { path: target };
}

/** The status the batch ends with once its report is written: done, or how it stopped. */
function finalStatusOf(batch: BatchView): { status: 'done' | 'cancelled' | 'blocked'; reason: string | null } {
  if (batch.status === 'cancelled' || batch.status === 'blocked') return { status: batch.status, reason: batch.reason };
  return { status: 'done', reason: doneReason(batch) };
}

/** Plain words when a done batch has rows without every answer. */
function doneReason(batch: BatchView): string | null {
  const parts: string[] = [];
  const unscreened = batch.counts.rowsPartial + batch.counts.rowsNotScreened;
  // Counted as they are skipped: a unit given back later (an answer that was not billed) leaves `reserved` under the cap.
  // (Or, for a batch begun before that counter was kept, the old test.)
  const maxCallsStop = batch.counts.skippedMaxCalls > 0 || (batch.counts.skipped > 0 && batch.counts.reserved >= (batch.options.maxCalls ?? Infinity));
  if (batch.options.maxCalls !== null && maxCallsStop) {
    parts.push(`stopped at --max-calls ${batch.options.maxCalls}: ${unscreened} rows left not fully screened (${batch.counts.skipped} questions not asked)`);
  }
  for (const [api, why] of Object.entries(batch.exhausted)) parts.push(`${api}: ${why}`);
  if (batch.counts.failed > 0) parts.push(`${batch.counts.failed} questions failed (see the error column)`);
  return parts.length > 0 ? parts.join('; ') : null;
}
