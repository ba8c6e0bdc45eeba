/**
 * One output record per input row: the row as read, its cleaned number, its date, and
 * what will happen to it (screened, answered by an earlier row, or refused and why).
 */
import type { Carrier } from '../phone/carrier.js';
import type { NumberKind } from '../phone/prefixes.js';
import { emptyCounts, type InputCounts } from './counts.js';
import { parseDate } from './dates.js';
import { MobileIndex } from './dedupe.js';
import { normalizeMobile, type InvalidReason } from './normalize.js';
import type { RawRow } from './rows.js';

/**
 * - `valid`: the first row with this number; it will be screened.
 * - `duplicate`: the number was on an earlier row (`firstIndex`); it shares that answer.
 * - `invalid`: the phone cell is refused (`reason`); it will not be screened.
 */
export type RecordStatus = 'valid' | 'duplicate' | 'invalid';

/** Why a row will not be screened on its own. */
export type SkipReason = InvalidReason | 'duplicate';

/** The date cell held something that is not a date. The row is screened all the same. */
export type DateWarning = 'bad_date';

export interface PhoneRecord {
  /** 0-based position among the data rows (header and blank lines excluded). */
  index: number;
  /** 1-based physical line where the row starts (CSV/TXT), or the sheet row number (XLSX). */
  line: number;
  /** The fields exactly as decoded. */
  fields: string[];
  /** 11 digits, or null when invalid. Set for duplicates too. */
  mobile: string | null;
  /** Carrier of the prefix (a prior: the number may have been ported), or null. */
  carrier: Carrier | null;
  kind: NumberKind | null;
  /** yyyymmdd: the row's date cell, else the batch `since`, else null. */
  date: string | null;
  dateWarning: DateWarning | null;
  status: RecordStatus;
  /** Null when the row will be screened. */
  reason: SkipReason | null;
  /** For duplicates: the `index` of the row where the number first appeared. */
  firstIndex: number | null;
}

export interface RecordBuilderOptions {
  /** 0-based. */
  phoneColumn: number;
  dateColumn: number | null;
  since: string | null;
}

export class RecordBuilder {
  readonly counts: InputCounts = emptyCounts();
  private readonly seen = new MobileIndex(1 << 16);
  private readonly phoneColumn: number;
  private readonly dateColumn: number | null;
  private readonly since: string | null;
  /** Date cells already read: yyyymmdd, or null for a cell that is not a date. */
  private readonly dates = new Map<string, string | null>();

  constructor(options: RecordBuilderOptions) {
    this.phoneColumn = options.phoneColumn;
    this.dateColumn = options.dateColumn;
    this.since = options.since;
  }

  build(row: RawRow): PhoneRecord {
    const counts = this.counts;
    const index = counts.rows++;
    // The date, inline rather than through an object per row: this runs a million times.
    let date = this.since;
    let dateWarning: DateWarning | null = null;
    if (this.dateColumn !== null) {
      const cell = row.fields[this.dateColumn] ?? '';
      if (cell.trim() !== '') {
        const parsed = this.parseDateCell(cell);
        // A bad date is not a bad number: fall back to the batch default and say so.
        if (parsed === null) dateWarning = 'bad_date';
        else date = parsed;
      }
    }
    if (date !== null) counts.withDate++;
    if (dateWarning !== null) counts.dateWarnings++;

    const check = normalizeMobile(row.fields[this.phoneColumn] ?? '');
    if (!check.ok) {
      counts.invalid++;
      counts.invalidByReason[check.reason]++;
      return {
        index,
        line: row.line,
        fields: row.fields,
        mobile: null,
        carrier: null,
        kind: null,
        date,
        dateWarning,
        status: 'invalid',
        reason: check.reason,
        firstIndex: null,
      };
    }

    counts.valid++;
    const first = this.seen.claim(Number(check.mobile), index);
    const duplicate = first !== -1;
    if (duplicate) {
      counts.duplicates++;
    } else {
      counts.unique++;
      counts.byCarrier[check.carrier]++;
      counts.byKind[check.kind]++;
    }
    return {
      index,
      line: row.line,
      fields: row.fields,
      mobile: check.mobile,
      carrier: check.carrier,
      kind: check.kind,
      date,
      dateWarning,
      status: duplicate ? 'duplicate' : 'valid',
      reason: duplicate ? 'duplicate' : null,
      firstIndex: duplicate ? first : null,
    };
  }

  /**
   * `parseDate` of a date cell: yyyymmdd, or null when it is not a date. A list holds
   * few distinct dates (registration days) over many rows, so the answers for short cells
   * are kept, up to DATE_CELLS_KEPT of them (then started afresh): a Map lookup instead of
   * two regular expressions and a new string per row.
   */
  private parseDateCell(cell: string): string | null {
    if (cell.length > DATE_CELL_KEPT_LENGTH) return dateOrNull(cell);
    const known = this.dates.get(cell);
    if (known !== undefined) return known;
    const date = dateOrNull(cell);
    if (this.dates.size >= DATE_CELLS_KEPT) this.dates.clear();
    this.dates.set(cell, date);
    return date;
  }
}

/** Date cells whose reading is kept (see `parseDateCell`), and their longest: 4096 of 40 characters at most. */
const DATE_CELLS_KEPT = 4096;
const DATE_CELL_KEPT_LENGTH = 40;

function dateOrNull(cell: string): string | null {
  const parsed = parseDate(cell);
  return parsed.ok ? parsed.yyyymmdd : null;
}
