/**
 * The manifest: a JSON file written beside a result file after it (and every file that
 * goes with it) is in place. Present means complete: a downstream system waits for the
 * manifest, never for the CSV. It says what the files hold (rows by status and level,
 * sizes and sha256), where they came from (batch, input file and its sha256, options,
 * rubric, plan) and what it cost (billable calls by API, cache hits, the calls the staged
 * plan saved, errors by code).
 * docs/output-schema.md documents every field.
 */
import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { ApiId } from '../juhe/catalogue.js';
import { API_IDS } from '../juhe/catalogue.js';
import { planOf, type BatchView, type Plan } from '../engine/batch.js';
import { RISK_LEVELS, rubricDigest, DEFAULT_RUBRIC, type RiskLevel } from '../risk/index.js';
import { openAtomicFile } from '../shared/atomic-file.js';
import type { OutputEncoding } from './output-encoding.js';
import type { ResultFormat } from './result-format.js';
import type { ResultLanguage } from './result-language.js';
import type { WrittenFile } from './written-file.js';
import { RESULT_SCHEMA_VERSION, ROW_STATUSES, type RowStatus } from './result-row.js';

export const MANIFEST_KIND = 'riskscreen.result';
/** Rows with no level: invalid numbers (nothing to score). */
export const UNSCORED = 'unscored';
export type LevelOrUnscored = RiskLevel | typeof UNSCORED;
export const LEVELS_AND_UNSCORED: readonly LevelOrUnscored[] = [...RISK_LEVELS, UNSCORED];

export const CHANGES = ['new', 'level_up', 'level_down', 'unchanged', 'gone'] as const;
export type Change = (typeof CHANGES)[number];

export interface ManifestFile extends Pick<WrittenFile, 'rows' | 'bytes' | 'sha256' | 'sheets'> {
  /** The file's name; it sits in the manifest's directory. */
  file: string;
}

export interface OutputOptions {
  encoding: OutputEncoding;
  /** Numbers shown as 138****1234, with a keyed-hash column `mobile_hash` for joins. */
  mask: boolean;
  /** Also write one file per level. */
  split: boolean;
  /** The earlier result compared against (absolute path). */
  compare: string | null;
  /** The files' format (result-format.ts); CSV when absent (a manifest written before formats). */
  format?: ResultFormat;
  /** A workbook's sheet names and summary words; `zh` when absent. */
  language?: ResultLanguage;
}

export interface RowCounts {
  total: number;
  by_status: Record<RowStatus, number>;
  by_level: Record<LevelOrUnscored, number>;
  by_status_and_level: Record<RowStatus, Record<LevelOrUnscored, number>>;
}

export interface ResultManifest {
  kind: typeof MANIFEST_KIND;
  /** The result file's schema version (docs/output-schema.md); the manifest follows it. */
  schema_version: string;
  batch: { id: string; status: string; reason: string | null; profile: string; apis: ApiId[]; max_calls: number | null };
  input: {
    name: string;
    sha256: string;
    bytes: number;
    /** The result's first `columns` columns are the input's; the added columns follow. */
    columns: number;
    /** 1-based. */
    phone_column: { number: number; name: string | null };
  };
  /** `format` is absent in a manifest written before formats: CSV. `encoding` matters to CSV only. */
  result: ManifestFile & { format?: ResultFormat; encoding: OutputEncoding; masked: boolean };
  /** Per-level files (with --split) and the changes-only file (with --compare). */
  files: { levels?: Partial<Record<LevelOrUnscored, ManifestFile>>; changes?: ManifestFile };
  rows: RowCounts;
  calls: {
    billable_total: number;
    billable_by_api: Record<ApiId, number>;
    cache_hits_total: number;
    cache_hits_by_api: Record<ApiId, number>;
    /** Answers lost in flight that the service may have billed (see README, "billing twice"). */
    maybe_billed_total: number;
    maybe_billed_by_api: Record<ApiId, number>;
    /**
     * Questions not asked under the staged plan because the number's line status answer
     * already decided its level: the calls staging saved (0 under `all`). Absent in a
     * manifest written before plans (schema 1.2).
     */
    saved_by_staging_total?: number;
    saved_by_staging_by_api?: Record<ApiId, number>;
  };
  /** Every error met on the way (each attempt), by Juhe code or failure name. */
  errors_by_code: Record<string, number>;
  /** With --compare: rows by change (`gone` counts rows of the earlier file only). */
  changes?: Record<Change, number> & { compared_with: { name: string; sha256: string } };
  rubric: { name: string; digest: string };
  /** Files a schedule wrote to its outbox (docs/nightly.md): which schedule, which run, which input stem. */
  schedule?: { name: string; run_date: string; stem: string; inbox_file: string };
  /** `plan` is how the batch asked its questions; absent in a manifest written before plans (schema 1.2): `all`. */
  options: { rates: Partial<Record<ApiId, number>>; input: unknown; output: OutputOptions; plan?: Plan };
  times: {
    created: string;
    ingest_started: string | null;
    screening_started: string | null;
    reporting_started: string | null;
    /** When the batch's result file was written. */
    result_written: string;
    /** When this manifest's files were written (an export of the batch result: run --out, result --out). */
    files_written: string;
  };
}

