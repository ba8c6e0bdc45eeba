/**
 * The batch's own manifest, from a hand-made BatchView: the plan it asked with and the
 * calls staging saved, by API, beside the billed calls (schema 1.2).
 */
import { describe, expect, it } from 'vitest';
import { emptyCounters, type BatchView, type Counters } from '../../../src/engine/batch.js';
import { API_IDS } from '../../../src/juhe/catalogue.js';
import { batchManifest, callsOf, manifestPlan, RowTally, type ResultManifest } from '../../../src/report/manifest.js';
import { RESULT_SCHEMA_VERSION } from '../../../src/report/result-row.js';

function view(options: Partial<BatchView['options']> = {}, counts: Partial<Counters> = {}): BatchView {
  return {
    id: 'b20261206-180001-k3zq',
    status: 'done',
    reason: null,
    input: {
      path: '/data/batches/b/input.csv',
      name: 'list.csv',
      sha256: 'a'.repeat(64),
      bytes: 4096,
      fingerprint: { bytes: 4096, mtimeMs: 1, ino: 2, sha256: 'a'.repeat(64), rows: 3, layoutKey: 'k' },
    },
    options: { profile: 'standard', apis: ['status', 'tenure', 'resale', 'callDuration'], input: {}, maxCalls: null, rates: {}, ...options },
    times: { created: '2026-12-06T18:00:01.000Z', finished: '2026-12-06T18:04:00.000Z' },
    resultPath: null,
    counts: { ...emptyCounters(), ...counts },
    errorsByCode: {},
    exhausted: {},
    progressAt: 0,
    holds: {},
    keyChecks: {},
  };
}

/** 100 numbers, 20 of them not in service: their 20 tenure, 15 resale and 5 call-minutes questions were decided. */
const STAGED: Partial<Counters> = {
  billed: 100 + 80 + 60 + 20,
  'billed.status': 100,
  'billed.tenure': 80,
  'billed.resale': 60,
  'billed.callDuration': 20,
  decided: 40,
  'decided.tenure': 20,
  'decided.resale': 15,
  'decided.callDuration': 5,
};

function manifestOf(v: BatchView): ResultManifest {
  const file = { path: '/data/batches/b/result.csv', name: 'result.csv', rows: 0, bytes: 10, sha256: 'b'.repeat(64) };
  return batchManifest(v, { status: 'done', reason: null }, { result: file, rows: new RowTally().counts, columns: 1, phoneColumn: { number: 1, name: null }, written: '2026-12-06T18:04:00.000Z' });
}

describe('callsOf', () => {
  it('has the calls staging saved, in all and by API, beside the billed calls', () => {
    const calls = callsOf(view({ plan: 'staged' }, STAGED));
    expect(calls.billable_total).toBe(260);
    expect(calls.saved_by_staging_total).toBe(40);
    expect(calls.saved_by_staging_by_api).toEqual({ status: 0, tenure: 20, tenureCmcc: 0, resale: 15, callDuration: 5 });
    expect(Object.keys(calls.saved_by_staging_by_api)).toEqual([...API_IDS]);
    expect(Object.values(calls.saved_by_staging_by_api).reduce((a, b) => a + b, 0)).toBe(calls.saved_by_staging_total);
  });

  it('saved nothing under all', () => {
    const calls = callsOf(view({ plan: 'all' }, { billed: 300, 'billed.status': 100, 'billed.tenure': 100, 'billed.resale': 100 }));
    expect(calls.saved_by_staging_total).toBe(0);
    expect(Object.values(calls.saved_by_staging_by_api)).toEqual(API_IDS.map(() => 0));
  });
});

describe('batchManifest', () => {
  it('is schema 1.2 and names the plan in its options, with the saving in its calls', () => {
    const manifest = manifestOf(view({ plan: 'staged' }, STAGED));
    expect(manifest.schema_version).toBe(RESULT_SCHEMA_VERSION);
    expect(RESULT_SCHEMA_VERSION).toBe('1.2');
    expect(manifest.options.plan).toBe('staged');
    expect(manifest.calls).toMatchObject({ saved_by_staging_total: 40, saved_by_staging_by_api: { tenure: 20, resale: 15, callDuration: 5 } });
    expect(manifestPlan(manifest)).toBe('staged');
  });

  it('says all for a batch made before plans (it asked everything), and for --plan all', () => {
    expect(manifestOf(view()).options.plan).toBe('all');
    expect(manifestOf(view({ plan: 'all' })).options.plan).toBe('all');
  });
});

describe('manifestPlan', () => {
  it('reads a manifest written before plans as all', () => {
    const old = { options: { rates: {}, input: {}, output: { encoding: 'utf8-bom', mask: false, split: false, compare: null } } } as Pick<ResultManifest, 'options'>;
    expect(manifestPlan(old)).toBe('all');
  });
});
