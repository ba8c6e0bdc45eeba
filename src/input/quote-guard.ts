/**
 * The guard against a stray opening quote swallowing rows (see "Quoting" in
 * docs/input.md).
 *
 * csv-parse reads a field that starts with `"` as quoted up to the next quote followed by
 * the delimiter or a line end, whatever lies between: in `13800138000,"Li,x` /
 * `18612345678,"Zhao",y` the second line becomes part of the first row's name field, and
 * its number is neither screened nor counted. Nothing in the syntax tells that from a
 * legitimate cell with line breaks (a note), so the guard looks at what the lines inside
 * the field hold: a line that reads like a row of this file means rows are being
 * swallowed, and the file is refused rather than read with rows missing.
 *
 * It only runs on a field holding a line break, which with a delimiter is a quoted
 * field (an unquoted line break ends the record); most files have none, so a read pays
 * nothing for it. With no delimiter (a TXT list) quotes are plain text and no field holds
 * a line break.
 *
 * The rule, for every line of such a field after its first (the first is the rest of the
 * line the quote opens on, the last ends at the closing quote); `width` is the number of
 * fields of the file's first row (its header, when it has one):
 * 1. it holds at least max(1, width - 2) delimiters inside the field (a row of this file
 *    has width - 1; one less allows for a short row and for the last line, whose rest
 *    comes after the closing quote), or
 * 2. one of its parts between delimiters is a valid mobile number (`normalizeMobile`),
 *    and the line as written holds a delimiter: inside the field, or, on the field's last
 *    line, the one after the closing quote when the row goes on. In a file whose first
 *    row is a single field, the number alone is enough (a row there can be just a number).
 *
 * A note whose inner line is a number alone, with no delimiter on that line, passes: rows
 * of this file have delimiters, and a line without one is no row of it.
 */
import { normalizeMobile } from './normalize.js';
import type { Delimiter } from './options.js';

/** An inner line of a field that reads like a row of the file, and why. */
export interface SwallowedRow {
  /** Lines after the field's first line: 1 is the field's second line. */
  offset: number;
  /** Line breaks in the whole field: the field ends `breaks` lines below its first. */
  breaks: number;
  /** `mobile`: rule 2; `delimiters`: rule 1, with the count. */
  why: { kind: 'mobile' } | { kind: 'delimiters'; count: number };
}

export interface QuoteGuardContext {
  delimiter: Delimiter;
  /** Fields of the file's first row (the header, when there is one). */
  width: number;
  /** Whether the record goes on after this field (a delimiter follows its closing quote). */
  fieldsAfter: boolean;
}

/** Digits a line must hold before its parts are checked for a mobile number (11, full-width ones too). */
const MOBILE_DIGITS = 11;

/**
 * The first line of `field` after its first that reads like a row of the file (the rule
 * above), or null. `field` holds at least one line break (the caller checked).
 */
export function findSwallowedRow(field: string, context: QuoteGuardContext): SwallowedRow | null {
  const delimiter = context.delimiter.charCodeAt(0);
  const enough = Math.max(1, context.width - 2);
  const numberAlone = context.width <= 1;
  let found: Omit<SwallowedRow, 'breaks'> | null = null;
  let offset = 0;
  let start = 0;
  let delimiters = 0;
  let digits = 0;
  const length = field.length;
  for (let i = 0; i <= length; i++) {
    const code = i < length ? field.charCodeAt(i) : -1;
    const lineEnd = code === 0x0a || code === 0x0d || code === -1;
    if (!lineEnd) {
      if (code === delimiter) delimiters++;
      else if ((code >= 0x30 && code <= 0x39) || (code >= 0xff10 && code <= 0xff19)) digits++;
      continue;
    }
    if (found === null && offset > 0) {
      const last = code === -1;
      if (
        digits >= MOBILE_DIGITS &&
        (numberAlone || delimiters > 0 || (last && context.fieldsAfter)) &&
        holdsMobile(field.slice(start, i), context.delimiter)
      ) {
        found = { offset, why: { kind: 'mobile' } };
      } else if (delimiters >= enough) {
        found = { offset, why: { kind: 'delimiters', count: delimiters } };
      }
    }
    if (code === -1) break;
    // CRLF is one line end.
    if (code === 0x0d && field.charCodeAt(i + 1) === 0x0a) i++;
    offset++;
    start = i + 1;
    delimiters = 0;
    digits = 0;
  }
  return found === null ? null : { ...found, breaks: offset };
}

const LETTER = /\p{L}/u;

/** Whether one of the parts of `line` between delimiters is a valid mobile number. */
function holdsMobile(line: string, delimiter: Delimiter): boolean {
  for (const part of line.split(delimiter)) {
    // Shortcuts for notes: fewer than 11 characters cannot hold 11 digits, and a letter
    // (Han characters included) makes normalizeMobile refuse the part (`letters`) after
    // its costlier cleaning.
    if (part.length < MOBILE_DIGITS || LETTER.test(part)) continue;
    if (normalizeMobile(part).ok) return true;
  }
  return false;
}
