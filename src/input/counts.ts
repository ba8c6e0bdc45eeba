/**
 * The accounting of one input file. Every row is in exactly one of `valid` or `invalid`,
 * and every valid row is either the first of its number (`unique`) or a `duplicates`:
 *
 *     rows = valid + invalid
 *     valid = unique + duplicates
 *     invalid = sum of invalidByReason
 *
 * Carriers and kinds count unique numbers: they describe what will be screened.
 */
import { CARRIERS, type Carrier } from '../phone/carrier.js';
import { NUMBER_KINDS, type NumberKind } from '../phone/prefixes.js';
import { INVALID_REASON_CODES, type InvalidReason } from './normalize.js';

export interface InputCounts {
  /** Data rows: every row that is not the header and not blank. */
  rows: number;
  /** Rows whose phone cell is a valid mobile number, duplicates included. */
  valid: number;
  /** Rows whose phone cell is refused (empty included). */
  invalid: number;
  invalidByReason: Record<InvalidReason, number>;
  /** Valid rows whose number appeared on an earlier row. */
  duplicates: number;
  /** Distinct valid numbers. */
  unique: number;
  /** Unique numbers by carrier of their prefix (a prior: numbers can be ported). */
  byCarrier: Record<Carrier, number>;
  /** Unique numbers by kind of number. */
  byKind: Record<NumberKind, number>;
  /** Rows that have a date (their own, or the batch default). */
  withDate: number;
  /** Rows whose date cell could not be read as a date (the row is still screened). */
  dateWarnings: number;
  /** Lines (or sheet rows) with nothing in them: not rows, counted so the totals add up. */
  blankLines: number;
}

export function emptyCounts(): InputCounts {
  return {
    rows: 0,
    valid: 0,
    invalid: 0,
    invalidByReason: zeroes(INVALID_REASON_CODES),
    duplicates: 0,
    unique: 0,
    byCarrier: zeroes(CARRIERS),
    byKind: zeroes(NUMBER_KINDS),
    withDate: 0,
    dateWarnings: 0,
    blankLines: 0,
  };
}

export function copyCounts(counts: InputCounts): InputCounts {
  return {
    ...counts,
    invalidByReason: { ...counts.invalidByReason },
    byCarrier: { ...counts.byCarrier },
    byKind: { ...counts.byKind },
  };
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}
