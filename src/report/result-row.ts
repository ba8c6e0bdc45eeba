/**
 * One output row's added columns, from the input record, the results of its questions
 * and the rubric. Pure: the same record, results and rubric always give the same
 * cells, whichever engine produced them. docs/output-schema.md documents every column.
 */
import { INVALID_REASONS, type PhoneRecord } from '../input/index.js';
import type { ApiId } from '../juhe/catalogue.js';
import type { Signals } from '../juhe/model.js';
import { SKIP_REASONS } from '../engine/task-result.js';
import type { BatchStatus } from '../engine/batch.js';
import type { Profile } from '../engine/profiles.js';
import { assessRisk, reasonsText, type Rubric } from '../risk/index.js';
import { riskInputOf, type RowQuestion } from './risk-input.js';

export type { RowQuestion } from './risk-input.js';

/** Bumped when a column is added (minor) or changed, removed or moved (major). */
export const RESULT_SCHEMA_VERSION = '1.2';

export const ADDED_COLUMNS = [
  'mobile',
  'row_status',
  'carrier',
  'number_kind',
  'line_status',
  'line_status_code',
  'tenure',
  'tenure_code',
  'resale',
  'resale_code',
  'resale_date',
  'calling_minutes',
  'calling_code',
  'called_minutes',
  'called_code',
  'province',
  'city',
  'risk_score',
  'risk_level',
  'risk_confidence',
  'risk_reasons',
  'error',
] as const;
export type AddedColumn = (typeof ADDED_COLUMNS)[number];

export const ROW_STATUSES = ['screened', 'partial', 'invalid', 'not_screened'] as const;
export type RowStatus = (typeof ROW_STATUSES)[number];

export interface RowContext {
  /** The batch's status when the report runs: names why a question has no result. */
  batchStatus: BatchStatus;
  profile: Profile;
  rubric: Rubric;
}

export function resultRow(record: PhoneRecord, questions: readonly RowQuestion[], context: RowContext): Record<AddedColumn, string> {
  const { batchStatus } = context;
  const row = Object.fromEntries(ADDED_COLUMNS.map((column) => [column, ''])) as Record<AddedColumn, string>;
  row.mobile = record.mobile ?? '';
  row.carrier = record.carrier ?? '';
  row.number_kind = record.kind ?? '';
  if (!record.mobile) {
    row.row_status = 'invalid';
    const reason = record.reason && record.reason !== 'duplicate' ? record.reason : null;
    row.error = reason ? `invalid number (${reason}): ${INVALID_REASONS[reason]}` : 'invalid number';
    return row;
  }
  if (record.date) row.resale_date = record.date;
  const errors: string[] = [];
  let answered = 0;
  for (const { api, result } of questions) {
    const cells = cellsFor(api);
    if (!result) {
      row[cells.code] = 'not_asked';
      errors.push(`${api} not_asked: not asked (the batch was ${batchStatus})`);
      continue;
    }
    switch (result.kind) {
      case 'answered':
        answered++;
        fillSignals(row, result.signals);
        break;
      case 'no_record':
        answered++;
        row[cells.value] = 'no_record';
        row[cells.code] = String(result.juheCode);
        break;
      case 'failed':
        row[cells.value] = 'failed';
        row[cells.code] = result.juheCode === null ? result.code : String(result.juheCode);
        errors.push(`${api} ${row[cells.code]}: ${result.reason}`);
        break;
      case 'skipped':
        row[cells.value] = 'skipped';
        row[cells.code] = result.why;
        errors.push(`${api} ${result.why}: not asked, ${SKIP_REASONS[result.why]}`);
        break;
      case 'decided':
        // Not a gap (staged plan): no answer could change the level, so the row is
        // screened; the value cells stay empty and the code says why, the reasons say by what.
        answered++;
        row[cells.code] = 'decided';
        break;
    }
  }
  row.row_status = questions.length === 0 ? 'not_screened' : answered === questions.length ? 'screened' : answered > 0 ? 'partial' : 'not_screened';
  if (questions.length === 0) errors.push('no API of the profile applies to this number');
  row.error = errors.join('; ');
  const risk = assessRisk(riskInputOf(record, questions, context.profile, batchStatus), context.rubric);
  row.risk_score = String(risk.score);
  row.risk_level = risk.level;
  row.risk_confidence = risk.confidence.toFixed(2);
  row.risk_reasons = reasonsText(risk.reasons);
  return row;
}

function cellsFor(api: ApiId): { value: AddedColumn; code: AddedColumn } {
  switch (api) {
    case 'status':
      return { value: 'line_status', code: 'line_status_code' };
    case 'tenure':
    case 'tenureCmcc':
      return { value: 'tenure', code: 'tenure_code' };
    case 'resale':
      return { value: 'resale', code: 'resale_code' };
    case 'callDuration':
      return { value: 'calling_minutes', code: 'calling_code' };
  }
}

function fillSignals(row: Record<AddedColumn, string>, signals: Signals): void {
  if (signals.lineStatus) {
    row.line_status = signals.lineStatus.value;
    row.line_status_code = signals.lineStatus.raw;
  }
  if (signals.tenure) {
    row.tenure = signals.tenure.value;
    row.tenure_code = signals.tenure.raw;
  }
  if (signals.resale) {
    row.resale = signals.resale.value;
    row.resale_code = signals.resale.raw;
  }
  if (signals.callMinutes) {
    row.calling_minutes = signals.callMinutes.calling.label;
    row.calling_code = signals.callMinutes.calling.raw;
    row.called_minutes = signals.callMinutes.called.label;
    row.called_code = signals.callMinutes.called.raw;
  }
  if (signals.location) {
    row.province ||= signals.location.province ?? '';
    row.city ||= signals.location.city ?? '';
  }
}
