/**
 * What the API answers about a batch, from a hand-made BatchView: progress, the rate and
 * ETA (only once there is enough to measure), errors with their meanings.
 */
import { describe, expect, it } from 'vitest';
import { emptyCounters, type BatchView, type Counters } from '../../../src/engine/batch.js';
import type { BatchHealth } from '../../../src/engine/batch-health.js';
import type { ResultManifest } from '../../../src/report/manifest.js';
import { DEFAULT_RUBRIC } from '../../../src/risk/index.js';
import { batchDetail, batchSummary, errorsOf } from '../../../src/web/batch-json.js';

const T0 = Date.parse('2024-05-01T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function view(counts: Partial<Counters> = {}, over: Partial<BatchView> = {}): BatchView {
  return {
    id: 'b20240501-080000-ab12',
    status: 'screening',
    reason: null,
    input: {
      path: '/data/batches/b20240501-080000-ab12/input.csv',
      name: '名单.csv',
      sha256: 'f'.repeat(64),
      bytes: 5120,
      fingerprint: { bytes: 5120, mtimeMs: 0, ino: 1, sha256: 'f'.repeat(64), rows: 100, layoutKey: 'k' },
    },
    options: { profile: 'standard', apis: ['status', 'tenure'], input: {}, maxCalls: 500, rates: {}, rubric: DEFAULT_RUBRIC },
    times: { created: iso(T0), ingestStarted: iso(T0 + 1_000), screeningStarted: iso(T0 + 2_000) },
    resultPath: null,
    submittedBy: 'li.lei',
    counts: { ...emptyCounters(), ...counts },
    errorsByCode: {},
    exhausted: {},
    progressAt: T0,
    holds: {},
    keyChecks: {},
    ...over,
  };
}

const health: BatchHealth = { idleMs: 0, stuck: false, waits: [] };

function manifest(): ResultManifest {
  return {
    rows: {
      total: 100,
      by_status: {},
      by_level: { high: 3, medium: 10, low: 80, unscored: 7 },
      by_status_and_level: {},
    },
    changes: undefined,
  } as unknown as ResultManifest;
}

describe('batchSummary', () => {
  it('says nothing of a total before ingest is done', () => {
    const summary = batchSummary(view({ rows: 100, tasks: 120, final: 30, ingestDone: 0 }), null);
    expect(summary).toEqual({
      id: 'b20240501-080000-ab12',
      name: '名单.csv',
      submittedBy: 'li.lei',
      created: iso(T0),
      status: 'screening',
      reason: null,
      rows: 100,
      profile: 'standard',
      progress: { done: 30, total: null, percent: null, rowsDone: null },
      levels: null,
    });
  });

  it('gives percent (rounded down) and rows done once ingest is done', () => {
    expect(batchSummary(view({ rows: 100, tasks: 200, final: 50, ingestDone: 1 }), null).progress).toEqual({ done: 50, total: 200, percent: 25, rowsDone: 25 });
    expect(batchSummary(view({ rows: 10, tasks: 3, final: 2, ingestDone: 1 }), null).progress).toEqual({ done: 2, total: 3, percent: 66, rowsDone: 7 });
    expect(batchSummary(view({ rows: 10, tasks: 1000, final: 999, ingestDone: 1 }), null).progress.percent).toBe(99);
  });

  it('is 100% for a batch with nothing to ask', () => {
    expect(batchSummary(view({ rows: 5, tasks: 0, final: 0, ingestDone: 1 }), null).progress).toEqual({ done: 0, total: 0, percent: 100, rowsDone: 5 });
  });

  it('gives the levels from the manifest, and null for who submitted a command-line batch', () => {
    const summary = batchSummary(view({}, { submittedBy: undefined, status: 'done', reason: 'all done' }), manifest());
    expect(summary.submittedBy).toBeNull();
    expect(summary.levels).toEqual({ high: 3, medium: 10, low: 80, unscored: 7 });
    expect(summary.reason).toBe('all done');
  });
});

