/**
 * The preview of an upload, before anything is queued or paid for: how the list reads
 * (encoding, delimiter, header, the phone and date columns found), its counts, invalid
 * rows by reason with their first examples (masked, with line numbers), questions per
 * API, the billable upper bound and what the shared cache saves, and what each plan
 * would bill (the same upper bound; the expected bill under `staged` where the cache
 * knows line statuses that decide the level under the chosen rubric). Two reads of the
 * file: the input layer's scan, then the engine's estimate (the same questions a batch asks).
 */
import type { Plan } from '../engine/batch.js';
import type { EngineKeys } from '../engine/keys.js';
import { estimateBatch } from '../engine/estimate.js';
import type { ResultCache } from '../engine/store.js';
import { scanPhoneList, type InputOptions } from '../input/index.js';
import { maskedLayout, maskedPhoneCell } from '../input/masked-layout.js';
import { INVALID_REASON_CODES, INVALID_REASONS, type InvalidReason } from '../input/normalize.js';
import { DEFAULT_RUBRIC, type Rubric } from '../risk/index.js';
import type { RubricChoice } from './rubric-catalogue.js';
import type { Upload } from './uploads.js';
import { WebError } from './web-error.js';

/** Invalid rows read for the examples; of each reason, the first few are shown. */
const INVALID_KEPT = 200;
const EXAMPLES_PER_REASON = 3;

export async function previewUpload(
  upload: Upload,
  input: InputOptions,
  profile: string | undefined,
  cache: { store: ResultCache; keys: EngineKeys } | null,
  /** The rubric chosen (its hard rules say which line statuses decide) and the plan a batch gets when none is chosen. */
  plans: { rubric?: Rubric; plan?: Plan } = {},
) {
  const scan = await scanPhoneList(upload.path, input, { keepInvalid: INVALID_KEPT });
  const estimate = await estimateBatch(upload.path, input, profile, cache?.keys ?? placeholderKeys(), cache?.store ?? null, {
    rubric: plans.rubric ?? DEFAULT_RUBRIC,
  });
  const layout = maskedLayout(scan.layout);
  const columnCount = Math.max(layout.header?.length ?? 0, estimate.maxFields, layout.phoneColumn.index + 1, (layout.dateColumn?.index ?? -1) + 1);
  const invalid = INVALID_REASON_CODES.filter((reason) => scan.counts.invalidByReason[reason] > 0).map((reason: InvalidReason) => ({
    reason,
    meaning: INVALID_REASONS[reason],
    count: scan.counts.invalidByReason[reason],
    examples: scan.firstInvalid
      .filter((record) => record.reason === reason)
      .slice(0, EXAMPLES_PER_REASON)
      .map((record) => ({ line: record.line, value: maskedPhoneCell(record, scan.layout) })),
  }));
  const warnings: string[] = [];
  if (scan.counts.valid === 0) warnings.push('no row has a valid mobile number: nothing would be screened; choose another phone column');
  if (layout.encodingAlternative) {
    warnings.push(`read as ${layout.encoding}, but the bytes also read as ${layout.encodingAlternative}: if names look wrong, choose ${layout.encodingAlternative}`);
  }
  if (scan.counts.dateWarnings > 0) warnings.push(`${scan.counts.dateWarnings.toLocaleString('en-US')} rows have a date cell that is not a date: the batch date (since) applies to them`);
  const cacheSaves = estimate.cached ? Object.values(estimate.cached).reduce((a, b) => a + b, 0) : null;
  return {
    upload: { id: upload.id, name: upload.name, bytes: upload.bytes, sha256: upload.sha256 },
    layout: {
      format: layout.format,
      encoding: layout.encoding,
      encodingAlternative: layout.encodingAlternative,
      delimiter: layout.delimiter,
      sheet: layout.sheet,
      header: layout.header,
      headerLine: layout.headerLine,
      columns: Array.from({ length: columnCount }, (_, index) => ({ number: index + 1, name: layout.header?.[index] ?? null })),
      phoneColumn: { number: layout.phoneColumn.index + 1, name: layout.phoneColumn.name, source: layout.phoneColumn.source },
      dateColumn: layout.dateColumn ? { number: layout.dateColumn.index + 1, name: layout.dateColumn.name, source: layout.dateColumn.source } : null,
      since: layout.since,
    },
    counts: {
      rows: scan.counts.rows,
      valid: scan.counts.valid,
      invalid: scan.counts.invalid,
      duplicates: scan.counts.duplicates,
      unique: scan.counts.unique,
      blankLines: scan.counts.blankLines,
      dateWarnings: scan.counts.dateWarnings,
      byCarrier: scan.counts.byCarrier,
    },
    invalid,
    profile: estimate.profile,
    questions: estimate.questions,
    billableUpperBound: estimate.billableUpperBound,
    cached: estimate.cached,
    cacheSaves,
    /** The plan a batch gets when the request names none (the server's engine.plan). */
    plan: plans.plan ?? 'staged',
    /** Each plan's bill: the same upper bound; `expected` less the cache's answers and, under staged, the questions a known deciding line status leaves unasked. */
    plans: estimate.plans,
    /** What the staged figure is based on (line statuses known from the cache; the console has no earlier result). */
    staging: estimate.staging,
    warnings,
  };
}

/** The rubric a preview is asked for (`rubric`: an id of the server's catalogue, default `default`), as the run request takes it. */
export function previewRubricOf(value: unknown, rubrics: readonly RubricChoice[]): Rubric {
  const id = value === undefined || value === null || value === '' ? 'default' : String(value);
  const choice = rubrics.find((entry) => entry.id === id);
  if (!choice) {
    throw new WebError('RISKSCREEN_BAD_OPTION', `rubric: no rubric "${id}" on this server; it offers ${rubrics.map((entry) => entry.id).join(', ')}`, { field: 'rubric' });
  }
  return choice.rubric;
}
export type PreviewJson = Awaited<ReturnType<typeof previewUpload>>;

/** Keys for counting questions when no cache is asked: the estimate hashes only for a cache. */
function placeholderKeys(): EngineKeys {
  return { hashKey: Buffer.alloc(32), joinKey: Buffer.alloc(32), sealKey: Buffer.alloc(32) };
}
