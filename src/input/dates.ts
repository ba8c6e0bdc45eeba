/**
 * Dates of the resale check (二次放号: "was this number re-issued since this date?"),
 * read from a row's date column or from the batch default `--since`.
 *
 * Accepted, as ops export them: `yyyymmdd`, `yyyy-mm-dd`, `yyyy/m/d`, `yyyy.m.d`,
 * `yyyy年m月d日`, each optionally followed by a time (`2023-01-05 00:00:00`, as CRMs and
 * Excel write a date-time), and `yyyymmdd.0` (an Excel number). Full-width digits are
 * read as digits. The answer is always `yyyymmdd`, the form the APIs take.
 *
 * Day-first and month-first forms (`05/01/2023`) are refused rather than guessed: the
 * two readings differ and a wrong one silently changes the answer.
 */
import { isCalendarDay } from '../shared/calendar-date.js';

export type DateParse = { ok: true; yyyymmdd: string } | { ok: false };

/** Years outside this range are typos, not registration dates (China's GSM began in 1994). */
const MIN_YEAR = 1900;
const MAX_YEAR = 2099;

const COMPACT = /^(\d{4})(\d{2})(\d{2})(?:\.0+)?$/;
const SEPARATED = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export function parseDate(text: string): DateParse {
  let value = text.trim();
  if (value === '') return { ok: false };
  // Full-width digits and separators (２０２３－０１－０５) are NFKC-equivalent to ASCII.
  if (/[^\x00-\x7f]/.test(value)) value = value.normalize('NFKC');
  const match = COMPACT.exec(value) ?? SEPARATED.exec(value);
  if (!match) return { ok: false };
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < MIN_YEAR || year > MAX_YEAR || !isCalendarDay(year, month, day)) return { ok: false };
  return { ok: true, yyyymmdd: `${year}${pad2(month)}${pad2(day)}` };
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}
