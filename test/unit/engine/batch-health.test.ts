/** What `status` says a batch waits for, and when it is flagged stuck (pure: facts in, words out). */
import { describe, expect, it } from 'vitest';
import { emptyCounters, type BatchStatus, type BatchView } from '../../../src/engine/batch.js';
import { diagnoseBatch, type BatchFacts } from '../../../src/engine/batch-health.js';
import type { ApiId } from '../../../src/juhe/catalogue.js';
import { DEFAULT_RUBRIC } from '../../../src/risk/index.js';

const NOW = Date.UTC(2026, 11, 6, 2, 0, 0);

function view(status: BatchStatus, overrides: Partial<BatchView> = {}, counts: Partial<BatchView['counts']> = {}): BatchView {
  return {
    id: 'b20261206-020000-abcd',
    status,
    reason: null,
    input: { path: '/x', name: 'list.csv', sha256: '0', bytes: 1, fingerprint: {} as never },
    options: { profile: 'basic', apis: ['status', 'tenure'] as ApiId[], input: {}, maxCalls: null, rates: {} },
    times: { created: new Date(NOW - 60_000).toISOString() },
    resultPath: null,
    counts: { ...emptyCounters(), ...counts },
    errorsByCode: {},
    exhausted: {},
    progressAt: NOW - 1_000,
    holds: {},
    keyChecks: {},
    ...overrides,
  };
}

function facts(overrides: Partial<BatchFacts> = {}): BatchFacts {
  return {
    now: NOW,
    workers: { ingest: 1, report: 1, api: { status: 1, tenure: 1 } },
    gateWaitMs: {},
    rates: { status: 20, tenure: 20 },
    stuckAfterMs: 600_000,
    pendingApiJobs: 0,
    maxWaiting: 20_000,
    ...overrides,
  };
}

const screening = { ingestDone: 1, tasks: 200, final: 50, 'tasks.status': 100, 'final.status': 40, 'tasks.tenure': 100, 'final.tenure': 10 };

