/**
 * The invariant, property-style: every input row comes out as exactly one record, in
 * input order, with its fields exactly as written, its line, and the status, reason,
 * number and date an independent model of the rules expects. 10,000 generated rows per
 * case, with garbage injected: empty cells, stray quotes (inside fields, and opening
 * quotes at the start of fields closed by a quote followed by text), full-width digits,
 * duplicates in other spellings, ragged rows, quoted delimiters and line breaks, blank
 * lines, mixed line ends. With a header row, and without one (the header and columns detected against
 * the messy rows). The generator is seeded, so a failure is reproducible.
 */
import { describe, expect, it } from 'vitest';
import type { InvalidReason } from '../../../src/input/normalize.js';
import type { InputCounts } from '../../../src/input/counts.js';
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

interface GenerateOptions {
  /** A header row first (id, name, 手机号, 注册日期); without one the columns are found by content. */
  header: boolean;
  /** The phone cell of the first row, instead of a random one: garbage right where the header would be. */
  firstPhone?: readonly [string, InvalidReason];
}

/**
 * A CSV of ROWS rows. About 2% of the rows get a name starting with a stray quote, written
 * as it is (`"张三"先生`, `"Wang" Jr`): the quote that ends the quoting is followed by text,
 * so the field is its text, quotes and all. Their phone field is quoted, so the quotes
 * after the stray ones are read as quotes again. (An opening quote with no quote after it
 * on its line runs on over the lines below: the file is refused, see delimiters.test.ts.)
 */
function generate(seed: number, delimiter: string, options: GenerateOptions = { header: true }): { text: string; expected: Expected[]; blankLines: number } {
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
  /** `raw`: written as is; `quoted`: always quoted. */
  const emit = (fields: string[], how: { raw?: number; quoted?: number } = {}): void => {
    const eol = pick() < 0.5 ? '\n' : '\r\n';
    const written = fields.map((field, i) =>
      i === how.raw ? field : i === how.quoted ? `"${field.replace(/"/g, '""')}"` : quote(field),
    );
    lines.push(written.join(delimiter) + eol);
    const breaks = fields.join('').match(/\r\n|\r|\n/g)?.length ?? 0;
    line += 1 + breaks;
  };

  if (options.header) emit(['id', 'name', '手机号', '注册日期']);
  for (let index = 0; index < ROWS; index++) {
    if (pick() < 0.03) {
      lines.push(pick() < 0.5 ? '\n' : `${delimiter}${delimiter}\r\n`);
      line++;
      blankLines++;
    }
    const id = `R${String(index).padStart(5, '0')}`;
    let name = NAMES[Math.floor(pick() * NAMES.length)]!;

    const random = phoneCell(pick, issued);
    const { phone, mobile, reason } =
      index === 0 && options.firstPhone ? { phone: options.firstPhone[0], mobile: null, reason: options.firstPhone[1] } : random;

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
    // Without a header there is no date column: dates are not read.
    if (!options.header) {
      expectedDate = null;
      dateWarning = null;
    }

    const stray = phone !== '' && pick() < 0.02;
    if (stray) name = ['"张三"先生', '"李四" (VIP)', '"Wang" Jr'][Math.floor(pick() * 3)]!;

    // Ragged rows: a short row has no date field at all.
    const fields = dateRoll > 0.9 && date === '' ? [id, name, phone] : [id, name, phone, date];
    // An all-empty date cell still leaves the id: never a blank row.
    const { status, firstIndex } = classify(mobile, index, firstSeen);
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
    emit(fields, stray ? { raw: 1, quoted: 2 } : {});
  }
  return { text: lines.join(''), expected, blankLines };
}

/**
 * A TXT list: one number per line, no delimiter, no header. Stray quotes everywhere: an
 * opening one never closed, a closing one never opened, both; the line is its field as
 * written and the number is read through the quotes.
 */
function generateTxt(seed: number): { text: string; expected: Expected[]; blankLines: number } {
  const pick = random(seed);
  const lines: string[] = [];
  const expected: Expected[] = [];
  const firstSeen = new Map<string, number>();
  const issued: string[] = [];
  let line = 1;
  let blankLines = 0;
  let strays = 0;
  for (let index = 0; index < ROWS; index++) {
    if (pick() < 0.03) {
      lines.push(pick() < 0.5 ? '\n' : '   \r\n');
      line++;
      blankLines++;
    }
    // A blank phone would be a blank line, not a row: none here.
    const cell = phoneCell(pick, issued, true);
    let { phone } = cell;
    const roll = pick();
    if (roll < 0.1) phone = `"${phone}`;
    else if (roll < 0.15) phone = `${phone}"`;
    else if (roll < 0.2) phone = `"${phone}"`;
    if (roll < 0.2) strays++;
    const { status, firstIndex } = classify(cell.mobile, index, firstSeen);
    expected.push({
      fields: [phone],
      line,
      mobile: cell.mobile,
      status,
      reason: status === 'duplicate' ? 'duplicate' : cell.reason,
      firstIndex,
      date: null,
      dateWarning: null,
    });
    lines.push(phone + (pick() < 0.5 ? '\n' : '\r\n'));
    line++;
  }
  expect(strays).toBeGreaterThan(1500);
  return { text: lines.join(''), expected, blankLines };
}

