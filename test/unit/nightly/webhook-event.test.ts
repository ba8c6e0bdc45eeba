import { describe, expect, it } from 'vitest';
import { emptyCounters, type BatchStatus, type BatchView, type Counters } from '../../../src/engine/batch.js';
import { API_IDS } from '../../../src/juhe/catalogue.js';
import type { ManifestFile, ResultManifest } from '../../../src/report/manifest.js';
import {
  WEBHOOK_EVENTS,
  WEBHOOK_PAYLOAD_VERSION,
  batchEndedPayload,
  batchEventName,
  manifestFiles,
  rejectedPayload,
  testPayload,
  type WebhookFile,
} from '../../../src/nightly/webhook-event.js';

const NOW = new Date('2026-12-06T18:05:00.000Z');
const ID = 'b20261206-180001-k3zq';
/** Hex with no run of 11 digits, so the "no phone number" check tests the payload, not the digests. */
const SHA = (c: string) => `${c}f`.repeat(32);
const ELEVEN_DIGITS = /\d{11}/;

function view(overrides: Partial<BatchView> = {}, counts: Partial<Counters> = {}): BatchView {
  return {
    id: ID,
    status: 'done',
    reason: null,
    input: {
      path: '/var/lib/riskscreen/batches/b/input.csv',
      name: 'customers.csv',
      sha256: SHA('a'),
      bytes: 4096,
      fingerprint: { bytes: 4096, mtimeMs: 1, ino: 2, sha256: SHA('a'), rows: 3, layoutKey: 'k' },
    },
    options: { profile: 'standard', apis: ['status', 'tenure'], input: {}, maxCalls: 500, rates: {} },
    times: { created: '2026-12-06T18:00:01.000Z', finished: '2026-12-06T18:04:00.000Z' },
    resultPath: null,
    counts: { ...emptyCounters(), ...counts },
    errorsByCode: {},
    exhausted: {},
    progressAt: 0,
    holds: {},
    keyChecks: {},
    ...overrides,
  };
}

const file = (name: string, rows: number): ManifestFile => ({ file: name, rows, bytes: 100 + rows, sha256: SHA('b') });

function manifest(extra: { levels?: boolean; changes?: boolean } = {}): ResultManifest {
  const zeros = { low: 0, medium: 0, high: 0, unscored: 0 };
  const m = {
    kind: 'riskscreen.result',
    schema_version: '1',
    batch: { id: ID, status: 'done', reason: null, profile: 'standard', apis: ['status', 'tenure'], max_calls: 500 },
    input: { name: 'customers.csv', sha256: SHA('a'), bytes: 4096, columns: 2, phone_column: { number: 1, name: 'mobile' } },
    result: { ...file('customers.20261207.result.csv', 3), encoding: 'utf8-bom', masked: false },
    files: {
      ...(extra.levels ? { levels: { high: file('customers.20261207.high.csv', 1), low: file('customers.20261207.low.csv', 2) } } : {}),
      ...(extra.changes ? { changes: file('customers.20261207.changes.csv', 2) } : {}),
    },
    rows: {
      total: 3,
      by_status: { screened: 2, partial: 0, invalid: 1, not_screened: 0 },
      by_level: { low: 1, medium: 0, high: 1, unscored: 1 },
      by_status_and_level: {
        screened: { low: 1, medium: 0, high: 1, unscored: 0 },
        partial: { ...zeros },
        invalid: { ...zeros, unscored: 1 },
        not_screened: { ...zeros },
      },
    },
    calls: {
      billable_total: 0,
      billable_by_api: {},
      cache_hits_total: 0,
      cache_hits_by_api: {},
      maybe_billed_total: 0,
      maybe_billed_by_api: {},
    },
    errors_by_code: {},
    ...(extra.changes ? { changes: { new: 1, level_up: 1, level_down: 0, unchanged: 1, gone: 0, compared_with: { name: 'customers.20261206.result.csv', sha256: SHA('c') } } } : {}),
    rubric: { name: 'default', digest: 'abcdefabcdefabcd' },
    options: { rates: {}, input: {}, output: { encoding: 'utf8-bom', mask: false, split: false, compare: null } },
    times: {
      created: '2026-12-06T18:00:01.000Z',
      ingest_started: null,
      screening_started: null,
      reporting_started: null,
      result_written: '2026-12-06T18:04:00.000Z',
      files_written: '2026-12-06T18:04:01.000Z',
    },
  };
  return m as unknown as ResultManifest;
}

