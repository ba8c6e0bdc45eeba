/**
 * `npm run bench -- plan`: the staged plan against `all` (issue 17). A 100,000-row dated
 * list (every row has a sign-up date, so the standard profile asks line status, tenure
 * and resale of every number, and call minutes of the China Telecom ones), screened
 * twice with the standard profile at the same rates: once with `--plan all`, once with
 * `--plan staged`. Each run gets a fresh emulator in its own process (`riskscreen sim`,
 * the same seed and reference date, so the same world, with `--not-in-service 0.2`: 20%
 * of lines inactive or pre-cancel, a dormant list's world; latency 20-60 ms) and a fresh
 * local engine store in a data dir of its own (no answer cached from the other run). The
 * engine runs in this process: the local runner and its SQLite store, as `riskscreen run`.
 *
 * Printed per plan: calls and calls billed by API (from the emulator's ledger), the
 * questions the engine settled as decided, the wall time (the runner's run: ingest to
 * the result written) and when each API's first and last call came. Then the calls saved
 * and the wall-time ratio against the targets (at least 14% fewer billed calls, wall
 * time within 5% of `all`), the list's bill worked out from the world's facts (what
 * `all` must bill, the ceiling of any saving: every billed call but line status of the
 * numbers not in service, and what the default rubric's hard rule can save of it), and
 * every row's risk_level compared between the two result files (expected: no
 * difference). It throws when a level differs, a question is billed twice, or a bill is
 * not the one the world predicts; a missed goal is printed, not thrown.
 *
 * Rates: 200 calls/s per API (`--rate N` to change). "No loss of speed" is about the
 * rates: staging must keep every API's rate busy, so the runs must be paced by the rates,
 * not by the machine, or the plan with fewer calls wins on CPU alone. The local engine
 * spends about 1 ms of CPU a call (engine, client, SQLite store), so on a two-core
 * machine (the emulator on the other core) the `all` run's 3.2 calls a row at 200/s per
 * API, 650 calls/s, take about two thirds of a core: 500 s a run for 100,000 rows. Each
 * run prints the pace line status reached against its rate: well under it, the machine
 * was the bottleneck and the wall times compare CPU, not plans. Status and tenure go in
 * the AES form, as in the end-to-end bench (the RSA form's private decryption would make
 * the emulator a bottleneck).
 *
 *   npm run bench -- plan [--rows N] [--rate N]
 *   node --import tsx bench/plan.ts [--rows N] [--rate N]
 */
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse';
import { loadOptions } from '../src/config/load.js';
import type { BatchView, Plan } from '../src/engine/batch.js';
import { submitBatch } from '../src/engine/submit.js';
import { World } from '../src/emulator/world.js';
import type { LedgerEntry } from '../src/emulator/ledger.js';
import { apisFor, resolveProfile } from '../src/engine/profiles.js';
import { API_IDS, ENDPOINTS, type ApiId, type EndpointId } from '../src/juhe/catalogue.js';
import { sha256Hex } from '../src/juhe/ciphers.js';
import { silentLogger } from '../src/log/logger.js';
import { lookupPrefix } from '../src/phone/prefixes.js';
import { openLocalSession } from '../workers/sessions.js';
import { int, machine, startSim, writeNumbersCsv } from './support.js';

const DEFAULT_ROWS = 100_000;
const PROFILE = 'standard';
const NOT_IN_SERVICE = 0.2;
/** The emulator's "today", fixed so the world (tenure, resale) does not move with the calendar. */
const REFERENCE_DATE = '20250601';
/** `riskscreen sim --seed` of startSim: the world the runs meet, rebuilt here for the ceiling. */
const SIM_SEED = 'bench';
const LATENCY_MS = '20-60';
const DEFAULT_RATE_PER_API = 200;
/** Calls in flight per API: 200/s at 40 ms on average needs 8; room for 1,500/s. */
const CONCURRENCY = 64;
const ENV = { JUHE_FORMS: 'status=aes,tenure=aes', JUHE_CONNECTIONS: '320' };
const PLANS: readonly Plan[] = ['all', 'staged'];
export const TARGET_SAVED = 0.14;
export const TARGET_WALL_RATIO = 1.05;

