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
  let best: Delimiter | 'none' = 'none';
  let bestScore = 0;
  DELIMITERS.forEach((delimiter, candidate) => {
    const perLine = counts.map((line) => line[candidate]!);
    const present = perLine.filter((count) => count > 0).length / perLine.length;
    if (present < 0.5) return;
    const consistent = mostCommonPositiveShare(perLine);
    const score = present + consistent;
    // Ties keep the earlier candidate: comma, then tab, semicolon, pipe.
    if (score > bestScore) {
      best = delimiter;
      bestScore = score;
    }
  });
  return best;
}

/** Per non-blank line, how often each candidate appears outside double quotes. */
function countPerLine(text: string, complete: boolean): number[][] {
  const lines: number[][] = [];
  let current = [0, 0, 0, 0];
  let nonBlank = false;
  let quoted = false;
  for (let i = 0; i < text.length && lines.length < SNIFF_LINES; i++) {
    const char = text[i]!;
    if (char === '"') {
      // Doubled quotes inside a quoted field toggle twice and change nothing.
      quoted = !quoted;
      nonBlank = true;
      continue;
    }
    if (!quoted && (char === '\n' || char === '\r')) {
      if (nonBlank) lines.push(current);
      current = [0, 0, 0, 0];
      nonBlank = false;
      continue;
    }
    if (quoted) continue;
    const candidate = (DELIMITERS as readonly string[]).indexOf(char);
    if (candidate !== -1) current[candidate]!++;
    if (char !== ' ' && char !== '\t') nonBlank = true;
  }
  // The last line of a sample cut short may be cut too: count it only if the file ended.
  if (complete && nonBlank && lines.length < SNIFF_LINES) lines.push(current);
  return lines;
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