function phoneCell(
  pick: () => number,
  issued: string[],
  nonBlank = false,
): { phone: string; mobile: string | null; reason: InvalidReason | null } {
  const roll = pick();
  if (roll < 0.12) {
    const garbage = nonBlank ? GARBAGE.filter(([text]) => text.trim() !== '') : GARBAGE;
    const [phone, reason] = garbage[Math.floor(pick() * garbage.length)]!;
    return { phone, mobile: null, reason };
  }
  if (roll < 0.27 && issued.length > 0) {
    const mobile = issued[Math.floor(pick() * issued.length)]!;
    return { phone: spell(mobile, pick), mobile, reason: null };
  }
  const prefix = PREFIXES[Math.floor(pick() * PREFIXES.length)]!;
  const mobile = prefix + String(Math.floor(pick() * 10 ** (11 - prefix.length))).padStart(11 - prefix.length, '0');
  issued.push(mobile);
  return { phone: spell(mobile, pick), mobile, reason: null };
}

function classify(
  mobile: string | null,
  index: number,
  firstSeen: Map<string, number>,
): { status: PhoneRecord['status']; firstIndex: number | null } {
  if (mobile === null) return { status: 'invalid', firstIndex: null };
  const first = firstSeen.get(mobile);
  if (first === undefined) {
    firstSeen.set(mobile, index);
    return { status: 'valid', firstIndex: null };
  }
  return { status: 'duplicate', firstIndex: first };
}

function compare(records: PhoneRecord[], expected: Expected[]): string[] {
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
  return mismatches.slice(0, 5);
}

function expectAccounting(counts: InputCounts, expected: Expected[], blankLines: number): void {
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
    expect(expected.filter((row) => row.fields[1]?.startsWith('"')).length).toBeGreaterThan(100);
    const file = await dir.text(`generated-${seed}.csv`, text, encoding, bom);
    const { layout, records, counts } = await readAll(file);

    expect(layout).toMatchObject({ delimiter, headerLine: 1, phoneColumn: { index: 2 }, dateColumn: { index: 3 } });
    expect(records).toHaveLength(ROWS);
    expect(compare(records, expected)).toEqual([]);
    expectAccounting(counts, expected, blankLines);
    expect(counts.invalidByReason.empty).toBeGreaterThan(100);
  });

  it.each([
    [5, ',', 'utf-8', undefined],
    [6, '\t', 'gb18030', ['', 'empty']],
    [7, ';', 'utf-16le', ['n/a', 'letters']],
    [10, ',', 'utf-8', ['1.38001E+10', 'scientific_notation']],
  ] as const)('without a header: seed %i, delimiter %j, %s, first phone %j, the columns found by content', async (seed, delimiter, encoding, firstPhone) => {
    const { text, expected, blankLines } = generate(seed, delimiter, { header: false, ...(firstPhone ? { firstPhone } : {}) });
    if (firstPhone) expect(expected[0]).toMatchObject({ reason: firstPhone[1] });
    const file = await dir.text(`generated-headerless-${seed}.csv`, text, encoding, encoding === 'utf-16le');
    const { layout, records, counts } = await readAll(file);

    expect(layout).toMatchObject({
      delimiter,
      header: null,
      headerLine: null,
      phoneColumn: { index: 2, name: null, source: 'content' },
      dateColumn: null,
    });
    expect(records).toHaveLength(ROWS);
    expect(compare(records, expected)).toEqual([]);
    expectAccounting(counts, expected, blankLines);
  });

  it.each([
    [8, 'utf-8'],
    [9, 'gb18030'],
  ])('a TXT list with stray quotes: seed %i, %s', async (seed, encoding) => {
    const { text, expected, blankLines } = generateTxt(seed);
    const file = await dir.text(`generated-${seed}.txt`, text, encoding);
    const { layout, records, counts } = await readAll(file);

    expect(layout).toMatchObject({ delimiter: 'none', header: null, phoneColumn: { index: 0, source: 'content' } });
    expect(records).toHaveLength(ROWS);
    expect(compare(records, expected)).toEqual([]);
    expectAccounting(counts, expected, blankLines);
  });
});
