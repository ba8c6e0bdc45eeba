/**
 * The report job: runs once, when every question of the batch has a result. Reads the
 * stored list again (the same rows in the same order), joins each row with the results
 * of its questions and writes the result file atomically. Until the scoring issue the
 * file carries the decoded signals; see docs/output-schema.md when it lands.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { readPhoneList, type PhoneRecord } from '../src/input/index.js';
import { FINAL_STATUSES } from '../src/engine/batch.js';
import { GiveUp } from '../src/engine/control.js';
import type { EngineContext, ReportJobData } from '../src/engine/context.js';
import { planRecord } from '../src/engine/plan.js';
import { resolveProfile } from '../src/engine/profiles.js';
import { decodeTaskResult } from '../src/engine/task-result.js';
import { openAtomicFile } from '../src/report/atomic-file.js';
import { ADDED_COLUMNS, resultRow, type RowStatus } from '../src/report/result-row.js';

/** Rows joined per round trip to the store. */
const CHUNK = 1_000;
const BOM = '\uFEFF';

export function resultPathOf(dataDir: string, batchId: string): string {
  return join(dataDir, 'batches', batchId, 'result.csv');
}

export async function runReportJob(ctx: EngineContext, data: ReportJobData): Promise<{ path: string }> {
  const { batches } = ctx.stores;
  const batch = await batches.get(data.batchId);
  if (!batch) throw new GiveUp(`batch ${data.batchId} does not exist`);
  const target = resultPathOf(ctx.dataDir, data.batchId);
  const log = ctx.logger.child({ batch: data.batchId, job: 'report' });

  // Exactly once: a report re-delivered after it wrote the file only finishes the record.
  if (!existsSync(target)) {
    await batches.setStatus(data.batchId, 'reporting', null, { times: { reportingStarted: new Date().toISOString() } });
    const profile = resolveProfile(batch.options.profile);
    const reader = await readPhoneList(batch.input.path, batch.options.input, { expect: batch.input.fingerprint });
    const width = Math.max(batch.counts.fields, reader.layout.header?.length ?? 0, 1);
    const header = Array.from({ length: width }, (_, i) => reader.layout.header?.[i] ?? `column_${i + 1}`);
    const status = (await batches.status(data.batchId)) ?? batch.status;
    const file = await openAtomicFile(target);
    const byStatus: Record<RowStatus, number> = { screened: 0, partial: 0, invalid: 0, not_screened: 0 };
    try {
      await file.write(BOM + stringify([[...header, ...ADDED_COLUMNS]], { record_delimiter: 'windows' }));
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
          const added = resultRow(record, questions, status);
          byStatus[added.row_status as RowStatus]++;
          const original = Array.from({ length: width }, (_, c) => record.fields[c] ?? '');
          return [...original, ...ADDED_COLUMNS.map((column) => added[column])];
        });
        await file.write(stringify(rows, { record_delimiter: 'windows' }));
        chunk = [];
      };
      for await (const record of reader) {
        chunk.push(record);
        if (chunk.length >= CHUNK) await writeChunk();
      }
      if (chunk.length > 0) await writeChunk();
      await file.commit();
      await batches.setCounts(data.batchId, {
        rowsScreened: byStatus.screened,
        rowsPartial: byStatus.partial,
        rowsNotScreened: byStatus.not_screened,
        rowsInvalid: byStatus.invalid,
      });
    } catch (err) {
      await file.abort();
      await reader.close();
      throw err;
    }
    log.info({ path: target }, 'result written');
  }

  const final = await batches.get(data.batchId);
  const reason = final && final.status !== 'cancelled' && final.status !== 'blocked' ? doneReason(final) : undefined;
  const finished = { times: { finished: new Date().toISOString() }, resultPath: target };
  if (!(await batches.setStatus(data.batchId, 'done', reason ?? null, finished))) {
    // cancelled or blocked: the file is written all the same, the status stays.
    await batches.setStatus(data.batchId, final?.status ?? 'done', undefined, finished);
  }
  const after = await batches.status(data.batchId);
  if (after && FINAL_STATUSES.has(after)) await batches.dropResults(data.batchId);
  return { path: target };
}

/** Plain words when a done batch has rows without every answer. */
function doneReason(batch: NonNullable<Awaited<ReturnType<EngineContext['stores']['batches']['get']>>>): string | null {
  const parts: string[] = [];
  const unscreened = batch.counts.rowsPartial + batch.counts.rowsNotScreened;
  if (batch.options.maxCalls !== null && batch.counts.skipped > 0 && batch.counts.reserved >= batch.options.maxCalls) {
    parts.push(`stopped at --max-calls ${batch.options.maxCalls}: ${unscreened} rows left not fully screened (${batch.counts.skipped} questions not asked)`);
  }
  for (const [api, why] of Object.entries(batch.exhausted)) parts.push(`${api}: ${why}`);
  if (batch.counts.failed > 0) parts.push(`${batch.counts.failed} questions failed (see the error column)`);
  return parts.length > 0 ? parts.join('; ') : null;
}