describe('batchEventName', () => {
  it('is batch.done for a done batch that nothing stopped', () => {
    expect(batchEventName(view())).toBe('batch.done');
    expect(batchEventName(view({}, { skipped: 4 }))).toBe('batch.done');
  });

  it('is batch.limited for a done batch stopped by --max-calls or a spent quota', () => {
    expect(batchEventName(view({}, { skippedMaxCalls: 1 }))).toBe('batch.limited');
    expect(batchEventName(view({ exhausted: { status: 'quota spent (10012)' } }))).toBe('batch.limited');
  });

  it('is batch.<status> for a failed, cancelled or blocked batch, limited or not', () => {
    expect(batchEventName(view({ status: 'failed' }))).toBe('batch.failed');
    expect(batchEventName(view({ status: 'cancelled' }, { skippedMaxCalls: 3 }))).toBe('batch.cancelled');
    expect(batchEventName(view({ status: 'blocked', exhausted: { tenure: 'quota' } }))).toBe('batch.blocked');
    for (const name of ['batch.done', 'batch.limited', 'batch.failed', 'batch.cancelled', 'batch.blocked']) expect(WEBHOOK_EVENTS).toContain(name);
  });

  it('throws for a batch that has not ended', () => {
    for (const status of ['queued', 'ingesting', 'screening', 'reporting'] as BatchStatus[]) {
      expect(() => batchEventName(view({ status }))).toThrow(`batch ${ID} has not ended (${status})`);
    }
  });
});

