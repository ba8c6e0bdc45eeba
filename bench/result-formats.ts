/**
 * `npm run bench -- formats`: one synthetic 1,000,000-row batch result (the report-export
 * bench's rows: 3 input columns and the 22 added ones) exported to CSV, XLSX, JSON Lines
 * and Parquet, each in a child process of its own, so the peak RSS printed is that
 * export's alone (it includes Node and the tsx loader). Printed as time and peak RSS,
 * and as ratios to CSV measured in the same run.
 *
 * The CSV baseline is written row by row through the CSV writer (`--out-encoding utf8`,
 * so the export cannot take its byte-copy shortcut); the other formats read the same
 * batch CSV and write their own file. Then a second result of 1,048,600 rows goes to
 * XLSX to show the spill: Excel holds 1,048,575 data rows a sheet, so the rest goes on a
 * second sheet, and the manifest lists both.
 *
 * Target, each format: peak RSS under 300 MiB. The bench throws if one is missed, if a
 * file's row count is wrong, or if the big workbook did not spill.
 *
 *     node --import tsx bench/result-formats.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_OUTPUT, exportResult } from '../src/report/export.js';
import type { OutputOptions } from '../src/report/manifest.js';
import { RESULT_FORMATS, type ResultFormat } from '../src/report/result-format.js';
import type { WrittenFile } from '../src/report/result-sink.js';
import { writeBatchResult } from './report-export.js';
import { benchEntry, int, mib, runSelfInChild } from './support.js';

const ROWS = 1_000_000;
/** Past one sheet's 1,048,575 data rows, by a little. */
const SPILL_ROWS = 1_048_600;
const TARGET_PEAK_RSS_BYTES = 300 * 1024 * 1024;
const CHILD_ENV = 'RISKSCREEN_BENCH_FORMAT';
const EXTENSION: Record<ResultFormat, string> = { csv: 'csv', xlsx: 'xlsx', jsonl: 'jsonl', parquet: 'parquet' };

interface ChildRequest {
  source: string;
  out: string;
  output: OutputOptions;
}

interface ChildResult {
  rows: number;
  bytes: number;
  sheets: WrittenFile['sheets'] | null;
  seconds: number;
  peakRssBytes: number;
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-bench-formats-'));
  try {
    const source = join(dir, 'batch', 'result.csv');
    const made = await writeBatchResult(source, 'current', ROWS);
    console.log(`formats: a ${int(made.file.rows)}-row batch result (${(made.file.bytes / 1e6).toFixed(1)} MB of CSV) made in ${made.wallSeconds.toFixed(1)} s`);

    const figures = new Map<ResultFormat, ChildResult>();
    for (const format of RESULT_FORMATS) {
      const output: OutputOptions = { ...DEFAULT_OUTPUT, format, encoding: format === 'csv' ? 'utf8' : DEFAULT_OUTPUT.encoding };
      const figure = await exportInChild({ source, out: join(dir, format, `out.${EXTENSION[format]}`), output });
      figures.set(format, figure);
      console.log(
        `formats: ${format.padEnd(7)} ${int(figure.rows)} rows, ${(figure.bytes / 1e6).toFixed(1).padStart(6)} MB in ${figure.seconds.toFixed(1).padStart(6)} s ` +
          `(${int(Math.round(figure.rows / figure.seconds))} rows/s), peak RSS ${mib(figure.peakRssBytes)}`,
      );
      await rm(join(dir, format), { recursive: true, force: true });
    }
    const csv = figures.get('csv')!;
    console.log('formats: as ratios to CSV, measured in this run (time, peak RSS, file size):');
    for (const [format, figure] of figures) {
      console.log(
        `formats:   ${format.padEnd(7)} time x${(figure.seconds / csv.seconds).toFixed(2)}, peak RSS x${(figure.peakRssBytes / csv.peakRssBytes).toFixed(2)}, size x${(figure.bytes / csv.bytes).toFixed(2)}`,
      );
    }

    const spillSource = join(dir, 'spill', 'result.csv');
    await rm(source, { force: true });
    await writeBatchResult(spillSource, 'current', SPILL_ROWS);
    const spill = await exportInChild({ source: spillSource, out: join(dir, 'spill-out', 'out.xlsx'), output: { ...DEFAULT_OUTPUT, format: 'xlsx' } });
    console.log(
      `formats: xlsx of ${int(SPILL_ROWS)} rows in ${spill.seconds.toFixed(1)} s, peak RSS ${mib(spill.peakRssBytes)}: sheets ` +
        (spill.sheets ?? []).map((sheet) => `${sheet.name} ${int(sheet.rows)} rows`).join(', '),
    );
    console.log(`formats: load average ${loadavg().map((n) => n.toFixed(2)).join(' ')} (other work on the machine counts)`);

    const missed: string[] = [];
    for (const [format, figure] of [...figures, ['xlsx (spill)', spill] as const]) {
      if (figure.peakRssBytes >= TARGET_PEAK_RSS_BYTES) missed.push(`${format} peak RSS ${mib(figure.peakRssBytes)} is over ${mib(TARGET_PEAK_RSS_BYTES)}`);
    }
    for (const [format, figure] of figures) if (figure.rows !== ROWS) missed.push(`${format} wrote ${figure.rows} rows of ${ROWS}`);
    const sheets = spill.sheets ?? [];
    if (sheets.length !== 2 || sheets[0]!.rows !== 1_048_575 || sheets[1]!.rows !== SPILL_ROWS - 1_048_575) {
      missed.push(`the ${SPILL_ROWS}-row workbook has sheets ${JSON.stringify(sheets)}, not 1,048,575 + ${SPILL_ROWS - 1_048_575} rows`);
    }
    if (missed.length > 0) throw new Error(`formats: target missed: ${missed.join('; ')}`);
    console.log('formats: ok');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function exportInChild(request: ChildRequest): Promise<ChildResult> {
  return runSelfInChild<ChildResult>(import.meta.url, CHILD_ENV, JSON.stringify(request), 'formats');
}

async function exportAndReport(request: ChildRequest): Promise<void> {
  const started = performance.now();
  const { manifest } = await exportResult({ ...request, joinKey: () => Buffer.from('riskscreen-bench-join-key') });
  const result: ChildResult = {
    rows: manifest.result.rows,
    bytes: manifest.result.bytes,
    sheets: manifest.result.sheets ?? null,
    seconds: (performance.now() - started) / 1000,
    // maxRSS is the true peak of this process, in KiB.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(JSON.stringify(result));
}

benchEntry(import.meta.url, CHILD_ENV, (request) => exportAndReport(JSON.parse(request) as ChildRequest), run);
