/**
 * One output row's added columns, from the input record and the results of its
 * questions. Pure: the same record and results always give the same cells, whichever
 * engine produced them. The scoring issue adds the risk columns beside these.
 */
import type { PhoneRecord } from '../input/index.js';
import type { ApiId } from '../juhe/catalogue.js';
import type { Signals } from '../juhe/model.js';
import { SKIP_REASONS, type TaskResult } from '../engine/task-result.js';
import type { BatchStatus } from '../engine/batch.js';

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
  'error',
] as const;
export type AddedColumn = (typeof ADDED_COLUMNS)[number];

export const ROW_STATUSES = ['screened', 'partial', 'invalid', 'not_screened'] as const;
export type RowStatus = (typeof ROW_STATUSES)[number];

export interface RowQuestion {
  api: ApiId;
  /** Null when the batch has no result for it (the batch stopped before asking). */
  result: TaskResult | null;
}

export function resultRow(record: PhoneRecord, questions: readonly RowQuestion[], batchStatus: BatchStatus): Record<AddedColumn, string> {
  const row = Object.fromEntries(ADDED_COLUMNS.map((column) => [column, ''])) as Record<AddedColumn, string>;
  row.mobile = record.mobile ?? '';
  row.carrier = record.carrier ?? '';
  row.number_kind = record.kind ?? '';
  if (!record.mobile) {
    row.row_status = 'invalid';
    row.error = `invalid number: ${record.reason ?? 'invalid'}`;
    return row;
  }
  if (record.date) row.resale_date = record.date;
  const errors: string[] = [];
  let answered = 0;
  for (const { api, result } of questions) {
    const cells = cellsFor(api);
    if (!result) {
      row[cells.code] = 'not_asked';
      errors.push(`${api}: not asked (the batch was ${batchStatus})`);
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
        errors.push(`${api}: ${result.reason}`);
        break;
      case 'skipped':
        row[cells.value] = 'skipped';
        row[cells.code] = result.why;
        errors.push(`${api}: not asked, ${SKIP_REASONS[result.why]}`);
        break;
    }
  }
  row.row_status = questions.length === 0 ? 'not_screened' : answered === questions.length ? 'screened' : answered > 0 ? 'partial' : 'not_screened';
  if (questions.length === 0) errors.push('no API of the profile applies to this number');
  row.error = errors.join('; ');
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
