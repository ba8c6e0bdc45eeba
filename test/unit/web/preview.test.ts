/**
 * The preview's plan figures: both plans' upper bound, the expected staged bill from the
 * line statuses the cache knows under the rubric asked for, and the rubric looked up by
 * id as the run request takes it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveEngineKeys, numberHash } from '../../../src/engine/keys.js';
import { MemoryResultCache } from '../../../src/engine/memory-store.js';
import { encodeTaskResult } from '../../../src/engine/task-result.js';
import { DEFAULT_RUBRIC, type Rubric } from '../../../src/risk/index.js';
import { previewRubricOf, previewUpload } from '../../../src/web/preview.js';
import type { Upload } from '../../../src/web/uploads.js';

const keys = deriveEngineKeys('unit-test-secret', undefined);
const NO_RULES: Rubric = { ...DEFAULT_RUBRIC, name: 'no-rules', hardRules: [] };
let dir = '';
let upload: Upload;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-preview-'));
  const path = join(dir, 'list.csv');
  // China Unicom numbers: status, tenure and (dated) resale each; the China Telecom one call minutes too.
  const text = ['手机号,注册日期', '18600000001,2023-01-05', '18900000002,2023-01-05', '18600000003,2023-01-05', '18600000004,', ''].join('\n');
  await writeFile(path, text);
  upload = { id: 'u0123456789abcdef01234567', name: 'list.csv', bytes: text.length, sha256: '', user: 'otto', created: '', path };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cache(): Promise<MemoryResultCache> {
  const store = new MemoryResultCache();
  const status = (value: 'inactive' | 'pre_cancel' | 'normal') => encodeTaskResult('status', { kind: 'answered', signals: { lineStatus: { value, raw: '0' } } });
  await store.set('status', numberHash(keys, '18600000001', null), status('inactive'), 600);
  await store.set('status', numberHash(keys, '18900000002', null), status('pre_cancel'), 600);
  await store.set('status', numberHash(keys, '18600000003', null), status('normal'), 600);
  return store;
}

describe('previewUpload: the plans', () => {
  it('gives both plans the same upper bound, and the staged bill less what the known deciding line statuses leave unasked', async () => {
    const preview = await previewUpload(upload, {}, 'standard', { store: await cache(), keys }, { rubric: DEFAULT_RUBRIC, plan: 'all' });
    // status 4, tenure 4, resale 3, callDuration 1.
    expect(preview.billableUpperBound).toBe(12);
    expect(preview.cacheSaves).toBe(3);
    expect(preview.plan).toBe('all');
    expect(preview.plans.all).toMatchObject({ upperBound: 12, expected: 9 });
    // 186…01: tenure and resale; 189…02: tenure, resale and call minutes.
    expect(preview.plans.staged).toMatchObject({ upperBound: 12, expected: 4 });
    expect(preview.staging).toMatchObject({ rubric: 'default', numbers: 4, known: 3, knownFromCache: 3, deciding: 2, savedTotal: 5 });
    expect(preview.staging.saved).toMatchObject({ tenure: 2, resale: 2, callDuration: 1 });
  });

  it('under a rubric without hard rules, staged expects what all expects', async () => {
    const preview = await previewUpload(upload, {}, 'standard', { store: await cache(), keys }, { rubric: NO_RULES });
    expect(preview.plan).toBe('staged');
    expect(preview.staging).toMatchObject({ rubric: 'no-rules', decidingValues: [], savedTotal: 0 });
    expect(preview.plans.staged).toEqual(preview.plans.all);
  });

  it('without a cache, both plans expect the upper bound', async () => {
    const preview = await previewUpload(upload, {}, 'standard', null);
    expect(preview.cached).toBeNull();
    expect(preview.plans.all.expected).toBe(12);
    expect(preview.plans.staged.expected).toBe(12);
    expect(preview.staging).toMatchObject({ known: 0, decidingValues: ['inactive', 'pre_cancel'] });
  });
});

describe('previewRubricOf', () => {
  const rubrics = [
    { id: 'default', name: 'default', rubric: DEFAULT_RUBRIC },
    { id: 'lenient', name: 'no-rules', rubric: NO_RULES },
  ];
  it('takes a rubric by id, the default when none is given, and names an unknown one', () => {
    expect(previewRubricOf(undefined, rubrics)).toBe(DEFAULT_RUBRIC);
    expect(previewRubricOf('', rubrics)).toBe(DEFAULT_RUBRIC);
    expect(previewRubricOf('lenient', rubrics)).toBe(NO_RULES);
    expect(() => previewRubricOf('nope', rubrics)).toThrow(expect.objectContaining({ code: 'RISKSCREEN_BAD_OPTION', message: expect.stringMatching(/^rubric: no rubric "nope" on this server; it offers default, lenient/) }));
  });
});
