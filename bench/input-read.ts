/**
 * Bench of the input layer: a 1,000,000-row CSV (about 60 MB) read, normalized and
 * deduped through `readPhoneList`, as a batch would. Target on this machine:
 * >= 100,000 rows/s and peak RSS under 300 MB.
 *
 * The file is generated into a temp dir (never committed) and removed afterwards. The
 * read runs in a child process, so its peak RSS is the read's own and not the
 * generator's (the figure includes Node and the tsx loader the child runs under).
 *
 *     node --import tsx bench/input-read.ts
 *
 * `run()` is the same for a bench runner; it throws if a target is missed.
 */
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPhoneList } from '../src/input/reader.js';
import { benchEntry, runSelfInChild } from './support.js';

const ROWS = 1_000_000;
const TARGET_ROWS_PER_SECOND = 100_000;
const TARGET_PEAK_RSS_BYTES = 300 * 1024 * 1024;
/** Set in the child: the CSV to read. */
const CHILD_ENV = 'RISKSCREEN_BENCH_INPUT_FILE';

interface ChildResult {
  rows: number;
  valid: number;
  invalid: number;
  unique: number;
  duplicates: number;
  seconds: number;
  peakRssBytes: number;
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-bench-input-'));
  try {
    const file = join(dir, 'phones.csv');
    const started = performance.now();
    await generateCsv(file, ROWS);
    const { size } = await stat(file);
    console.log(`input-read: generated ${ROWS.toLocaleString('en-US')} rows, ${(size / 1e6).toFixed(1)} MB in ${seconds(started)} s`);

    const result = await runSelfInChild<ChildResult>(import.meta.url, CHILD_ENV, file, 'input-read');
    const rowsPerSecond = Math.round(result.rows / result.seconds);
    const peakMb = result.peakRssBytes / (1024 * 1024);
    console.log(
      `input-read: read ${result.rows.toLocaleString('en-US')} rows (valid ${result.valid.toLocaleString('en-US')}, ` +
        `invalid ${result.invalid.toLocaleString('en-US')}, unique ${result.unique.toLocaleString('en-US')}, ` +
        `duplicates ${result.duplicates.toLocaleString('en-US')}) in ${result.seconds.toFixed(2)} s`,
    );
    console.log(`input-read: rows/s ${rowsPerSecond.toLocaleString('en-US')} (target >= ${TARGET_ROWS_PER_SECOND.toLocaleString('en-US')})`);
    console.log(`input-read: peak RSS ${peakMb.toFixed(0)} MiB (target < ${TARGET_PEAK_RSS_BYTES / (1024 * 1024)} MiB)`);

    const missed: string[] = [];
    if (result.rows !== ROWS) missed.push(`${result.rows} rows came out of ${ROWS}`);
    if (rowsPerSecond < TARGET_ROWS_PER_SECOND) missed.push(`${rowsPerSecond} rows/s is below ${TARGET_ROWS_PER_SECOND}`);
    if (result.peakRssBytes >= TARGET_PEAK_RSS_BYTES) missed.push(`peak RSS ${peakMb.toFixed(0)} MiB is over 300 MiB`);
    if (missed.length > 0) throw new Error(`input-read: target missed: ${missed.join('; ')}`);
    console.log('input-read: ok');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * About 60 bytes a row, like an ops export: phone (in a few spellings), name, date,
 * city, note. About 5% repeat an earlier number and 2% are refused.
 */
async function generateCsv(file: string, rows: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    let chunk = '手机号,姓名,注册日期,城市,备注\n';
    let state = 42;
    const next = () => {
      // A linear congruential generator: deterministic, fast, good enough for test data.
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state;
    };
    const prefixes = ['138', '139', '186', '133', '189', '150', '177', '192', '166', '199'];
    for (let i = 0; i < rows; i++) {
      const roll = next() % 100;
      let phone: string;
      if (roll < 2) {
        phone = roll === 0 ? '1.38001E+10' : '010-12345678';
      } else {
        // Row i's number; 5% of rows reuse the number of an earlier row.
        const seed = roll < 7 && i > 0 ? next() % i : i;
        const prefix = prefixes[seed % prefixes.length]!;
        phone = prefix + String((seed * 7919) % 100_000_000).padStart(8, '0');
        if (roll % 10 === 3) phone = `${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`;
      }
      const month = 1 + (i % 12);
      const day = 1 + (i % 28);
      chunk += `${phone},客户${String(i).padStart(6, '0')},2023-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day},北京市朝阳区,备注${i % 97}\n`;
      if (chunk.length > 1 << 20) {
        await handle.write(chunk);
        chunk = '';
      }
    }
    await handle.write(chunk);
  } finally {
    await handle.close();
  }
}

/** The child: read the file, print the figures as JSON. */
async function readAndReport(file: string): Promise<void> {
  const started = performance.now();
  const reader = await readPhoneList(file);
  for await (const record of reader) void record;
  const elapsed = (performance.now() - started) / 1000;
  const counts = reader.counts();
  const result: ChildResult = {
    rows: counts.rows,
    valid: counts.valid,
    invalid: counts.invalid,
    unique: counts.unique,
    duplicates: counts.duplicates,
    seconds: elapsed,
    // maxRSS is the true peak of this process, in KiB.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(JSON.stringify(result));
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

benchEntry(import.meta.url, CHILD_ENV, readAndReport, run);
