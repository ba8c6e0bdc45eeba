/**
 * The CSV row reader splits lines without a quote itself and hands the rest to csv-parse
 * (src/input/csv-rows.ts). It must read exactly as csv-parse alone did: the same rows,
 * fields, lines and blank-line counts, each row handed on after the same chunk, and the
 * same errors at the same lines. Checked here against the reader as it was
 * (csv-rows-oracle.ts) on random text cut into random chunks.
 */
import { describe, expect, it } from 'vitest';
import { readCsvRows, type CsvRowOptions } from '../../../src/input/csv-rows.js';
import { InputFileError } from '../../../src/input/errors.js';
import type { Delimiter } from '../../../src/input/options.js';
import type { RawRow, RowStats } from '../../../src/input/rows.js';
import type { InputSource } from '../../../src/input/source.js';
import { readCsvRowsWithCsvParseAlone } from './csv-rows-oracle.js';

type Reader = (source: InputSource, options: CsvRowOptions, stats: RowStats) => AsyncGenerator<RawRow>;

interface Outcome {
  /** Each row with the number of chunks read when it was handed on. */
  rows: Array<{ chunk: number; line: number; fields: string[] }>;
  blankLines: number;
  error: { code: string; line: number | undefined; column: number | undefined; message: string } | null;
}

/** A source that hands on `chunks`, then the end, counting the reads. */
function chunkedSource(chunks: Buffer[]): { source: InputSource; reads: () => number } {
  let next = 0;
  const source = {
    next: async () => (next < chunks.length ? chunks[next++]! : (next++, null)),
  } as unknown as InputSource;
  return { source, reads: () => next };
}

async function outcome(reader: Reader, chunks: Buffer[], delimiter: Delimiter | 'none', maxLineBytes: number): Promise<Outcome> {
  const { source, reads } = chunkedSource(chunks);
  const stats: RowStats = { blankLines: 0 };
  const options: CsvRowOptions = {
    file: 'list.csv',
    encoding: { encoding: 'utf-8', bomLength: 0, source: 'detected' },
    delimiter,
    maxLineBytes,
  };
  const rows: Outcome['rows'] = [];
  try {
    for await (const row of reader(source, options, stats)) rows.push({ chunk: reads(), line: row.line, fields: row.fields });
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    return { rows, blankLines: stats.blankLines, error: { code: error.code, line: error.line, column: error.column, message: error.message } };
  }
  return { rows, blankLines: stats.blankLines, error: null };
}

/** A random generator with a seed, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    state = (state ^ (state >>> 12)) >>> 0;
    return state / 4294967296;
  };
}

const PIECES = [
  '13800138000', '18612345678', 'Li', '张伟', 'a', ' ', '', '1', 'x y',
  ',', ',', ';', '\t', '|',
  '"', '"', '""', '"Li"', '" ', '"\n',
  '\n', '\n', '\r\n', '\r', '\n\n',
];

function randomText(next: () => number, pieces: number): string {
  let text = '';
  for (let i = 0; i < pieces; i++) text += PIECES[Math.floor(next() * PIECES.length)]!;
  return text;
}

/** Lines of a phone list: mostly plain, now and then a quoted field, a note over two lines, a stray quote. */
function listText(next: () => number, lines: number): string {
  let text = '手机号,姓名,备注\n';
  for (let i = 0; i < lines; i++) {
    const roll = next();
    const phone = `1${38 + Math.floor(next() * 50)}${String(Math.floor(next() * 1e8)).padStart(8, '0')}`;
    if (roll < 0.8) text += `${phone},客户${i},备注${i}\n`;
    else if (roll < 0.85) text += `${phone},"Wang, Wei",x\r\n`;
    else if (roll < 0.9) text += `${phone},Li,"called twice\nwill call back"\n`;
    else if (roll < 0.93) text += `${phone},O"Brien,"a ""b"" c"\n`;
    else if (roll < 0.96) text += `\n,,\n`;
    else if (roll < 0.98) text += `${phone},"Li" Wei,y\r`;
    else text += `${phone},"Li,x\n`;
  }
  return text;
}

function cut(bytes: Buffer, next: () => number, maxChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(next() * maxChunk);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

async function expectSameAsCsvParse(bytes: Buffer, chunks: Buffer[], delimiter: Delimiter | 'none', maxLineBytes: number, label: string): Promise<void> {
  const expected = await outcome(readCsvRowsWithCsvParseAlone, chunks, delimiter, maxLineBytes);
  const actual = await outcome(readCsvRows, chunks, delimiter, maxLineBytes);
  expect(actual, `${label}: ${JSON.stringify(bytes.toString('utf8'))} in chunks of ${chunks.map((c) => c.length).join(',')}`).toEqual(expected);
}

describe('CSV rows: plain lines split directly, the rest by csv-parse', () => {
  it('reads random text exactly as csv-parse alone, in any chunking', async () => {
    const next = random(20261206);
    const delimiters: Array<Delimiter | 'none'> = [',', ',', ';', '\t', 'none'];
    for (let round = 0; round < 3000; round++) {
      const text = randomText(next, Math.floor(next() * 40));
      const bytes = Buffer.from(text, 'utf8');
      const delimiter = delimiters[Math.floor(next() * delimiters.length)]!;
      // Small limits make csv-parse's max_record_size (and the decoder's line limit) trip.
      const maxLineBytes = [1024 * 1024, 12, 30, 64][Math.floor(next() * 4)]!;
      const chunks = cut(bytes, next, 1 + Math.floor(next() * 24));
      await expectSameAsCsvParse(bytes, chunks, delimiter, maxLineBytes, `round ${round}, delimiter ${JSON.stringify(delimiter)}, maxLineBytes ${maxLineBytes}`);
    }
  });

  it('reads a list with the odd quoted field exactly as csv-parse alone, in any chunking', async () => {
    const next = random(10);
    for (let round = 0; round < 60; round++) {
      const bytes = Buffer.from(listText(next, 20 + Math.floor(next() * 300)), 'utf8');
      const maxChunk = [3, 16, 100, 4096][round % 4]!;
      await expectSameAsCsvParse(bytes, cut(bytes, next, maxChunk), ',', round % 5 === 0 ? 60 : 1024 * 1024, `round ${round}`);
    }
  });

  it('hands on a row after the chunk csv-parse would, also at a line end split from its CR or near a chunk end', async () => {
    const text = Buffer.from('13800138000,a\r\n18612345678,b\r\n"x",c\n13312345678,d\n');
    for (let first = 1; first < text.length; first++) {
      for (let second = first + 1; second <= text.length; second += 3) {
        const chunks = [text.subarray(0, first), text.subarray(first, second), text.subarray(second)].filter((chunk) => chunk.length > 0);
        await expectSameAsCsvParse(text, chunks, ',', 1024 * 1024, `cut at ${first} and ${second}`);
      }
    }
  });
});