interface ApiFigures {
  calls: number;
  billed: number;
  /** Seconds from the start of the run to the API's first and last call. */
  first: number;
  last: number;
}

interface PlanRun {
  plan: Plan;
  view: BatchView;
  /** The runner's run: ingest to the result written. */
  wallMs: number;
  /** Submit's pre-flight read and copy of the list, before the run. */
  submitMs: number;
  /** CPU seconds (user + system) of this process (the engine) during the run, and of the emulator's process over its life. */
  engineCpuS: number;
  simCpuS: number;
  byApi: Record<ApiId, ApiFigures>;
  calls: number;
  billed: number;
  duplicateBilledByApi: number;
  resultPath: string;
}

/** What the world says the list costs, worked out from its facts (no call made). */
interface WorldBill {
  /** Calls `all` bills: every applicable question whose answer is data (only error_code 0 is billed). */
  all: number;
  allByApi: Record<ApiId, number>;
  /** Of them, the calls other than line status of the numbers not in service (inactive or pre-cancel): no plan that asks line status can save more. */
  ceiling: number;
  /** Of those, the numbers whose line status is answered (the source has a record): what the default rubric's hard rule lets staged save. */
  attainable: number;
  attainableByApi: Record<ApiId, number>;
  notInService: number;
  numbers: number;
}

