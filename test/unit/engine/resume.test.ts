import { describe, expect, it } from 'vitest';
import { emptyCounters, type BatchStatus, type BatchView, type Plan } from '../../../src/engine/batch.js';
import { resumableBatches } from '../../../src/engine/resume.js';
import { DEFAULT_RUBRIC } from '../../../src/risk/index.js';

function view(id: string, overrides: { status?: BatchStatus; sha256?: string; profile?: string; input?: object; maxCalls?: number | null; resultPath?: string | null; plan?: Plan | null } = {}): BatchView {
  const sha256 = overrides.sha256 ?? 'aa'.repeat(32);
  return {
    id,
    status: overrides.status ?? 'screening',
    reason: null,
    input: { path: '/d/input.csv', name: 'list.csv', sha256, bytes: 10, fingerprint: { bytes: 10, mtimeMs: 0, ino: 1, sha256, rows: 3, layoutKey: 'k' } },
    options: { profile: overrides.profile ?? 'status', apis: ['status'], input: overrides.input ?? { column: 'mobile', since: undefined }, maxCalls: overrides.maxCalls ?? null, rates: { status: 5 }, rubric: DEFAULT_RUBRIC, ...(overrides.plan === null ? {} : { plan: overrides.plan ?? 'staged' }) },
    times: { created: '2026-12-06T00:00:00.000Z' },
    resultPath: overrides.resultPath ?? null,
    counts: emptyCounters(),
    errorsByCode: {},
    exhausted: {},
    progressAt: 0,
    holds: {},
    keyChecks: {},
  };
}

const request = { sha256: 'aa'.repeat(32), input: { column: 'mobile' }, profile: 'status', maxCalls: null, rubric: DEFAULT_RUBRIC };

describe('resumableBatches', () => {
  it('finds unended batches of the same bytes and questions, newest first, whatever the key order of the options or the rates', () => {
    const found = resumableBatches([view('b20261206-000001-aaaa'), view('b20261206-000002-aaaa', { input: { since: undefined, column: 'mobile' } })], request);
    expect(found.map((b) => b.id)).toEqual(['b20261206-000002-aaaa', 'b20261206-000001-aaaa']);
  });

  it('leaves out ended batches, reported ones, other bytes, other profiles, other input options, other --max-calls, other plans', () => {
    const batches = [
      view('b1', { status: 'done' }),
      view('b2', { status: 'cancelled' }),
      view('b3', { resultPath: '/d/result.csv' }),
      view('b4', { sha256: 'bb'.repeat(32) }),
      view('b5', { profile: 'basic' }),
      view('b6', { input: { column: 'phone' } }),
      view('b7', { maxCalls: 10 }),
      view('b8', { plan: 'all' }),
      view('b9', { plan: null }),
    ];
    expect(resumableBatches(batches, request)).toEqual([]);
  });

  it('a plan is part of the questions: a batch stored before plans asked everything, so an `all` run resumes it', () => {
    const batches = [view('b1', { plan: null }), view('b2', { plan: 'staged' }), view('b3', { plan: 'all' })];
    expect(resumableBatches(batches, { ...request, plan: 'all' }).map((b) => b.id)).toEqual(['b3', 'b1']);
    expect(resumableBatches(batches, { ...request, plan: 'staged' }).map((b) => b.id)).toEqual(['b2']);
  });
});
