/**
 * Bench of the commands that read a whole list before anything is spent (issue 10): a
 * 1,000,000-row, 4-column CSV (phone, name, registration date, customer id) through
 *
 * - `estimate`: `estimateBatch` with the standard profile and no cache, which is what
 *   `riskscreen estimate` does without Redis (the local engine);
 * - `inspect`: `runInspectCommand`, the whole command (its scan keeps the first 10
 *   invalid rows, then the text report, written to a sink);
 * - submit's pre-flight: `submitBatch` with a store that keeps nothing, so the scan
 *   (`scanPhoneList`, as submit calls it), the copy into the data directory with its
 *   SHA-256, and the batch record it would store;
 *
 * and, as a figure without a target, `estimate` against a cache (an empty in-process
 * one, so every question is hashed and looked up and none is found: the cost of the
 * queue engine's estimate without Redis's round trips).
 *
 * Targets on this machine, each: >= 150,000 rows/s and peak RSS under 250 MiB.
 *
 * The file is generated into a temp dir (never committed) and removed afterwards. Each
 * command runs in a child process of its own, so its peak RSS is the command's and not
 * the generator's (the figure includes Node and the tsx loader the child runs under).
 * The time is the command's, from the call to its answer (not Node's start-up).
 *
 *     node --import tsx bench/input-path.ts
 *
 * `run()` is the same for a bench runner; it throws if a target is missed.
 */
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runInspectCommand } from '../src/cli/inspect.js';
import { estimateBatch } from '../src/engine/estimate.js';
import { deriveEngineKeys } from '../src/engine/keys.js';
import type { BatchStore, ResultCache } from '../src/engine/store.js';
import { submitBatch } from '../src/engine/submit.js';
import { benchEntry, int, mib, runSelfInChild } from './support.js';

const ROWS = 1_000_000;
const TARGET_ROWS_PER_SECOND = 150_000;
const TARGET_PEAK_RSS_BYTES = 250 * 1024 * 1024;
/** Set in the child: what to run, as JSON (`ChildRequest`). */
const CHILD_ENV = 'RISKSCREEN_BENCH_INPUT_PATH';

type Mode = 'estimate' | 'inspect' | 'preflight' | 'estimate-cache';

interface ChildRequest {
  mode: Mode;
  file: string;
  /** A directory of the child's own (the pre-flight's data directory). */
  dir: string;
}

interface ChildResult {
  rows: number;
  seconds: number;
  peakRssBytes: number;
  /** What the command found, to compare runs (before and after a change must agree). */
  summary: string;
}