export async function run(): Promise<void> {
  const rows = numberOption('--rows', DEFAULT_ROWS, 100);
  const rate = numberOption('--rate', DEFAULT_RATE_PER_API, 1);
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-bench-plan-'));
  try {
    const file = join(dir, 'numbers.csv');
    const list = await writeNumbersCsv(file, rows, 0, { datedBefore: REFERENCE_DATE });
    console.log(`plan: ${machine()}`);
    console.log(
      `plan: ${int(rows)} distinct valid numbers, each with a sign-up date (cmcc ${int(list.byCarrier.cmcc)}, cucc ${int(list.byCarrier.cucc)}, ` +
        `ctcc ${int(list.byCarrier.ctcc)}, cbn ${int(list.byCarrier.cbn)}), --profile ${PROFILE}; emulator in its own process, a fresh one per plan: ` +
        `seed ${SIM_SEED}, --not-in-service ${NOT_IN_SERVICE}, latency ${LATENCY_MS} ms, reference date ${REFERENCE_DATE}`,
    );
    console.log(
      `plan: local engine in this process (SQLite store, a fresh data dir per plan), rates ${rate}/s per API, concurrency ${CONCURRENCY}, forms ${ENV.JUHE_FORMS}`,
    );
    const bill = await worldBill(file);
    console.log(
      `plan: the world: ${int(bill.notInService)} of the ${int(bill.numbers)} numbers (${((bill.notInService / bill.numbers) * 100).toFixed(1)}%) are not in service; ` +
        `under all they would bill ${int(bill.all)} calls (${APIS_SHOWN.map((api) => `${api} ${int(bill.allByApi[api])}`).join(', ')})`,
    );
    const runs: PlanRun[] = [];
    for (const plan of PLANS) {
      const result = await runPlan(plan, file, dir, rate);
      runs.push(result);
      printRun(result, rate);
    }
    const [all, staged] = runs as [PlanRun, PlanRun];
    const levels = await compareLevels(all.resultPath, staged.resultPath);
    printComparison(all, staged, levels, bill);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `--rows N`, `--rate N` from the command line (`npm run bench -- plan --rows 5000`). */
function numberOption(flag: string, fallback: number, least: number): number {
  const at = process.argv.indexOf(flag);
  if (at < 0) return fallback;
  const text = process.argv[at + 1] ?? '';
  if (!/^\d+$/.test(text) || Number(text) < least) throw new Error(`plan: ${flag} ${JSON.stringify(text)}: give a whole number of at least ${least}`);
  return Number(text);
}

/**
 * The bill of the list in the bench's world, question by question, from the facts the
 * emulator answers with: the same seed, reference date and share not in service.
 */
async function worldBill(file: string): Promise<WorldBill> {
  const world = new World(SIM_SEED, REFERENCE_DATE, new Map(), { notInService: NOT_IN_SERVICE });
  const profile = resolveProfile(PROFILE);
  const zero = () => Object.fromEntries(API_IDS.map((api) => [api, 0])) as Record<ApiId, number>;
  const bill: WorldBill = { all: 0, allByApi: zero(), ceiling: 0, attainable: 0, attainableByApi: zero(), notInService: 0, numbers: 0 };
  const rows = createReadStream(file).pipe(parse({ bom: true, from_line: 2 }));
  for await (const [mobile, , date] of rows as AsyncIterable<[string, string, string]>) {
    const identity = { kind: 'number', mobile, sha256: sha256Hex(mobile), form: 'plain' } as const;
    const day = date.replace(/-/g, '');
    const facts = world.factsFor(identity);
    const out = facts.state === '3' || facts.state === '4';
    const statusAnswered = world.answer('status', identity).kind === 'data';
    bill.numbers++;
    if (out) bill.notInService++;
    for (const api of apisFor(profile, { carrier: lookupPrefix(mobile)?.carrier ?? null, date: day })) {
      if (world.answer(api, identity, day).kind !== 'data') continue;
      bill.all++;
      bill.allByApi[api]++;
      if (api === 'status' || !out) continue;
      bill.ceiling++;
      if (statusAnswered) {
        bill.attainable++;
        bill.attainableByApi[api]++;
      }
    }
  }
  return bill;
}

async function runPlan(plan: Plan, file: string, dir: string, rate: number): Promise<PlanRun> {
  const sim = await startSim(['--latency-ms', LATENCY_MS, '--not-in-service', String(NOT_IN_SERVICE), '--reference-date', REFERENCE_DATE]);
  try {
    const dataDir = join(dir, `data-${plan}`);
    const options = loadOptions({
      env: {
        ...sim.env,
        ...ENV,
        RISKSCREEN_SECRET: 'riskscreen-bench-secret',
        RISKSCREEN_RATES: API_IDS.map((api) => `${api}=${rate}`).join(','),
        RISKSCREEN_CONCURRENCY: String(CONCURRENCY),
        RISKSCREEN_DATA_DIR: dataDir,
      },
      cwd: dir,
    });
    const session = await openLocalSession(options, silentLogger);
    let view: BatchView | undefined;
    let wallMs: number;
    let submitMs: number;
    let runStartedAt: number;
    let cpu: NodeJS.CpuUsage;
    try {
      const submitted = performance.now();
      const { meta } = await submitBatch(session.stores.batches, session.dataDir, { file, input: {}, profile: PROFILE, plan });
      runStartedAt = Date.now();
      const started = performance.now();
      submitMs = started - submitted;
      const cpuBefore = process.cpuUsage();
      await session.runner.run(meta.id);
      wallMs = performance.now() - started;
      cpu = process.cpuUsage(cpuBefore);
      view = await session.stores.batches.get(meta.id);
    } finally {
      await session.close();
    }
    if (!view?.resultPath || view.status !== 'done') throw new Error(`plan: the ${plan} batch ended ${view?.status}: ${view?.reason ?? 'no result'}`);
    const stats = await sim.stats();
    const simCpuS = cpuSecondsOf(sim.pid);
    const byApi = Object.fromEntries(API_IDS.map((api) => [api, { calls: 0, billed: 0, first: Infinity, last: 0 }])) as Record<ApiId, ApiFigures>;
    for await (const entry of ledgerEntries(sim.url)) {
      const api = ENDPOINTS[entry.endpoint as EndpointId].api;
      const figures = byApi[api];
      const at = (Date.parse(entry.time) - runStartedAt) / 1000;
      figures.calls++;
      if (entry.billed) figures.billed++;
      figures.first = Math.min(figures.first, at);
      figures.last = Math.max(figures.last, at);
    }
    return {
      plan,
      view,
      wallMs,
      submitMs,
      engineCpuS: (cpu.user + cpu.system) / 1e6,
      simCpuS,
      byApi,
      calls: stats.calls,
      billed: stats.billed,
      duplicateBilledByApi: (stats as { duplicateBilledByApi?: number }).duplicateBilledByApi ?? stats.duplicateBilled,
      resultPath: view.resultPath,
    };
  } finally {
    await sim.stop();
  }
}

/** User + system CPU seconds a process has used so far, from /proc (Linux; NaN elsewhere). */
function cpuSecondsOf(pid: number): number {
  try {
    // Fields after the command name: state is the 3rd, utime and stime the 14th and 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** `GET /__sim/calls`, one entry at a time (a 100,000-row run has some 320,000). */
async function* ledgerEntries(url: string): AsyncGenerator<LedgerEntry> {
  const response = await fetch(`${url}/__sim/calls`);
  if (!response.ok || !response.body) throw new Error(`plan: GET /__sim/calls answered ${response.status}`);
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line.trim() !== '') yield JSON.parse(line) as LedgerEntry;
  }
  if (rest.trim() !== '') yield JSON.parse(rest) as LedgerEntry;
}

/** The risk_level (and risk_score) column of a result file, row by row. */
async function readLevels(path: string): Promise<{ levels: string[]; scores: string[] }> {
  const parser = createReadStream(path).pipe(parse({ bom: true, relax_column_count: true }));
  const levels: string[] = [];
  const scores: string[] = [];
  let levelAt = -1;
  let scoreAt = -1;
  for await (const record of parser as AsyncIterable<string[]>) {
    if (levelAt < 0) {
      levelAt = record.lastIndexOf('risk_level');
      scoreAt = record.lastIndexOf('risk_score');
      if (levelAt < 0) throw new Error(`plan: ${path} has no risk_level column`);
      continue;
    }
    levels.push(record[levelAt] ?? '');
    scores.push(record[scoreAt] ?? '');
  }
  return { levels, scores };
}

interface LevelComparison {
  rows: number;
  mismatches: number;
  /** Rows of each level under `all`. */
  byLevel: Record<string, number>;
  /** Rows whose score differs (allowed, inside the same level). */
  scoreDiffers: number;
  firstMismatches: string[];
}

async function compareLevels(allPath: string, stagedPath: string): Promise<LevelComparison> {
  const [a, b] = await Promise.all([readLevels(allPath), readLevels(stagedPath)]);
  if (a.levels.length !== b.levels.length) throw new Error(`plan: the results have ${a.levels.length} and ${b.levels.length} rows`);
  const byLevel: Record<string, number> = {};
  let mismatches = 0;
  let scoreDiffers = 0;
  const firstMismatches: string[] = [];
  a.levels.forEach((level, i) => {
    byLevel[level || '(none)'] = (byLevel[level || '(none)'] ?? 0) + 1;
    if (level !== b.levels[i]) {
      mismatches++;
      if (firstMismatches.length < 5) firstMismatches.push(`row ${i + 1}: all ${level || '(none)'}, staged ${b.levels[i] || '(none)'}`);
    }
    if (a.scores[i] !== b.scores[i]) scoreDiffers++;
  });
  return { rows: a.levels.length, mismatches, byLevel, scoreDiffers, firstMismatches };
}

const APIS_SHOWN: readonly ApiId[] = ['status', 'tenure', 'resale', 'callDuration'];

function printRun(run: PlanRun, rate: number): void {
  const c = run.view.counts;
  const apis = APIS_SHOWN.map((api) => `${api} ${int(run.byApi[api].billed)}/${int(run.byApi[api].calls)}`).join(', ');
  console.log(
    `plan: --plan ${run.plan.padEnd(6)}: ${int(run.billed)} calls billed of ${int(run.calls)} (billed/calls by API: ${apis}); ` +
      `questions ${int(c.tasks)}, decided without a call ${int(c.decided ?? 0)}; wall ${(run.wallMs / 1000).toFixed(1)} s ` +
      `(+ ${(run.submitMs / 1000).toFixed(1)} s submit); (API, number) questions billed twice ${run.duplicateBilledByApi}; load average ${loadavg()[0]!.toFixed(1)}`,
  );
  const status = run.byApi.status;
  console.log(
    `plan:   CPU: engine ${run.engineCpuS.toFixed(1)} s, emulator ${run.simCpuS.toFixed(1)} s; status paced at ${int(status.calls / Math.max(0.001, status.last - status.first))} calls/s ` +
      `of the ${rate}/s rate; calls from the run's start, first .. last (s): ` +
      APIS_SHOWN.map((api) => `${api} ${run.byApi[api].first.toFixed(1)} .. ${run.byApi[api].last.toFixed(1)}`).join(', '),
  );
}

function printComparison(all: PlanRun, staged: PlanRun, levels: LevelComparison, bill: WorldBill): void {
  const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
  const saved = (all.billed - staged.billed) / all.billed;
  const ratio = staged.wallMs / all.wallMs;
  console.log('plan: side by side (calls billed, by API; the emulator ledger of each run)');
  const head = ['API', 'all', 'staged', 'saved', 'saved %', 'decided', 'calls all', 'calls staged'];
  const line = (cells: string[]) => `plan:   ${cells[0]!.padEnd(13)}${cells.slice(1).map((cell, i) => cell.padStart([9, 9, 9, 9, 9, 11, 13][i]!)).join('')}`;
  console.log(line(head));
  for (const api of APIS_SHOWN) {
    const a = all.byApi[api].billed;
    const s = staged.byApi[api].billed;
    const decided = staged.view.counts[`decided.${api}`] ?? 0;
    console.log(line([api, int(a), int(s), int(a - s), a === 0 ? '-' : pct((a - s) / a), int(decided), int(all.byApi[api].calls), int(staged.byApi[api].calls)]));
  }
  console.log(
    line(['total', int(all.billed), int(staged.billed), int(all.billed - staged.billed), pct(saved), int(staged.view.counts.decided ?? 0), int(all.calls), int(staged.calls)]),
  );
  console.log(
    `plan: calls billed ${pct(saved)} fewer under staged (calls made ${pct((all.calls - staged.calls) / all.calls)} fewer): ` +
      `${saved >= TARGET_SAVED ? 'meets' : 'MISSES'} the ${pct(TARGET_SAVED)} goal`,
  );
  console.log(
    `plan: the world's bill: all ${int(bill.all)} (measured ${int(all.billed)}); the ceiling, every billed call but line status of the numbers not in service, ` +
      `${int(bill.ceiling)} (${pct(bill.ceiling / bill.all)}); of it the numbers whose line status is answered, what the hard rule can save, ` +
      `${int(bill.attainable)} (${pct(bill.attainable / bill.all)}: ${APIS_SHOWN.filter((api) => api !== 'status').map((api) => `${api} ${int(bill.attainableByApi[api])}`).join(', ')}); ` +
      `staged saved ${int(all.billed - staged.billed)}`,
  );
  console.log(
    `plan: wall time all ${(all.wallMs / 1000).toFixed(1)} s, staged ${(staged.wallMs / 1000).toFixed(1)} s: ratio ${ratio.toFixed(3)}, ` +
      `${ratio <= TARGET_WALL_RATIO ? 'within' : 'OUTSIDE'} the ${((TARGET_WALL_RATIO - 1) * 100).toFixed(0)}% bound`,
  );
  const mix = Object.entries(levels.byLevel)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([level, n]) => `${level} ${int(n)}`)
    .join(', ');
  console.log(
    `plan: risk_level compared on ${int(levels.rows)} rows: ${int(levels.mismatches)} differ (expected 0); ${int(levels.scoreDiffers)} rows' score differs inside the level; levels under all: ${mix}`,
  );
  const problems: string[] = [];
  if (levels.mismatches > 0) problems.push(`${levels.mismatches} rows change level: ${levels.firstMismatches.join('; ')}`);
  for (const run of [all, staged]) if (run.duplicateBilledByApi > 0) problems.push(`${run.plan}: ${run.duplicateBilledByApi} questions billed twice`);
  const undecidedSaving = APIS_SHOWN.filter((api) => all.byApi[api].calls - staged.byApi[api].calls !== (staged.view.counts[`decided.${api}`] ?? 0));
  if (undecidedSaving.length > 0) problems.push(`calls saved differ from the questions decided for ${undecidedSaving.join(', ')}`);
  if (all.billed !== bill.all) problems.push(`all billed ${all.billed} calls, the world says ${bill.all}`);
  if (all.billed - staged.billed !== bill.attainable) problems.push(`staged saved ${all.billed - staged.billed} billed calls, the world says ${bill.attainable}`);
  if (problems.length > 0) throw new Error(`plan: ${problems.join('; ')}`);
  console.log('plan: ok (levels identical, no question billed twice, every call saved is a question decided, the bills as the world predicts)');
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) await run();