describe('diagnoseBatch', () => {
  it('says nothing of a batch that moves and has what it needs', () => {
    expect(diagnoseBatch(view('screening', {}, screening), facts())).toEqual({ idleMs: 1_000, stuck: false, waits: [] });
  });

  it('names the queue with no worker alive, and what is left for it', () => {
    const health = diagnoseBatch(view('screening', {}, screening), facts({ workers: { ingest: 1, report: 1, api: { status: 1, tenure: 0 } } }));
    expect(health.waits).toEqual([
      'no worker is running for the api-tenure queue (tenure on the network, 90 questions left): start one with riskscreen worker, or check why the workers stopped',
    ]);
    const queued = diagnoseBatch(view('queued'), facts({ workers: { ingest: 0, report: 0, api: {} } }));
    expect(queued.waits[0]).toMatch(/^no worker is running for the ingest queue \(it reads the list/);
  });

  it('says when reading the list waits for the API queues to drain (RISKSCREEN_MAX_WAITING)', () => {
    expect(diagnoseBatch(view('ingesting'), facts({ pendingApiJobs: 25_000 })).waits[0]).toBe(
      'reading the list waits while the API queues hold 25,000 questions (RISKSCREEN_MAX_WAITING is 20,000); it reads on as they are answered',
    );
  });

  it('says until when the service holds an API (10011) or a number (224924), in China time', () => {
    const held = view(
      'screening',
      { holds: { status: [{ code: 10011, until: NOW + 30_000 }, { code: 224924, until: NOW + 60_000 }], tenure: [{ code: 224924, until: NOW - 1 }] } },
      screening,
    );
    expect(diagnoseBatch(held, facts()).waits).toEqual([
      'status (line status): the service said too many requests (10011): the whole API waits until 10:00:30 (30 s from now)',
      'status (line status): the service said a number was asked too often (224924): that number waits until 10:01:00 (60 s from now)',
    ]);
  });

  it('says when an API waits for its first call of the batch (the key check)', () => {
    const checking = view('screening', { keyChecks: { tenure: NOW + 90_000, status: NOW - 1 } }, screening);
    expect(diagnoseBatch(checking, facts()).waits).toEqual([
      'tenure (tenure on the network): its first call (the key check) is out; the other calls wait for its answer',
    ]);
  });

  it('says when calls wait for the rate gate, a spent quota and a reached --max-calls', () => {
    const health = diagnoseBatch(
      view('screening', { exhausted: { tenure: 'tenure: quota (10012)' }, options: { ...view('screening').options, maxCalls: 50 } }, { ...screening, reserved: 50 }),
      facts({ gateWaitMs: { status: 12_000 } }),
    );
    expect(health.waits).toEqual([
      'status (line status): waiting for the rate gate, the next call slot is in 12 s (20 calls/s shared by every batch)',
      'tenure (tenure on the network): the quota is spent, its other questions are skipped (tenure: quota (10012))',
      '--max-calls 50 is reached: the questions left are skipped',
    ]);
  });

  it('flags a batch with no progress for RISKSCREEN_STUCK_AFTER as stuck, with the reason or that none was found', () => {
    const idle = view('screening', { progressAt: NOW - 700_000 }, screening);
    expect(diagnoseBatch(idle, facts({ workers: { ingest: 1, report: 1, api: { status: 0, tenure: 1 } } }))).toMatchObject({
      stuck: true,
      idleMs: 700_000,
      waits: [expect.stringMatching(/^no worker is running for the api-status queue/)],
    });
    expect(diagnoseBatch(idle, facts()).waits).toEqual([
      "no cause found: workers are alive and nothing holds the batch; look at the workers' logs (a worker may be hung)",
    ]);
    expect(diagnoseBatch(view('done', { progressAt: NOW - 700_000 }), facts()).stuck).toBe(false);
  });

  it('a cancelled or blocked batch has not ended until its report is written: it still needs its workers', () => {
    const blocked = view('blocked', { reason: 'Juhe refused the account' }, screening);
    expect(diagnoseBatch(blocked, facts({ workers: { ingest: 1, report: 1, api: { status: 1, tenure: 0 } } })).waits).toEqual([
      'no worker is running for the api-tenure queue (tenure on the network, 90 questions left to mark as not asked): start one with riskscreen worker, or check why the workers stopped',
    ]);
    expect(diagnoseBatch({ ...blocked, resultPath: '/data/result.csv' }, facts({ workers: { ingest: 0, report: 0, api: {} } })).waits).toEqual([]);
  });

  describe('the staged plan', () => {
    const staged = (status: BatchStatus, overrides: Partial<BatchView> = {}, counts: Partial<BatchView['counts']> = screening) =>
      view(status, { options: { ...view(status).options, plan: 'staged', rubric: DEFAULT_RUBRIC }, ...overrides }, counts);
    const waiting = 'tenure (tenure on the network): up to 60 of its 90 questions left wait for their numbers\' line status answers (staged plan: each is asked only when that answer leaves the level open)';

    it('says that the questions of the other APIs wait for line status answers: up to as many as line status has left', () => {
      expect(diagnoseBatch(staged('screening'), facts())).toEqual({ idleMs: 1_000, stuck: false, waits: [waiting] });
      // Before the list is read to the end, nothing is counted yet.
      expect(diagnoseBatch(staged('ingesting', {}, {}), facts()).waits).toEqual([
        "tenure (tenure on the network): its questions wait for their numbers' line status answers (staged plan: each is asked only when that answer leaves the level open)",
      ]);
    });

    it('says nothing of it once every line status question has a result, under all, or with a rubric whose rules decide nothing', () => {
      expect(diagnoseBatch(staged('screening', {}, { ...screening, final: 110, 'final.status': 100 }), facts()).waits).toEqual([]);
      expect(diagnoseBatch(view('screening', { options: { ...view('screening').options, plan: 'all' } }, screening), facts()).waits).toEqual([]);
      const noRules = { ...DEFAULT_RUBRIC, hardRules: [] };
      expect(diagnoseBatch(staged('screening', { options: { ...view('screening').options, plan: 'staged', rubric: noRules } }), facts()).waits).toEqual([]);
    });

    it('waiting for line status is not a cause: a stuck batch still says what holds line status, or that nothing was found', () => {
      const idle = staged('screening', { progressAt: NOW - 700_000 });
      expect(diagnoseBatch(idle, facts({ workers: { ingest: 1, report: 1, api: { status: 0, tenure: 1 } } })).waits).toEqual([
        expect.stringMatching(/^no worker is running for the api-status queue \(line status, 60 questions left\)/),
        waiting,
      ]);
      expect(diagnoseBatch(idle, facts())).toMatchObject({
        stuck: true,
        waits: [waiting, "no cause found: workers are alive and nothing holds the batch; look at the workers' logs (a worker may be hung)"],
      });
    });
  });

  it('waits for the report worker once every question has a result', () => {
    const all = view('screening', {}, { ...screening, final: 200, 'final.status': 100, 'final.tenure': 100 });
    expect(diagnoseBatch(all, facts({ workers: { ingest: 1, report: 0, api: { status: 1, tenure: 1 } } })).waits).toEqual([
      'no worker is running for the report queue (it writes the result file): start one with riskscreen worker, or check why the workers stopped',
    ]);
  });
});