describe('batchEndedPayload', () => {
  const calls = {
    billed: 7,
    'billed.status': 3,
    'billed.tenure': 4,
    cacheHits: 5,
    'cacheHits.status': 2,
    'cacheHits.tenure': 3,
    maybeBilled: 1,
    'maybeBilled.status': 1,
  };

  it('says how the batch ended, with rows, calls by API, changes and files', () => {
    const files: WebhookFile[] = [{ role: 'result', format: 'csv', name: 'customers.20261207.result.csv', path: '/out/customers.20261207.result.csv', bytes: 103, sha256: SHA('b'), rows: 3 }];
    const m = manifest({ changes: true });
    const payload = batchEndedPayload({ view: view({}, calls), schedule: 'nightly', manifest: m, files, notes: ['a note'], now: NOW });
    expect(payload).toEqual({
      version: WEBHOOK_PAYLOAD_VERSION,
      event: 'batch.done',
      delivery_id: `${ID}.ended`,
      created: NOW.toISOString(),
      schedule: 'nightly',
      batch: {
        id: ID,
        status: 'done',
        reason: null,
        profile: 'standard',
        plan: 'all',
        max_calls: 500,
        created: '2026-12-06T18:00:01.000Z',
        finished: '2026-12-06T18:04:00.000Z',
      },
      input: { name: 'customers.csv', sha256: SHA('a'), bytes: 4096 },
      rows: { total: 3, by_status: m.rows.by_status, by_level: m.rows.by_level, by_status_and_level: m.rows.by_status_and_level },
      calls: {
        billable_total: 7,
        billable_by_api: { status: 3, tenure: 4, tenureCmcc: 0, resale: 0, callDuration: 0 },
        cache_hits_total: 5,
        cache_hits_by_api: { status: 2, tenure: 3, tenureCmcc: 0, resale: 0, callDuration: 0 },
        maybe_billed_total: 1,
        saved_by_staging_total: 0,
        saved_by_staging_by_api: { status: 0, tenure: 0, tenureCmcc: 0, resale: 0, callDuration: 0 },
      },
      changes: m.changes,
      files,
      notes: ['a note'],
      rejected: null,
      tick: null,
    });
    expect(Object.keys(payload.calls!.billable_by_api)).toEqual([...API_IDS]);
    expect(payload.files).toBe(files);
  });

  it('names the plan and the calls staging saved by API (a batch made before plans: all, nothing saved)', () => {
    const staged = view({ options: { ...view().options, plan: 'staged' } }, { ...calls, decided: 6, 'decided.tenure': 6 });
    const payload = batchEndedPayload({ view: staged, schedule: 'nightly', manifest: manifest(), files: [], notes: [], now: NOW });
    expect(payload.batch?.plan).toBe('staged');
    expect(payload.calls).toMatchObject({ billable_total: 7, saved_by_staging_total: 6, saved_by_staging_by_api: { status: 0, tenure: 6, tenureCmcc: 0, resale: 0, callDuration: 0 } });
    const before = batchEndedPayload({ view: view({}, calls), schedule: null, manifest: null, files: [], notes: [], now: NOW });
    expect(before.batch?.plan).toBe('all');
    expect(before.calls?.saved_by_staging_total).toBe(0);
  });

  it('has no rows, no changes and no finish time when the batch has none', () => {
    const { finished: _finished, ...times } = view().times;
    const payload = batchEndedPayload({ view: view({ status: 'failed', reason: 'the input could not be read', times }), schedule: null, manifest: null, files: [], notes: [], now: NOW });
    expect(payload).toMatchObject({ event: 'batch.failed', schedule: null, rows: null, changes: null, files: [], batch: { status: 'failed', reason: 'the input could not be read', finished: null } });
    expect(batchEndedPayload({ view: view(), schedule: null, manifest: manifest(), files: [], notes: [], now: NOW }).changes).toBeNull();
  });

  it('is the same for the same facts, so every retry sends the same body', () => {
    const facts = { view: view({}, calls), schedule: 'nightly', manifest: manifest({ changes: true }), files: [], notes: [], now: NOW };
    expect(JSON.stringify(batchEndedPayload(facts))).toBe(JSON.stringify(batchEndedPayload(facts)));
  });

  it('never carries a phone number, even when the reason or the input file name quotes one', () => {
    const named = view({ status: 'cancelled', reason: 'cancelled after row 2 (13800138000) and +86 139-0013-9000' }, calls);
    named.input.name = '客户13900139000.csv';
    const payload = batchEndedPayload({
      view: named,
      schedule: 'nightly',
      manifest: manifest({ changes: true, levels: true }),
      files: manifestFiles(manifest({ changes: true, levels: true }), '/srv/outbox', '/srv/outbox/customers.20261207.result.manifest.json', 900, SHA('d')),
      notes: [],
      now: NOW,
    });
    expect(payload.batch?.reason).toBe('cancelled after row 2 (138****8000) and +86 139-****-9000');
    expect(payload.input?.name).toBe('客户139****9000.csv');
    const text = JSON.stringify(payload);
    expect(text).not.toMatch(ELEVEN_DIGITS);
    expect(text).not.toContain('13800138000');
  });
});

