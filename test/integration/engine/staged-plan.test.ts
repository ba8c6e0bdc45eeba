/**
 * The staged plan on the emulator's ledger (issue 17): a list with a known share of
 * lines not in service, screened under both plans. `staged` bills exactly what `all`
 * bills minus the questions it recorded as decided, and every row's level is the same;
 * a rubric without hard rules asks everything; answers in the cache send a number
 * straight to its second stage; a kill -9 between the stages neither loses nor doubles
 * a question.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOptions } from '../../../src/config/load.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import { ENDPOINTS } from '../../../src/juhe/catalogue.js';
import type { BatchView, Plan } from '../../../src/engine/batch.js';
import { memoryStores } from '../../../src/engine/memory-store.js';
import type { EngineStores } from '../../../src/engine/store.js';
import { submitBatch } from '../../../src/engine/submit.js';
import { silentLogger } from '../../../src/log/logger.js';
import { DEFAULT_RUBRIC, parseRubric, rubricToJson, type Rubric } from '../../../src/risk/index.js';
import { buildEngineParts } from '../../../workers/engine-parts.js';
import { LocalRunner } from '../../../workers/local-runner.js';
import { writeNumberList } from './harness.js';

const SEED = 'staged-plan';
const RATES = 'status=5000,tenure=5000,tenureCmcc=5000,resale=5000,callDuration=5000';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-staged-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every fourth number pinned not in service (state 3, cancelled, or 4, being cancelled, in turn). */
function notInServiceFixtures(numbers: readonly string[]): { fixtures: Record<string, unknown>; pinned: Set<string> } {
  const fixtures: Record<string, unknown> = {};
  const pinned = new Set<string>();
  numbers.forEach((number, i) => {
    if (i % 4 !== 0) return;
    fixtures[number] = { status: { state: i % 8 === 0 ? '3' : '4' } };
    pinned.add(number);
  });
  return { fixtures, pinned };
}

interface Screened {
  view: BatchView;
  rows: Record<string, string>[];
  /** Billed questions on the emulator's ledger: `api|mobile|date`. */
  billed: string[];
}

function billedQuestions(emulator: RunningEmulator): string[] {
  const out: string[] = [];
  for (let row = 0; row < emulator.ledger.size; row++) {
    const entry = emulator.ledger.entryAt(row);
    if (!entry.billed) continue;
    // Every number is known to the emulator (knownNumbers), so hashed forms are reversed too.
    if (!entry.mobile) throw new Error(`a billed call the emulator could not tie to a number: ${JSON.stringify(entry)}`);
    out.push(`${ENDPOINTS[entry.endpoint].api}|${entry.mobile}|${entry.date ?? ''}`);
  }
  return out.sort();
}

async function screen(
  emulator: RunningEmulator,
  file: string,
  plan: Plan,
  settings: { stores?: EngineStores; rubric?: Rubric; profile?: string } = {},
): Promise<Screened> {
  const options = loadOptions({ env: { ...emulator.env, RISKSCREEN_RATES: RATES, RISKSCREEN_CONCURRENCY: '8' }, cwd: dir });
  const stores = settings.stores ?? memoryStores();
  const dataDir = join(dir, 'data');
  const parts = buildEngineParts(options, stores, silentLogger, dataDir);
  try {
    const runner = new LocalRunner({ context: parts.context });
    const { meta } = await submitBatch(stores.batches, dataDir, { file, input: {}, profile: settings.profile ?? 'standard', plan, rubric: settings.rubric ?? DEFAULT_RUBRIC });
    await runner.run(meta.id);
    const view = (await stores.batches.get(meta.id))!;
    expect(view.status, view.reason ?? '').toBe('done');
    const rows = parse(readFileSync(view.resultPath!), { columns: true, bom: true }) as Record<string, string>[];
    return { view, rows, billed: billedQuestions(emulator) };
  } finally {
    await parts.client.close();
  }
}

function levels(rows: readonly Record<string, string>[]): Map<string, string> {
  return new Map(rows.map((row) => [row.mobile!, row.risk_level!]));
}

/** The default rubric with its hard rules replaced. */
function withRules(rules: Rubric['hardRules']): Rubric {
  const json = rubricToJson(DEFAULT_RUBRIC);
  json.hard_rules = rules.map((rule) => ({ name: rule.name, signal: rule.signal, in: rule.in, level: rule.level }));
  return parseRubric(json, 'test');
}

