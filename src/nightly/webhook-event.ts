/**
 * What a webhook says (docs/webhooks.md, "The payload"): the event, the batch, its plan
 * and how it ended, rows by status and level, billable calls, cache hits and the calls
 * staging saved by API, and every file with its sha256. Built once when the event
 * happens, so every retry sends the same body (receivers de-duplicate by
 * `delivery_id`). Never a phone number: counts, names and digests only; a number in a
 * file's name or a rejected file's problem is masked (outbox names never hold one: see
 * outboxStem).
 */
import { planOf, type BatchView, type Plan } from '../engine/batch.js';
import { callsOf, type BatchCalls, type ManifestFile, type ResultManifest, type RowCounts } from '../report/manifest.js';
import { maskNumbersIn } from '../report/masking.js';
import type { ResultFormat } from '../report/result-format.js';

export const WEBHOOK_EVENTS = ['batch.done', 'batch.limited', 'batch.failed', 'batch.cancelled', 'batch.blocked', 'file.rejected', 'file.failed', 'tick.failed', 'webhook.test'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** The payload's version: a receiver can tell a later, extended payload apart. */
export const WEBHOOK_PAYLOAD_VERSION = 1;

export interface WebhookFile {
  /** `result`, `manifest`, `changes`, or a level (`high`, `medium`, `low`, `unscored`). */
  role: string;
  /** The result format the file is written in (`csv`, `xlsx`, `jsonl`, `parquet`); for a manifest, the format of the files it lists. */
  format: ResultFormat;
  name: string;
  /** Absolute path on the machines that share the outbox. */
  path: string;
  bytes: number | null;
  sha256: string | null;
  rows: number | null;
}

export interface WebhookPayload {
  version: typeof WEBHOOK_PAYLOAD_VERSION;
  event: WebhookEventName;
  /** The same on every retry of this event: de-duplicate by it. */
  delivery_id: string;
  /** When the event happened (each attempt's own time is in the signature header). */
  created: string;
  schedule: string | null;
  batch: {
    id: string;
    status: string;
    reason: string | null;
    profile: string;
    /** How the batch asked its questions (`staged`: line status first; `all`: every API at once). */
    plan: Plan;
    max_calls: number | null;
    created: string;
    finished: string | null;
  } | null;
  input: { name: string; sha256: string; bytes: number } | null;
  rows: RowCounts | null;
  /** The manifest's call counts, the calls staging saved included (the per-API maybe-billed counts stay in the manifest). */
  calls: Omit<BatchCalls, 'maybe_billed_by_api'> | null;
  /** With a changes file: rows by change against the earlier run. */
  changes: NonNullable<ResultManifest['changes']> | null;
  files: WebhookFile[];
  /** Plain words on anything worth a look (no earlier result to compare with, a retention problem). */
  notes: string[];
  rejected: { file: string; problem: string; moved_to: string; error_file: string } | null;
  /** For `tick.failed`: why the schedule's tick could not run (after its retries). */
  tick: { job: string; error: string } | null;
}

/** The event a batch's end is: `batch.limited` for a done batch stopped by --max-calls or a spent quota. */
export function batchEventName(view: Pick<BatchView, 'status' | 'counts' | 'exhausted'>): WebhookEventName {
  if (view.status === 'done') {
    const limited = view.counts.skippedMaxCalls > 0 || Object.keys(view.exhausted).length > 0;
    return limited ? 'batch.limited' : 'batch.done';
  }
  if (view.status === 'failed' || view.status === 'cancelled' || view.status === 'blocked') return `batch.${view.status}`;
  throw new Error(`batch ${(view as BatchView).id} has not ended (${view.status})`);
}

export interface BatchEndFacts {
  view: BatchView;
  schedule: string | null;
  /** The manifest of the files written (the outbox's), or the batch's own; null when the batch has no result. */
  manifest: ResultManifest | null;
  /** Files written, with where they are. */
  files: WebhookFile[];
  notes: string[];
  now?: Date;
}

export function batchEndedPayload(facts: BatchEndFacts): WebhookPayload {
  const { view, manifest } = facts;
  // The manifest's figures, without the per-API split of maybe-billed calls (not in the payload).
  const { maybe_billed_by_api: _perApi, ...calls } = callsOf(view);
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    event: batchEventName(view),
    delivery_id: `${view.id}.ended`,
    created: (facts.now ?? new Date()).toISOString(),
    schedule: facts.schedule,
    batch: {
      id: view.id,
      status: view.status,
      reason: view.reason === null ? null : maskNumbersIn(view.reason),
      profile: view.options.profile,
      plan: planOf(view.options),
      max_calls: view.options.maxCalls,
      created: view.times.created,
      finished: view.times.finished ?? null,
    },
    input: { name: maskNumbersIn(view.input.name), sha256: view.input.sha256, bytes: view.input.bytes },
    rows: manifest?.rows ?? null,
    calls,
    changes: manifest?.changes ?? null,
    files: facts.files,
    notes: facts.notes,
    rejected: null,
    tick: null,
  };
}

