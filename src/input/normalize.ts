/**
 * Cleaning one phone cell into an 11-digit mainland mobile number, or refusing it
 * with a stable reason.
 *
 * Cleaned without asking: full-width characters (１３８…), spaces and invisible
 * characters, dashes, dots, slashes, commas used as thousands separators, parentheses,
 * quotes and Excel's text wrappers (`="138…"`, a leading `'`), a country code `+86`,
 * `0086` or `86`, and the trailing `.0` Excel adds when a number is saved as a float.
 *
 * Refused, because the digits cannot be trusted: Excel scientific notation (the last
 * digits are already gone), masked numbers, two numbers in one cell, letters, other
 * country codes, landlines, wrong lengths, and prefixes no carrier was allocated.
 */
import type { Carrier } from '../phone/carrier.js';
import { lookupPrefix, type NumberKind } from '../phone/prefixes.js';

/** Stable reason codes with their plain-English meaning, for reports and docs. */
export const INVALID_REASONS = {
  empty: 'the phone cell is empty',
  scientific_notation: 'Excel scientific notation (like 1.38001E+10): the last digits are lost',
  masked: 'the number is masked (like 138****1234): digits are hidden',
  decimal: 'a decimal number (like 13800138000.5), not a phone number',
  multiple_numbers: 'more than one number in the cell',
  letters: 'contains letters or words',
  invalid_characters: 'contains characters that are neither digits nor separators',
  foreign: 'a country code other than +86',
  landline: 'a landline number (starts with an area code 0)',
  too_short: 'fewer than 11 digits',
  too_long: 'more than 11 digits',
  unallocated_prefix: 'the prefix is not allocated to any mainland carrier',
} as const;

export type InvalidReason = keyof typeof INVALID_REASONS;
export const INVALID_REASON_CODES = Object.keys(INVALID_REASONS) as InvalidReason[];

export type MobileCheck =
  | { ok: true; mobile: string; carrier: Carrier; kind: NumberKind }
  | { ok: false; reason: InvalidReason };

const NON_ASCII = /[^\x00-\x7f]/;
/** Zero-width spaces and joiners, word joiner, BOM: invisible, pasted in from web pages. */
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/g;
/** `="13800138000"`: how Excel users keep a number as text in a CSV. */
const EXCEL_TEXT_FORMULA = /^=\s*"(.*)"$/s;
const QUOTES = /["'`\u2018\u2019\u201c\u201d]/g;
/** 1.38001E+10, 1,38001E+10 (a decimal comma), 1E10. */
const SCIENTIFIC = /^[+-]?\d+(?:[.,]\d+)?e[+-]?\d+$/i;
/** 138****1234, or the same with letters x in place of the stars. */
const MASKED = /\*|\d[xX]{2,}\d/;
/** 13800138000.0 or +8613800138000.00: a number Excel wrote as a float. */
const EXCEL_FLOAT = /^(\+?\d+)\.0+$/;
/** 13800138000.5: a fraction is not phone formatting (dotted phones end in groups of 3 or 4). */
const DECIMAL = /^\+?\d+\.\d{1,2}$/;
/** Characters that separate two numbers written in one cell (spaces too: `13800138000 13900139000`). */
const LIST_SEPARATORS = /[\s,;|/\\、]+/;
/** Formatting between digits: spaces, dashes, dots, parentheses, commas, slashes, underscores. */
const FORMATTING = /[\s\-\u2010-\u2015.()[\]/\\_,]/g;
const LETTER = /\p{L}/u;
const DIGITS_ONLY = /^\d+$/;

export function normalizeMobile(raw: string): MobileCheck {
  // The common case by far: already 11 plain digits. Checked without regexes so a
  // million-row file costs a prefix lookup per row and little else.
  if (raw.length === 11 && isPlainDigits(raw)) return checkAllocation(raw);

  let text = raw;
  // NFKC maps full-width digits, ＋, －, （）, ． and the ideographic space to ASCII.
  if (NON_ASCII.test(text)) text = text.normalize('NFKC').replace(INVISIBLE, '');
  text = text.trim();
  const formula = EXCEL_TEXT_FORMULA.exec(text);
  if (formula) text = (formula[1] ?? '').trim();
  text = text.replace(QUOTES, '').trim();
  if (text === '') return refuse('empty');

  const unspaced = text.replace(/\s+/g, '');
  if (SCIENTIFIC.test(unspaced)) return refuse('scientific_notation');
  if (MASKED.test(text)) return refuse('masked');
  // Before the .0 rule, which reads the cell without its spaces: `138 0013 8000.0`.
  if (countNumbers(text) >= 2) return refuse('multiple_numbers');
  const float = EXCEL_FLOAT.exec(unspaced);
  if (float) text = float[1] ?? text;
  else if (DECIMAL.test(unspaced)) return refuse('decimal');

  let compact = text.replace(FORMATTING, '');
  if (LETTER.test(compact)) return refuse('letters');
  const plus = compact.startsWith('+');
  if (plus) compact = compact.slice(1);
  if (!DIGITS_ONLY.test(compact)) return refuse(compact === '' ? 'empty' : 'invalid_characters');

  let digits = compact;
  let countryCode = true;
  if (plus) {
    if (!digits.startsWith('86')) return refuse('foreign');
    digits = digits.slice(2);
  } else if (digits.startsWith('0086')) {
    digits = digits.slice(4);
  } else if (digits.startsWith('00')) {
    // 00 is the international call prefix: 001..., 00852..., not a mainland number.
    return refuse('foreign');
  } else if (digits.length === 13 && digits.startsWith('861')) {
    digits = digits.slice(2);
  } else {
    countryCode = false;
  }
  if (digits.startsWith('0')) return refuse('landline');
  // After +86 an area code drops its 0: +86 10 1234 5678 is Beijing, +86 21 ... Shanghai.
  // Mobile numbers start 13-19, never 10 or 2-9.
  if (countryCode && digits !== '' && (!digits.startsWith('1') || digits.startsWith('10'))) return refuse('landline');
  if (digits.length < 11) return refuse('too_short');
  if (digits.length > 11) return refuse('too_long');
  return checkAllocation(digits);
}

function checkAllocation(digits: string): MobileCheck {
  const info = digits.charCodeAt(0) === 0x31 ? lookupPrefix(digits) : undefined;
  if (!info) return refuse('unallocated_prefix');
  return { ok: true, mobile: digits, carrier: info.carrier, kind: info.kind };
}

function isPlainDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/** How many parts of the cell, split at list separators, hold a number's worth of digits. */
function countNumbers(text: string): number {
  if (!LIST_SEPARATORS.test(text)) return 1;
  let numbers = 0;
  for (const part of text.split(LIST_SEPARATORS)) {
    if (part.replace(/\D/g, '').length >= 7) numbers++;
  }
  return numbers;
}

const REFUSALS = Object.fromEntries(
  INVALID_REASON_CODES.map((reason) => [reason, Object.freeze({ ok: false as const, reason })]),
) as unknown as Record<InvalidReason, { ok: false; reason: InvalidReason }>;

function refuse(reason: InvalidReason): MobileCheck {
  // Shared frozen answers: a file full of empty cells allocates nothing per row.
  return REFUSALS[reason];
}