describe('the staged plan, on the ledger', () => {
  it('bills exactly what all bills minus the decided questions, and every row keeps its level', async () => {
    const list = writeNumberList(dir, 'list.csv', 400, { dates: true });
    const { fixtures, pinned } = notInServiceFixtures(list.numbers);
    const runs: Partial<Record<Plan, Screened>> = {};
    for (const plan of ['all', 'staged'] as const) {
      const emulator = await startEmulator({ port: 0, seed: SEED, fixtures, knownNumbers: list.numbers });
      try {
        runs[plan] = await screen(emulator, list.path, plan);
      } finally {
        await emulator.close();
      }
    }
    const all = runs.all!;
    const staged = runs.staged!;
    expect(all.view.options.plan).toBe('all');
    expect(staged.view.options.plan).toBe('staged');
    expect(all.view.counts.decided).toBe(0);

    // The numbers whose line status decides: the pinned ones and any the world made so.
    const deciding = new Set(staged.rows.filter((row) => row.line_status === 'inactive' || row.line_status === 'pre_cancel').map((row) => row.mobile!));
    for (const number of pinned) expect(deciding.has(number)).toBe(true);
    expect(deciding.size).toBeGreaterThanOrEqual(100);

    // staged = all minus the other questions of deciding numbers, exactly (the same questions, not just as many).
    const skipped = all.billed.filter((question) => {
      const [api, mobile] = question.split('|');
      return api !== 'status' && deciding.has(mobile!);
    });
    expect(skipped.length).toBeGreaterThan(100);
    const expected = all.billed.filter((question) => !skipped.includes(question));
    expect(staged.billed).toEqual(expected);
    expect(staged.view.counts.billed).toBe(all.view.counts.billed - skipped.length);
    // Decided counts every question not asked; only answered calls are billed, so the skipped billed ones are at most that.
    expect(staged.view.counts.decided).toBeGreaterThanOrEqual(skipped.length);
    const byApi = ['tenure', 'tenureCmcc', 'resale', 'callDuration'] as const;
    expect(byApi.reduce((sum, api) => sum + staged.view.counts[`decided.${api}`], 0)).toBe(staged.view.counts.decided);
    expect(staged.view.counts.final).toBe(staged.view.counts.tasks);
    expect(staged.view.counts.tasks).toBe(all.view.counts.tasks);

    // The same level for every row; the score may only differ inside it.
    expect(levels(staged.rows)).toEqual(levels(all.rows));
    const stagedByMobile = new Map(staged.rows.map((row) => [row.mobile!, row]));
    for (const row of all.rows) {
      const twin = stagedByMobile.get(row.mobile!)!;
      if (!deciding.has(row.mobile!)) {
        expect(twin.risk_score).toBe(row.risk_score);
        expect(twin.risk_reasons).toBe(row.risk_reasons);
        continue;
      }
      // Decided rows: screened, fully known, the reasons say what was not asked and why.
      expect(twin.row_status).toBe('screened');
      expect(twin.risk_level).toBe('high');
      expect(Number(twin.risk_score)).toBeLessThanOrEqual(Number(row.risk_score));
      expect(twin.tenure).toBe('');
      expect(twin.tenure_code).toBe('decided');
      expect(twin.error).toBe('');
      expect(twin.risk_reasons).toContain(`tenure not asked: the level was decided by line status (${twin.line_status})`);
      if (Number(row.risk_confidence) === 1 || twin.number_kind) expect(Number(twin.risk_confidence)).toBeGreaterThanOrEqual(Number(row.risk_confidence));
    }
    expect(staged.rows.filter((row) => row.tenure_code === 'decided').length).toBe(deciding.size);
  }, 60_000);

  it('a rubric without hard rules asks everything: the same bill as all, nothing decided', async () => {
    const list = writeNumberList(dir, 'list.csv', 120, { dates: true });
    const { fixtures } = notInServiceFixtures(list.numbers);
    const noRules = withRules([]);
    const onlyMedium = withRules([{ name: 'not_in_service_medium', signal: 'line_status', in: ['inactive', 'pre_cancel'], level: 'medium' }]);
    const bills: string[][] = [];
    for (const [plan, rubric] of [['all', noRules], ['staged', noRules], ['staged', onlyMedium]] as const) {
      const emulator = await startEmulator({ port: 0, seed: SEED, fixtures, knownNumbers: list.numbers });
      try {
        const run = await screen(emulator, list.path, plan, { rubric });
        expect(run.view.counts.decided).toBe(0);
        expect(run.rows.some((row) => row.tenure_code === 'decided')).toBe(false);
        bills.push(run.billed);
      } finally {
        await emulator.close();
      }
    }
    expect(bills[1]).toEqual(bills[0]);
    expect(bills[2]).toEqual(bills[0]);
  }, 60_000);

  it('a line status in the cache sends its number straight to the second stage: nothing is asked twice or lost', async () => {
    const list = writeNumberList(dir, 'list.csv', 200, { dates: true });
    const { fixtures, pinned } = notInServiceFixtures(list.numbers);
    const emulator = await startEmulator({ port: 0, seed: SEED, fixtures, knownNumbers: list.numbers });
    try {
      const stores = memoryStores();
      // The line status of every number is asked (and cached) first, by a batch of its own.
      const first = await screen(emulator, list.path, 'all', { stores, profile: 'status' });
      expect(first.view.counts.answered + first.view.counts.noRecord).toBe(200);
      const staged = await screen(emulator, list.path, 'staged', { stores });
      expect(staged.view.counts['cacheHits.status']).toBe(200);
      expect(staged.view.counts['billed.status']).toBe(0);
      expect(staged.view.counts.final).toBe(staged.view.counts.tasks);
      const stats = emulator.ledger.stats();
      expect(stats.duplicateBilledByApi).toBe(0);
      // No question of a deciding number but its line status reached the service.
      for (const question of staged.billed) {
        const [api, mobile] = question.split('|');
        if (pinned.has(mobile!)) expect(api).toBe('status');
      }
      expect(staged.rows.filter((row) => row.row_status === 'screened').length).toBe(200);
      expect(staged.rows.filter((row) => pinned.has(row.mobile!)).every((row) => row.tenure_code === 'decided')).toBe(true);
    } finally {
      await emulator.close();
    }
  }, 60_000);
});