describe('batchDetail', () => {
  it('has no rate or ETA before 20 questions', () => {
    const detail = batchDetail(view({ rows: 100, tasks: 200, final: 19, billed: 19, ingestDone: 1 }), health, null, T0 + 2_000 + 60_000);
    expect(detail.rate).toEqual({ callsPerSecond: null, questionsPerSecond: null, etaSeconds: null });
  });

  it('has no rate or ETA before 5 seconds', () => {
    const detail = batchDetail(view({ rows: 100, tasks: 200, final: 100, billed: 100, ingestDone: 1 }), health, null, T0 + 2_000 + 4_999);
    expect(detail.rate).toEqual({ callsPerSecond: null, questionsPerSecond: null, etaSeconds: null });
  });

  it('measures from the start of screening: calls/s, questions/s and the ETA', () => {
    // 100 of 200 questions in 10 s (from screeningStarted), 50 of them billed (the rest cached).
    const detail = batchDetail(view({ rows: 100, tasks: 200, final: 100, billed: 50, cacheHits: 50, ingestDone: 1 }), health, null, T0 + 2_000 + 10_000);
    expect(detail.rate).toEqual({ callsPerSecond: 5, questionsPerSecond: 10, etaSeconds: 10 });
  });

  it('exactly at 20 questions and 5 s, measures', () => {
    const detail = batchDetail(view({ tasks: 40, final: 20, billed: 20, ingestDone: 1 }), health, null, T0 + 2_000 + 5_000);
    expect(detail.rate).toEqual({ callsPerSecond: 4, questionsPerSecond: 4, etaSeconds: 5 });
  });

  it('rounds rates to one decimal', () => {
    const detail = batchDetail(view({ tasks: 100, final: 22, billed: 21, ingestDone: 1 }), health, null, T0 + 2_000 + 7_000);
    expect(detail.rate.callsPerSecond).toBe(3);
    expect(detail.rate.questionsPerSecond).toBe(3.1);
  });

  it('measures from ingest, else creation, when screening has not started', () => {
    const noScreening = view({ tasks: 100, final: 40, billed: 40, ingestDone: 1 }, { times: { created: iso(T0), ingestStarted: iso(T0 + 10_000) } });
    expect(batchDetail(noScreening, health, null, T0 + 30_000).rate.questionsPerSecond).toBe(2);
    const onlyCreated = view({ tasks: 100, final: 40, billed: 40, ingestDone: 1 }, { times: { created: iso(T0) } });
    expect(batchDetail(onlyCreated, health, null, T0 + 40_000).rate.questionsPerSecond).toBe(1);
  });

  it('has no ETA before ingest is done (the total is not known), nor once finished or failed', () => {
    expect(batchDetail(view({ tasks: 0, final: 100, billed: 100, ingestDone: 0 }), health, null, T0 + 12_000).rate).toEqual({
      callsPerSecond: 10,
      questionsPerSecond: 10,
      etaSeconds: null,
    });
    const done = view(
      { tasks: 100, final: 100, billed: 100, ingestDone: 1 },
      { status: 'done', resultPath: '/data/result.csv', times: { created: iso(T0), screeningStarted: iso(T0 + 2_000), finished: iso(T0 + 22_000) } },
    );
    // Rates of a finished batch are over its run (to `finished`), not to now.
    expect(batchDetail(done, health, manifest(), T0 + 3_600_000).rate).toEqual({ callsPerSecond: 5, questionsPerSecond: 5, etaSeconds: null });
    const failed = view({ tasks: 200, final: 100, billed: 100, ingestDone: 1 }, { status: 'failed' });
    expect(batchDetail(failed, health, null, T0 + 12_000).rate.etaSeconds).toBeNull();
  });

  it('carries the options, input, counts, errors, health and result', () => {
    const detail = batchDetail(
      view(
        { rows: 100, valid: 98, invalid: 2, duplicates: 3, unique: 95, tasks: 190, final: 190, answered: 180, noRecord: 5, failed: 4, skipped: 1, billed: 150, cacheHits: 30, maybeBilled: 2, ingestDone: 1 },
        {
          status: 'done',
          resultPath: '/data/result.csv',
          errorsByCode: { response_lost: 2, '10012': 4 },
          exhausted: { tenure: 'quota' },
          times: { created: iso(T0), finished: iso(T0 + 60_000) },
        },
      ),
      { idleMs: 5, stuck: true, waits: ['waiting for a worker'] },
      manifest(),
      T0 + 61_000,
    );
    expect(detail.options).toEqual({ profile: 'standard', apis: ['status', 'tenure'], maxCalls: 500, rubric: DEFAULT_RUBRIC.name, plan: 'all' });
    expect(detail.input).toEqual({ name: '名单.csv', bytes: 5120, sha256: 'f'.repeat(64) });
    expect(detail.counts).toEqual({
      rows: 100,
      valid: 98,
      invalid: 2,
      duplicates: 3,
      unique: 95,
      tasks: 190,
      final: 190,
      answered: 180,
      noRecord: 5,
      failed: 4,
      skipped: 1,
      billed: 150,
      cacheHits: 30,
      maybeBilled: 2,
      decided: 0,
      ingestDone: 1,
    });
    expect(detail.errors.map((error) => [error.code, error.count])).toEqual([
      ['10012', 4],
      ['response_lost', 2],
    ]);
    expect(detail.exhausted).toEqual({ tenure: 'quota' });
    expect(detail.waits).toEqual(['waiting for a worker']);
    expect(detail.stuck).toBe(true);
    expect(detail.result).toEqual({ rows: manifest().rows, changes: null });
    expect(detail.levels).toEqual(manifest().rows.by_level);
    expect(detail.progress).toEqual({ done: 190, total: 190, percent: 100, rowsDone: 100 });
    // Never the stored path of the input or the result.
    expect(JSON.stringify(detail)).not.toContain('/data/');
  });

  it('names the plan, and gives each API of the batch its billed calls, cache hits and the calls staging saved', () => {
    const staged = view(
      { tasks: 200, final: 200, answered: 170, decided: 30, billed: 150, cacheHits: 20, 'billed.status': 90, 'billed.tenure': 60, 'cacheHits.status': 10, 'cacheHits.tenure': 10, 'decided.tenure': 30, ingestDone: 1 },
      { options: { ...view().options, plan: 'staged' } },
    );
    const detail = batchDetail(staged, health, null, T0 + 60_000);
    expect(detail.options.plan).toBe('staged');
    expect(detail.counts.decided).toBe(30);
    expect(detail.calls).toEqual([
      { api: 'status', billed: 90, cacheHits: 10, saved: 0 },
      { api: 'tenure', billed: 60, cacheHits: 10, saved: 30 },
    ]);
    // A batch made before plans asked everything at once.
    const old = view();
    delete old.options.plan;
    expect(batchDetail(old, health, null, T0).options.plan).toBe('all');
  });

  it('says null for a batch without a rubric (made before scoring)', () => {
    const old = view();
    delete old.options.rubric;
    expect(batchDetail(old, health, null, T0).options.rubric).toBeNull();
    expect(batchDetail(old, health, null, T0).result).toBeNull();
  });
});

describe('errorsOf', () => {
  it('gives a Juhe code its meaning in English and in Chinese', () => {
    expect(errorsOf({ '10012': 3 })).toEqual([
      { code: '10012', count: 3, meaning: 'the account has used up its calls for this API', meaningZh: '请求超过次数限制' },
    ]);
  });

  it('gives a transport failure its meaning, with no Chinese', () => {
    expect(errorsOf({ response_lost: 2 })).toEqual([
      { code: 'response_lost', count: 2, meaning: 'the connection failed after the request was sent; the answer was lost', meaningZh: null },
    ]);
  });

  it('says plainly when a code is unknown (even one named like an object property)', () => {
    for (const code of ['99999999', 'gremlins', 'constructor', 'toString', '__proto__']) {
      expect(errorsOf({ [code]: 1 })).toEqual([{ code, count: 1, meaning: 'an error riskscreen does not know by this name', meaningZh: null }]);
    }
  });

  it('lists the most frequent first', () => {
    expect(errorsOf({ connect: 1, '10012': 7, response_lost: 3 }).map((error) => error.code)).toEqual(['10012', 'response_lost', 'connect']);
    expect(errorsOf({})).toEqual([]);
  });
});