/**
 * The files a manifest lists, in the manifest's folder, and the manifest itself, each
 * with the manifest's format (CSV for a manifest written before formats). A run written
 * in several formats lists each format's files this way: the CSV's first (the run's
 * own, so the first `result` and the first `manifest` are the run's CSV and its
 * manifest, as before formats), then the others'.
 */
export function manifestFiles(manifest: ResultManifest, folder: string, manifestPath: string, manifestBytes: number | null, manifestSha256: string | null): WebhookFile[] {
  const format = manifest.result.format ?? 'csv';
  const entry = (role: string, file: ManifestFile): WebhookFile => ({ role, format, name: file.file, path: `${folder}/${file.file}`, bytes: file.bytes, sha256: file.sha256, rows: file.rows });
  const files: WebhookFile[] = [entry('result', manifest.result)];
  if (manifest.files.changes) files.push(entry('changes', manifest.files.changes));
  for (const [level, file] of Object.entries(manifest.files.levels ?? {})) if (file) files.push(entry(level, file));
  const name = manifestPath.slice(manifestPath.lastIndexOf('/') + 1);
  files.push({ role: 'manifest', format, name, path: manifestPath, bytes: manifestBytes, sha256: manifestSha256, rows: null });
  return files;
}

export interface RejectedFacts {
  schedule: string;
  file: string;
  sha256: string | null;
  bytes: number;
  problem: string;
  movedTo: string;
  errorFile: string;
  /** The same for a retry of the same rejection: `<schedule>.<file identity>.rejected`. */
  deliveryId: string;
  now?: Date;
}

export function rejectedPayload(facts: RejectedFacts): WebhookPayload {
  return {
    ...blankPayload('file.rejected', facts.deliveryId, facts.schedule, facts.now),
    input: facts.sha256 ? { name: maskNumbersIn(facts.file), sha256: facts.sha256, bytes: facts.bytes } : null,
    notes: ['nothing was screened and nothing was billed; fix the file and drop it into the inbox again'],
    rejected: { file: maskNumbersIn(facts.file), problem: maskNumbersIn(facts.problem), moved_to: maskNumbersIn(facts.movedTo), error_file: maskNumbersIn(facts.errorFile) },
  };
}

export function testPayload(deliveryId: string, now = new Date()): WebhookPayload {
  return {
    ...blankPayload('webhook.test', deliveryId, null, now),
    notes: ['a test event sent by riskscreen webhook test: if its signature verifies, the receiver is set up'],
  };
}

/** A schedule's tick failed after its retries (the inbox cannot be read, say): nothing was taken. */
export function tickFailedPayload(schedule: string, job: string, error: string, now = new Date()): WebhookPayload {
  return {
    ...blankPayload('tick.failed', `${schedule}.${job.replace(/:/g, '.')}.failed`, schedule, now),
    notes: ['files not taken before the failure stay in the inbox and are looked at again at the next tick (schedule list shows the last tick)'],
    tick: { job, error: maskNumbersIn(error) },
  };
}

/** An inbox file could not be taken for a reason not its own (the share, Redis): it stays, and is looked at again. */
export function fileFailedPayload(schedule: string, file: string, problem: string, deliveryId: string, now = new Date()): WebhookPayload {
  return {
    ...blankPayload('file.failed', deliveryId, schedule, now),
    notes: [`${maskNumbersIn(file)} could not be taken: ${maskNumbersIn(problem)}; it stays in the inbox and is looked at again every 5 minutes, then at each tick`],
  };
}

/** Every field, empty: an event fills in what it has (receivers never meet a missing field). */
function blankPayload(event: WebhookEventName, deliveryId: string, schedule: string | null, now = new Date()): WebhookPayload {
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    event,
    delivery_id: deliveryId,
    created: now.toISOString(),
    schedule,
    batch: null,
    input: null,
    rows: null,
    calls: null,
    changes: null,
    files: [],
    notes: [],
    rejected: null,
    tick: null,
  };
}