const MEASURED: Array<{ mode: Mode; label: string; target: boolean }> = [
  { mode: 'estimate', label: 'estimate (no cache)', target: true },
  { mode: 'inspect', label: 'inspect', target: true },
  { mode: 'preflight', label: 'submit pre-flight (scan + copy with SHA-256)', target: true },
  { mode: 'estimate-cache', label: 'estimate against an empty in-process cache (no target)', target: false },
];

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-bench-input-path-'));
  try {
    const file = join(dir, 'phones.csv');
    const started = performance.now();
    await generateCsv(file, ROWS);
    const { size } = await stat(file);
    console.log(`input-path: generated ${int(ROWS)} rows, 4 columns, ${(size / 1e6).toFixed(1)} MB in ${seconds(started)} s`);

    const missed: string[] = [];
    for (const { mode, label, target } of MEASURED) {
      const request: ChildRequest = { mode, file, dir: join(dir, mode) };
      const result = await runSelfInChild<ChildResult>(import.meta.url, CHILD_ENV, JSON.stringify(request), `input-path ${mode}`);
      const rowsPerSecond = Math.round(result.rows / result.seconds);
      const targets = target ? ` (targets >= ${int(TARGET_ROWS_PER_SECOND)} rows/s, < ${mib(TARGET_PEAK_RSS_BYTES)})` : '';
      console.log(
        `input-path: ${label}: ${int(result.rows)} rows in ${result.seconds.toFixed(2)} s, ` +
          `${int(rowsPerSecond)} rows/s, peak RSS ${mib(result.peakRssBytes)}${targets}`,
      );
      console.log(`input-path:   ${result.summary}`);
      if (result.rows !== ROWS) missed.push(`${mode}: ${result.rows} rows came out of ${ROWS}`);
      if (!target) continue;
      if (rowsPerSecond < TARGET_ROWS_PER_SECOND) missed.push(`${mode}: ${int(rowsPerSecond)} rows/s is below ${int(TARGET_ROWS_PER_SECOND)}`);
      if (result.peakRssBytes >= TARGET_PEAK_RSS_BYTES) missed.push(`${mode}: peak RSS ${mib(result.peakRssBytes)} is not under ${mib(TARGET_PEAK_RSS_BYTES)}`);
    }
    if (missed.length > 0) throw new Error(`input-path: target missed: ${missed.join('; ')}`);
    console.log('input-path: ok');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * About 45 bytes a row, like a CRM export: `手机号,姓名,注册日期,客户编号`. Of the rows,
 * about 5% repeat an earlier number, 3% are refused (scientific notation, landlines, too
 * short, empty cells), 6% spell the number with dashes, spaces or +86; 10% have no date
 * and 0.5% a date cell that is not a date. Deterministic.
 */
async function generateCsv(file: string, rows: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    let chunk = '手机号,姓名,注册日期,客户编号\n';
    let state = 7;
    const next = () => {
      // A linear congruential generator: deterministic, fast, good enough for test data.
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state;
    };
    const prefixes = ['138', '139', '186', '133', '189', '150', '177', '192', '166', '199', '135', '181', '153', '147'];
    const surnames = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭'];
    const given = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '涛', '明', '超', '秀英', '桂英'];
    const invalid = ['1.38001E+10', '010-12345678', '1380013800', '', '138****1234', '0755-88886666'];
    for (let i = 0; i < rows; i++) {
      const roll = next() % 100;
      let phone: string;
      if (roll < 3) {
        phone = invalid[next() % invalid.length]!;
      } else {
        // Row i's number; 5% of rows reuse the number of an earlier row.
        const seed = roll < 8 && i > 0 ? next() % i : i;
        const prefix = prefixes[seed % prefixes.length]!;
        phone = prefix + String((seed * 7919) % 100_000_000).padStart(8, '0');
        if (roll >= 94) {
          phone = roll === 99 ? `+86 ${phone}` : roll >= 97 ? `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}` : `${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`;
        }
      }
      const name = surnames[next() % surnames.length]! + given[next() % given.length]!;
      const dateRoll = next() % 1000;
      let date: string;
      if (dateRoll < 100) date = '';
      else if (dateRoll < 105) date = '未知';
      else {
        const year = 2015 + (i % 9);
        const month = 1 + (next() % 12);
        const day = 1 + (next() % 28);
        date = `${year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
      }
      chunk += `${phone},${name},${date},KH${String(i).padStart(8, '0')}\n`;
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

/** The child: run one command, print the figures as JSON. */
async function measure(request: ChildRequest): Promise<void> {
  const started = performance.now();
  let rows: number;
  let summary: string;
  if (request.mode === 'estimate' || request.mode === 'estimate-cache') {
    const keys = deriveEngineKeys('riskscreen-bench-secret', undefined);
    let lookups = 0;
    const cache: ResultCache | null =
      request.mode === 'estimate-cache'
        ? {
            get: async () => {
              lookups++;
              return null;
            },
            countCached: async (_api, hashes) => {
              lookups += hashes.length;
              return 0;
            },
            getMany: async (_api, hashes) => {
              lookups += hashes.length;
              return hashes.map(() => null);
            },
            set: async () => undefined,
          }
        : null;
    const estimate = await estimateBatch(request.file, {}, undefined, keys, cache);
    rows = estimate.counts.rows;
    summary =
      `valid ${int(estimate.counts.valid)}, unique ${int(estimate.counts.unique)}, questions ` +
      `${Object.entries(estimate.questions).map(([api, n]) => `${api} ${int(n)}`).join(', ')}` +
      (cache ? `; cache lookups ${int(lookups)}` : '');
  } else if (request.mode === 'inspect') {
    const stdout = new Sink();
    const stderr = new Sink();
    const code = await runInspectCommand([request.file, '--json'], { stdout, stderr });
    if (code !== 0) throw new Error(`inspect exited ${code}: ${stderr.text}`);
    const report = JSON.parse(stdout.text) as { counts: { rows: number; valid: number; invalid: number; unique: number; dateWarnings: number }; firstInvalid: unknown[] };
    rows = report.counts.rows;
    const c = report.counts;
    summary = `valid ${int(c.valid)}, invalid ${int(c.invalid)}, unique ${int(c.unique)}, date warnings ${int(c.dateWarnings)}; ${report.firstInvalid.length} invalid rows shown`;
  } else {
    // submitBatch stores the batch record last; a store that keeps nothing leaves the
    // pre-flight (scan, copy, digest) as the whole of the work.
    const store = { create: async () => undefined } as unknown as BatchStore;
    const { scan, meta } = await submitBatch(store, request.dir, { file: request.file, input: {} });
    rows = scan.counts.rows;
    summary = `valid ${int(scan.counts.valid)}, invalid ${int(scan.counts.invalid)}, unique ${int(scan.counts.unique)}; copy ${int(meta.input.bytes)} bytes, sha256 ${meta.input.sha256.slice(0, 12)}...`;
  }
  const elapsed = (performance.now() - started) / 1000;
  const result: ChildResult = {
    rows,
    seconds: elapsed,
    // maxRSS is the true peak of this process, in KiB.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    summary,
  };
  process.stdout.write(JSON.stringify(result));
}

/** A writable that keeps what it is given (the command's report). */
class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

benchEntry(import.meta.url, CHILD_ENV, (request) => measure(JSON.parse(request) as ChildRequest), run);