describe('manifestFiles', () => {
  it('lists the result, the changes, each level and the manifest, in the folder, each with the format (csv when the manifest names none)', () => {
    const files = manifestFiles(manifest({ changes: true, levels: true }), '/srv/outbox', '/srv/outbox/customers.20261207.result.manifest.json', 900, SHA('d'));
    expect(files).toEqual([
      { role: 'result', format: 'csv', name: 'customers.20261207.result.csv', path: '/srv/outbox/customers.20261207.result.csv', bytes: 103, sha256: SHA('b'), rows: 3 },
      { role: 'changes', format: 'csv', name: 'customers.20261207.changes.csv', path: '/srv/outbox/customers.20261207.changes.csv', bytes: 102, sha256: SHA('b'), rows: 2 },
      { role: 'high', format: 'csv', name: 'customers.20261207.high.csv', path: '/srv/outbox/customers.20261207.high.csv', bytes: 101, sha256: SHA('b'), rows: 1 },
      { role: 'low', format: 'csv', name: 'customers.20261207.low.csv', path: '/srv/outbox/customers.20261207.low.csv', bytes: 102, sha256: SHA('b'), rows: 2 },
      { role: 'manifest', format: 'csv', name: 'customers.20261207.result.manifest.json', path: '/srv/outbox/customers.20261207.result.manifest.json', bytes: 900, sha256: SHA('d'), rows: null },
    ]);
  });

  it('gives another format’s files and manifest that format', () => {
    const m = manifest({ changes: true });
    const xlsx: ResultManifest = {
      ...m,
      result: { ...file('customers.20261207.result.xlsx', 3), format: 'xlsx', encoding: 'utf8-bom', masked: false, sheets: [{ name: '结果', rows: 3 }] },
      files: { changes: file('customers.20261207.changes.xlsx', 2) },
    };
    const files = manifestFiles(xlsx, '/srv/outbox', '/srv/outbox/customers.20261207.result.xlsx.manifest.json', 800, SHA('c'));
    expect(files.map((f) => [f.role, f.format, f.name])).toEqual([
      ['result', 'xlsx', 'customers.20261207.result.xlsx'],
      ['changes', 'xlsx', 'customers.20261207.changes.xlsx'],
      ['manifest', 'xlsx', 'customers.20261207.result.xlsx.manifest.json'],
    ]);
  });

  it('is the result and the manifest alone without --split or an earlier run; size and digest may be unknown', () => {
    const files = manifestFiles(manifest(), '/srv/outbox', '/srv/outbox/x.manifest.json', null, null);
    expect(files.map((f) => [f.role, f.path])).toEqual([
      ['result', '/srv/outbox/customers.20261207.result.csv'],
      ['manifest', '/srv/outbox/x.manifest.json'],
    ]);
    expect(files[1]).toMatchObject({ name: 'x.manifest.json', bytes: null, sha256: null, rows: null });
  });
});

describe('rejectedPayload', () => {
  const facts = {
    schedule: 'nightly',
    file: 'broken.csv',
    sha256: SHA('e'),
    bytes: 77,
    problem: 'line 3: "13800138000x" is not a number; 8613900139000 neither',
    movedTo: '/srv/inbox/rejected/broken.csv',
    errorFile: '/srv/inbox/rejected/broken.csv.error.txt',
    deliveryId: 'nightly.abc123.rejected',
    now: NOW,
  };

  it('says which file was rejected, why (numbers masked) and where it went; no batch, nothing billed', () => {
    const payload = rejectedPayload(facts);
    expect(payload).toEqual({
      version: WEBHOOK_PAYLOAD_VERSION,
      event: 'file.rejected',
      delivery_id: 'nightly.abc123.rejected',
      created: NOW.toISOString(),
      schedule: 'nightly',
      batch: null,
      input: { name: 'broken.csv', sha256: SHA('e'), bytes: 77 },
      rows: null,
      calls: null,
      changes: null,
      files: [],
      notes: [expect.stringMatching(/nothing was screened and nothing was billed/)],
      rejected: {
        file: 'broken.csv',
        problem: 'line 3: "138****8000x" is not a number; 86139****9000 neither',
        moved_to: '/srv/inbox/rejected/broken.csv',
        error_file: '/srv/inbox/rejected/broken.csv.error.txt',
      },
      tick: null,
    });
    expect(JSON.stringify(payload)).not.toMatch(ELEVEN_DIGITS);
  });

  it('has no input when the file could not even be hashed', () => {
    expect(rejectedPayload({ ...facts, sha256: null }).input).toBeNull();
  });
});

describe('testPayload', () => {
  it('is a webhook.test event with the delivery id given and nothing else', () => {
    expect(testPayload('test.0a1b2c', NOW)).toEqual({
      version: 1,
      event: 'webhook.test',
      delivery_id: 'test.0a1b2c',
      created: NOW.toISOString(),
      schedule: null,
      batch: null,
      input: null,
      rows: null,
      calls: null,
      changes: null,
      files: [],
      notes: [expect.stringMatching(/riskscreen webhook test/)],
      rejected: null,
      tick: null,
    });
    expect(Math.abs(Date.parse(testPayload('x').created) - Date.now())).toBeLessThan(5_000);
  });
});
