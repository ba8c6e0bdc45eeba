/**
 * Rows and columns of a result for the format writers' tests: the same fixtures for
 * JSON Lines and Parquet (and whatever format comes next).
 */
import { resultColumns, type ResultColumn } from '../../src/report/result-columns.js';
import { ADDED_COLUMNS } from '../../src/report/result-row.js';
import type { ResultFacts } from '../../src/report/result-sink.js';

export const FACTS = { manifest: { batch: { id: 'b20261122-101500-a1b2' } }, rubric: null } as unknown as ResultFacts;

/** A result's columns: the input's, then the added ones (`mobile_hash` after `mobile` with mask, `change` last with compare). */
export function columnsFor(input: readonly string[], { mask = false, compare = false } = {}): ResultColumn[] {
  const added: string[] = [...ADDED_COLUMNS];
  if (mask) added.splice(1, 0, 'mobile_hash');
  if (compare) added.push('change');
  return resultColumns([...input, ...added], input.length);
}

/** A row aligned with `columns`: the input cells, then the added cells by name (missing ones empty). */
export function rowFor(columns: readonly ResultColumn[], input: readonly string[], added: Record<string, string>): string[] {
  return columns.map((column) => (column.origin === 'input' ? input[column.index]! : (added[column.name] ?? '')));
}

export const SCREENED: Record<string, string> = {
  mobile: '13800138000',
  row_status: 'screened',
  carrier: 'cmcc',
  number_kind: 'mobile',
  line_status: 'normal',
  line_status_code: '0',
  tenure: '24+',
  tenure_code: '04',
  resale: 'not_recycled',
  resale_code: '2',
  resale_date: '20240131',
  province: '北京',
  city: '北京',
  risk_score: '73',
  risk_level: 'high',
  risk_confidence: '0.80',
  risk_reasons: 'tenure <= 3 months (+30); MVNO number (+10)',
};
export const INVALID: Record<string, string> = { row_status: 'invalid', error: 'invalid number (landline): a landline number (starts with an area code 0)' };

