/**
 * The invariant, property-style: every input row comes out as exactly one record, in
 * input order, with its fields exactly as written, its line, and the status, reason,
 * number and date an independent model of the rules expects. 10,000 generated rows per
 * case, with garbage injected: empty cells, stray quotes, full-width digits, duplicates
 * in other spellings, ragged rows, quoted delimiters and line breaks, blank lines,
 * mixed line ends. The generator is seeded, so a failure is reproducible.
 */
import { describe, expect, it } from 'vitest';
import type { InvalidReason } from '../../../src/input/normalize.js';
import type { PhoneRecord } from '../../../src/input/records.js';
import { readAll, useTempDir } from './fixtures.js';

const ROWS = 10_000;

/** mulberry32: small, fast, seeded. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Expected {
  fields: string[];
  line: number;
  mobile: string | null;
  status: PhoneRecord['status'];
  reason: PhoneRecord['reason'];
  firstIndex: number | null;
  date: string | null;
  dateWarning: 'bad_date' | null;
}

const PREFIXES = ['138', '186', '133', '192', '150', '177', '199', '166', '1703', '147'];
const GARBAGE: readonly [string, InvalidReason][] = [
  ['', 'empty'],
  ['   ', 'empty'],
  ['1.38001E+10', 'scientific_notation'],
  ['n/a', 'letters'],
  ['12345', 'too_short'],
  ['138001380001', 'too_long'],
  ['010-12345678', 'landline'],
  ['13800138000/13900139000', 'multiple_numbers'],
  ['138****8000', 'masked'],
  ['23800138000', 'unallocated_prefix'],
];
const NAMES = ['张三', '李四', 'O"Brien', 'Wang, Wei', 'two\nlines', 'tab\there', '', '王五"', '  spaced  ', 'semi;colon', 'pipe|name'];
const FULL_WIDTH = (digits: string) => digits.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));

function spell(mobile: string, pick: () => number): string {
  const style = Math.floor(pick() * 8);
  switch (style) {
    case 0:
      return `${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}`;
    case 1:
      return `${mobile.slice(0, 3)}-${mobile.slice(3, 7)}-${mobile.slice(7)}`;
    case 2:
      return `+86 ${mobile}`;
    case 3:
      return FULL_WIDTH(mobile);
    case 4:
      return `${mobile.slice(0, 5)}"${mobile.slice(5)}`; // a stray quote
    case 5:
      return `${mobile}.0`;
    default:
      return mobile;
  }
}

function generate(seed: number, delimiter: string): { text: string; expected: Expected[]; blankLines: number } {
  const pick = random(seed);
  const lines: string[] = [];
  const expected: Expected[] = [];
  const firstSeen = new Map<string, number>();
  const issued: string[] = [];
  let line = 1;
  let blankLines = 0;

  const quote = (field: string): string => {
    const needs = field.includes(delimiter) || /[\r\n]/.test(field) || field.startsWith('"') || pick() < 0.05;
    return needs ? `"${field.replace(/"/g, '""')}"` : field;
  };
  const emit = (fields: string[]): void => {
    const eol = pick() < 0.5 ? '\n' : '\r\n';
    lines.push(fields.map(quote).join(delimiter) + eol);
    const breaks = fields.join('').match(/\r\n|\r|\n/g)?.length ?? 0;
    line += 1 + breaks;
  };

  emit(['id', 'name', '手机号', '注册日期']);
  for (let index = 0; index < ROWS; index++) {
    if (pick() < 0.03) {
      lines.push(pick() < 0.5 ? '\n' : `${delimiter}${delimiter}\r\n`);
      line++;
      blankLines++;
    }
    const id = `R${String(index).padStart(5, '0')}`;
    const name = NAMES[Math.floor(pick() * NAMES.length)]!;

    let phone: string;
    let mobile: string | null = null;
    let reason: InvalidReason | null = null;
    const roll = pick();
    if (roll < 0.12) {
      const [text, why] = GARBAGE[Math.floor(pick() * GARBAGE.length)]!;
      phone = text;
      reason = why;
    } else if (roll < 0.27 && issued.length > 0) {
      mobile = issued[Math.floor(pick() * issued.length)]!;
      phone = spell(mobile, pick);
    } else {
      const prefix = PREFIXES[Math.floor(pick() * PREFIXES.length)]!;
      mobile = prefix + String(Math.floor(pick() * 10 ** (11 - prefix.length))).padStart(11 - prefix.length, '0');
      issued.push(mobile);
      phone = spell(mobile, pick);
    }

    let date = '';
    let expectedDate: string | null = null;
    let dateWarning: 'bad_date' | null = null;
    const dateRoll = pick();
    if (dateRoll < 0.6) {
      const month = 1 + Math.floor(pick() * 12);
      const day = 1 + Math.floor(pick() * 28);
      date = `2023-${month}-${day}`;
      expectedDate = `2023${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
    } else if (dateRoll < 0.7) {
      date = 'unknown';
      dateWarning = 'bad_date';
    }

    // Ragged rows: a short row has no date field at all.
    const fields = dateRoll > 0.9 && date === '' ? [id, name, phone] : [id, name, phone, date];
    // An all-empty date cell still leaves the id: never a blank row.
    let status: PhoneRecord['status'] = 'invalid';
    let firstIndex: number | null = null;
    if (mobile !== null) {
      const first = firstSeen.get(mobile);
      if (first === undefined) {
        firstSeen.set(mobile, index);
        status = 'valid';
      } else {
        status = 'duplicate';
        firstIndex = first;
      }
    }
    expected.push({
      fields,
      line,
      mobile,
      status,
      reason: status === 'duplicate' ? 'duplicate' : reason,
      firstIndex,
      date: expectedDate,
      dateWarning,
    });
    emit(fields);
  }
  return { text: lines.join(''), expected, blankLines };
}

describe('every row comes out, in order, once, as written', () => {
  const dir = useTempDir();

  it.each([
    [1, ',', 'utf-8', false],
    [2, '\t', 'utf-16le', true],
    [3, ';', 'gb18030', false],
    [4, '|', 'utf-8', true],
  ])('seed %i, delimiter %j, %s (BOM %s)', async (seed, delimiter, encoding, bom) => {
    const { text, expected, blankLines } = generate(seed, delimiter);
    const file = await dir.text(`generated-${seed}.csv`, text, encoding, bom);
    const { layout, records, counts } = await readAll(file);

    expect(layout).toMatchObject({ delimiter, headerLine: 1, phoneColumn: { index: 2 }, dateColumn: { index: 3 } });
    expect(records).toHaveLength(ROWS);
    const mismatches: string[] = [];
    records.forEach((record, i) => {
      const want = expected[i]!;
      const got = {
        fields: record.fields,
        line: record.line,
        mobile: record.mobile,
        status: record.status,
        reason: record.reason,
        firstIndex: record.firstIndex,
        date: record.date,
        dateWarning: record.dateWarning,
      };
      if (record.index !== i) mismatches.push(`record ${i} has index ${record.index}`);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches.push(`row ${i}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      }
    });
    expect(mismatches.slice(0, 5)).toEqual([]);

    // The accounting adds up, and matches the model.
    const invalid = expected.filter((row) => row.status === 'invalid').length;
    const duplicates = expected.filter((row) => row.status === 'duplicate').length;
    expect(counts.rows).toBe(ROWS);
    expect(counts.invalid).toBe(invalid);
    expect(counts.duplicates).toBe(duplicates);
    expect(counts.valid).toBe(ROWS - invalid);
    expect(counts.unique).toBe(counts.valid - counts.duplicates);
    expect(Object.values(counts.invalidByReason).reduce((a, b) => a + b, 0)).toBe(counts.invalid);
    expect(Object.values(counts.byCarrier).reduce((a, b) => a + b, 0)).toBe(counts.unique);
    expect(Object.values(counts.byKind).reduce((a, b) => a + b, 0)).toBe(counts.unique);
    expect(counts.dateWarnings).toBe(expected.filter((row) => row.dateWarning).length);
    expect(counts.blankLines).toBe(blankLines);
    // Enough of each kind of garbage was injected for the test to mean something.
    expect(invalid).toBeGreaterThan(800);
    expect(duplicates).toBeGreaterThan(800);
    expect(counts.invalidByReason.empty).toBeGreaterThan(100);
  });
});