describe('the staged plan survives a kill -9', () => {
  let emulator: RunningEmulator;
  afterEach(async () => {
    await emulator?.close();
  });

  it('killed while the stages overlap, run again: no question is lost, none doubled beyond the calls in flight, no decided one asked', async () => {
    const CONCURRENCY = 4;
    const list = writeNumberList(dir, 'list.csv', 300, { dates: true });
    const { fixtures, pinned } = notInServiceFixtures(list.numbers);
    const fixturesFile = join(dir, 'fixtures.json');
    writeFileSync(fixturesFile, JSON.stringify(fixtures));
    emulator = await startEmulator({ port: 0, seed: SEED, fixtures: fixturesFile, knownNumbers: list.numbers, latencyMs: 10 });
    const dataDir = join(dir, 'data');
    const args = ['run', list.path, '--out', join(dir, 'out', 'result.csv'), '--plan', 'staged', '--rate', 'status=150,tenure=150,tenureCmcc=150,resale=150,callDuration=150', '--quiet'];
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith('JUHE_') && !name.startsWith('RISKSCREEN_') && name !== 'REDIS_URL') env[name] = value;
    }
    const run = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        cwd: process.cwd(),
        env: { ...env, ...emulator.env, LOG_LEVEL: 'silent', RISKSCREEN_DATA_DIR: dataDir, RISKSCREEN_CONCURRENCY: String(CONCURRENCY) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal, out, err })),
      );
      return { done, kill: () => child.kill('SIGKILL') };
    };

    const first = run();
    // Killed once second-stage questions are being billed while line statuses still come in.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const byEndpoint = emulator.ledger.stats().byEndpoint;
      const secondStage = Object.entries(byEndpoint)
        .filter(([endpoint]) => ENDPOINTS[endpoint as keyof typeof ENDPOINTS].api !== 'status')
        .reduce((sum, [, codes]) => sum + Object.values(codes).reduce((a, b) => a + b, 0), 0);
      if (secondStage >= 60) break;
      if (Date.now() > deadline) throw new Error('timed out waiting for second-stage calls');
      await new Promise((r) => setTimeout(r, 5));
    }
    first.kill();
    expect((await first.done).signal).toBe('SIGKILL');
    const statusAtKill = emulator.ledger.stats().byEndpoint;
    await new Promise((r) => setTimeout(r, 100)); // calls in flight reach the emulator
    const callsAtKill = emulator.ledger.stats().calls;
    expect(Object.keys(statusAtKill).length).toBeGreaterThan(1);

    const second = await run().done;
    expect(second.code, second.err).toBe(0);
    expect(second.err).toMatch(/resuming b\d{8}-\d{6}-[0-9a-z]{4}/);
    const stats = emulator.ledger.stats();
    // Doubled: at most the calls in flight at the kill (one per call slot and API).
    expect(stats.duplicateBilledByApiCalls).toBeLessThanOrEqual(CONCURRENCY * 4);
    expect(stats.calls).toBeGreaterThan(callsAtKill);
    // No decided question was asked, before or after the kill.
    for (const question of billedQuestions(emulator)) {
      const [api, mobile] = question.split('|');
      if (pinned.has(mobile!)) expect(api, question).toBe('status');
    }
    // Nothing lost: every number screened, the deciding ones decided.
    const rows = parse(readFileSync(join(dir, 'out', 'result.csv')), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows).toHaveLength(300);
    expect(rows.every((row) => row.row_status === 'screened')).toBe(true);
    expect(rows.filter((row) => pinned.has(row.mobile!)).every((row) => row.tenure_code === 'decided' && row.risk_level === 'high')).toBe(true);
  }, 120_000);
});
