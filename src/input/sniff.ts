/**
 * Guessing the field delimiter of a CSV/TXT file from the start of its text.
 *
 * Each candidate (comma, tab, semicolon, pipe) is counted on each non-blank line,
 * outside quotes. A real delimiter appears on (nearly) every line, the same number of
 * times; a comma in a notes column does not. The score adds both: the share of lines
 * where the candidate appears and the share where it appears its most common number of
 * times. Below half the lines, a candidate is not a delimiter, and a file where no
 * candidate qualifies is one field per line (a TXT list of numbers).
 */
import { DELIMITERS, type Delimiter } from './options.js';

/** Enough lines to be sure, few enough to be instant. */
const SNIFF_LINES = 1000;

export function sniffDelimiter(text: string, complete: boolean): Delimiter | 'none' {
  const counts = countPerLine(text, complete);
  if (counts.length === 0) return 'none';
  const scores = DELIMITERS.map((_, candidate) => {
    const perLine = counts.map((line) => line[candidate]!);
    const present = perLine.filter((count) => count > 0).length / perLine.length;
    if (present < 0.5) return { present, score: 0 };
    return { present, score: present + mostCommonPositiveShare(perLine) };
  });
  let best = -1;
  scores.forEach(({ score }, candidate) => {
    // Ties keep the earlier candidate: comma, then tab, semicolon, pipe...
    if (score > 0 && (best === -1 || score > scores[best]!.score)) best = candidate;
  });
  if (best === -1) return 'none';
  // ...except comma against tab on every line: a tab is never typed inside a value, a
  // comma is (addresses, "Wang, Wei"), so tab-separated text with commas in it is TSV.
  const tab = DELIMITERS.indexOf('\t');
  if (DELIMITERS[best] === ',' && scores[tab]!.present === 1 && scores[tab]!.score === scores[best]!.score) return '\t';
  return DELIMITERS[best]!;
}

/**
 * Per non-blank line, how often each candidate appears outside quoted fields. A quote
 * opens a quoted field only at the start of a field (the start of a line, or after a
 * candidate), and only if a closing quote follows it, itself followed by a candidate or
 * a line end; any other quote is text. That is more forgiving than the reader (csv-parse,
 * csv-rows.ts), where a stray opening quote runs on to the next quote: here it does not
 * hide the delimiters of the lines below, so one stray quote in the sample does not
 * change the delimiter found.
 */
function countPerLine(text: string, complete: boolean): number[][] {
  const lines: number[][] = [];
  let current = [0, 0, 0, 0];
  let nonBlank = false;
  let fieldStart = true;
  for (let i = 0; i < text.length && lines.length < SNIFF_LINES; i++) {
    const char = text[i]!;
    if (char === '"' && fieldStart) {
      const closing = closingQuote(text, i);
      if (closing !== -1) {
        nonBlank = true;
        fieldStart = false;
        i = closing;
        continue;
      }
    }
    if (char === '\n' || char === '\r') {
      if (nonBlank) lines.push(current);
      current = [0, 0, 0, 0];
      nonBlank = false;
      fieldStart = true;
      continue;
    }
    const candidate = (DELIMITERS as readonly string[]).indexOf(char);
    if (candidate !== -1) current[candidate]!++;
    fieldStart = candidate !== -1;
    if (char !== ' ' && char !== '\t') nonBlank = true;
  }
  // The last line of a sample cut short may be cut too: count it only if the file ended.
  if (complete && nonBlank && lines.length < SNIFF_LINES) lines.push(current);
  return lines;
}

/** The quote closing a quoted field opened at `open` (doubled quotes skipped), or -1 if there is none. */
function closingQuote(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return -1;
    const next = text[quote + 1];
    if (next === '"') {
      from = quote + 2;
      continue;
    }
    if (next === undefined || next === '\n' || next === '\r' || (DELIMITERS as readonly string[]).includes(next)) return quote;
    return -1;
  }
}

/** The share of lines holding the most common non-zero count. */
function mostCommonPositiveShare(perLine: number[]): number {
  const frequency = new Map<number, number>();
  let best = 0;
  for (const count of perLine) {
    if (count === 0) continue;
    const seen = (frequency.get(count) ?? 0) + 1;
    frequency.set(count, seen);
    if (seen > best) best = seen;
  }
  return best / perLine.length;
}