/** `result.csv` -> `result.manifest.json`. */
export function manifestPathOf(csvPath: string): string {
  const ext = extname(csvPath);
  const stem = ext.toLowerCase() === '.csv' ? basename(csvPath, ext) : basename(csvPath);
  return join(dirname(csvPath), `${stem}.manifest.json`);
}

/** Counts rows by status and level as they are written. */
export class RowTally {
  readonly counts: RowCounts = {
    total: 0,
    by_status: zeros(ROW_STATUSES),
    by_level: zeros(LEVELS_AND_UNSCORED),
    by_status_and_level: Object.fromEntries(ROW_STATUSES.map((s) => [s, zeros(LEVELS_AND_UNSCORED)])) as RowCounts['by_status_and_level'],
  };

  add(status: RowStatus, level: RiskLevel | ''): void {
    const key: LevelOrUnscored = level || UNSCORED;
    this.counts.total++;
    this.counts.by_status[status]++;
    this.counts.by_level[key]++;
    this.counts.by_status_and_level[status][key]++;
  }
}

export function manifestFile(written: WrittenFile): ManifestFile {
  return { file: written.name, rows: written.rows, bytes: written.bytes, sha256: written.sha256, ...(written.sheets ? { sheets: written.sheets } : {}) };
}

/** A batch's calls as a manifest written now has them: every field present. */
export type BatchCalls = Required<ResultManifest['calls']>;

/** A batch's calls as the manifest (and a batch's webhook) reports them, from its counters. */
export function callsOf(view: BatchView): BatchCalls {
  const perApi = (prefix: 'billed' | 'cacheHits' | 'maybeBilled' | 'decided') =>
    Object.fromEntries(API_IDS.map((api) => [api, view.counts[`${prefix}.${api}`]])) as Record<ApiId, number>;
  return {
    billable_total: view.counts.billed,
    billable_by_api: perApi('billed'),
    cache_hits_total: view.counts.cacheHits,
    cache_hits_by_api: perApi('cacheHits'),
    maybe_billed_total: view.counts.maybeBilled,
    maybe_billed_by_api: perApi('maybeBilled'),
    saved_by_staging_total: view.counts.decided,
    saved_by_staging_by_api: perApi('decided'),
  };
}

/** The plan a manifest's batch asked with: a manifest written before plans is `all`. */
export function manifestPlan(manifest: Pick<ResultManifest, 'options'>): Plan {
  return manifest.options.plan ?? 'all';
}

/** The manifest of a batch's own result file, as the report job writes it. */
export function batchManifest(
  view: BatchView,
  final: { status: string; reason: string | null },
  facts: { result: WrittenFile; rows: RowCounts; columns: number; phoneColumn: { number: number; name: string | null }; written: string },
): ResultManifest {
  const rubric = view.options.rubric ?? DEFAULT_RUBRIC;
  return {
    kind: MANIFEST_KIND,
    schema_version: RESULT_SCHEMA_VERSION,
    batch: { id: view.id, status: final.status, reason: final.reason, profile: view.options.profile, apis: view.options.apis, max_calls: view.options.maxCalls },
    input: { name: view.input.name, sha256: view.input.sha256, bytes: view.input.bytes, columns: facts.columns, phone_column: facts.phoneColumn },
    result: { ...manifestFile(facts.result), format: 'csv', encoding: 'utf8-bom', masked: false },
    files: {},
    rows: facts.rows,
    calls: callsOf(view),
    errors_by_code: view.errorsByCode,
    rubric: { name: rubric.name, digest: rubricDigest(rubric) },
    options: {
      rates: view.options.rates,
      input: view.options.input,
      output: { encoding: 'utf8-bom', mask: false, split: false, compare: null, format: 'csv' },
      plan: planOf(view.options),
    },
    times: {
      created: view.times.created,
      ingest_started: view.times.ingestStarted ?? null,
      screening_started: view.times.screeningStarted ?? null,
      reporting_started: view.times.reportingStarted ?? null,
      result_written: facts.written,
      files_written: facts.written,
    },
  };
}

/** Written atomically, after the files it describes. */
export async function writeManifest(path: string, manifest: ResultManifest): Promise<void> {
  const file = await openAtomicFile(path);
  try {
    await file.write(`${JSON.stringify(manifest, null, 2)}\n`);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
}

export async function readManifest(path: string): Promise<ResultManifest> {
  return JSON.parse(await readFile(path, 'utf8')) as ResultManifest;
}

/** Before files are rewritten: until the new manifest lands, none vouches for them. */
export async function removeManifest(path: string): Promise<void> {
  await rm(path, { force: true });
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
