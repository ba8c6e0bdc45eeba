/**
 * `estimateBatch` counts questions without planning tasks, and hashes only what it looks
 * up in a cache. Its answer must be the one of planning every record the way ingest does
 * (planRecord, ResaleQuestionsSeen) and looking every counted question up: checked here
 * on a list with repeated numbers under several dates, rows without dates, bad dates and
 * invalid rows, for every profile, with and without a cache. The plans' bills: exact on a
 * small list whose line statuses the cache and an earlier result know, and, on the big
 * list, the same as simulating what ingest and the API jobs do under `staged`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateBatch } from '../../../src/engine/estimate.js';
import { deriveEngineKeys, numberHash } from '../../../src/engine/keys.js';
import { MemoryResultCache } from '../../../src/engine/memory-store.js';
import { planRecord, ResaleQuestionsByRow, ResaleQuestionsSeen } from '../../../src/engine/plan.js';
import { PROFILES, resolveProfile } from '../../../src/engine/profiles.js';
import { StagePlanner } from '../../../src/engine/stages.js';
import type { ResultCache } from '../../../src/engine/store.js';
import { decodeTaskResult, encodeTaskResult } from '../../../src/engine/task-result.js';
import { readPhoneList } from '../../../src/input/reader.js';
import { API_IDS, type ApiId } from '../../../src/juhe/catalogue.js';
import { LINE_STATUSES, type LineStatus } from '../../../src/juhe/model.js';
import { DEFAULT_RUBRIC, type Rubric } from '../../../src/risk/index.js';

const keys = deriveEngineKeys('unit-test-secret', undefined);
let dir = '';
let file = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-estimate-'));
  file = join(dir, 'list.csv');
  // 3,000 rows over 400 numbers of every carrier, so most numbers come back, often with
  // another date or none; some rows invalid, some dates bad.
  const prefixes = ['138', '186', '189', '192', '133', '150', '147', '177'];
  const dates = ['2023-01-05', '2023-01-05', '2024-02-29', '', '20220101', 'soon'];
  let text = '手机号,姓名,注册日期\n';
  let state = 99;
  const next = (n: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
  for (let i = 0; i < 3000; i++) {
    const k = next(400);
    const phone = next(50) === 0 ? '010-12345678' : `${prefixes[k % prefixes.length]}${String(10_000_000 + k * 7919).slice(-8)}`;
    text += `${phone},客户${i},${dates[next(dates.length)]}\n`;
  }
  await writeFile(file, text);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A cache that holds an answer for about a third of the keys, recording every lookup. */
function cacheHoldingSome(): ResultCache & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    async get(api: ApiId, hash: string) {
      lookups.push(`${api}.${hash}`);
      return hash.charCodeAt(0) % 3 === 0 ? 'answer' : null;
    },
    async countCached(api: ApiId, hashes: readonly string[]) {
      let n = 0;
      for (const hash of hashes) if ((await this.get(api, hash)) !== null) n++;
      return n;
    },
    async getMany(api: ApiId, hashes: readonly string[]) {
      const values: (string | null)[] = [];
      for (const hash of hashes) values.push(await this.get(api, hash));
      return values;
    },
    async set() {},
  };
}

/** The estimate as planning every record would give it (what ingest and report do). */
async function byPlanning(profileName: string, cache: (ResultCache & { lookups: string[] }) | null) {
  const profile = resolveProfile(profileName);
  const questions = Object.fromEntries(API_IDS.map((api) => [api, 0])) as Record<ApiId, number>;
  const cached = Object.fromEntries(API_IDS.map((api) => [api, 0])) as Record<ApiId, number>;
  const seen = new ResaleQuestionsSeen();
  const reader = await readPhoneList(file);
  for await (const record of reader) {
    if (!record.mobile) continue;
    for (const task of planRecord(record, profile, keys)) {
      if (task.api === 'resale' ? !seen.add(record.mobile, task.date!) : record.status !== 'valid') continue;
      questions[task.api]++;
      if (cache && (await cache.get(task.api, task.hash))) cached[task.api]++;
    }
  }
  return { counts: reader.counts(), questions, cached: cache ? cached : null };
}

describe('estimateBatch', () => {
  it.each(Object.keys(PROFILES).concat(['resale', 'status,resale,callDuration']))('counts what planning every record counts (profile %s)', async (profile) => {
    const expected = await byPlanning(profile, null);
    const estimate = await estimateBatch(file, {}, profile, keys, null);
    expect(estimate.counts).toEqual(expected.counts);
    expect(estimate.questions).toEqual(expected.questions);
    expect(estimate.cached).toBeNull();
    expect(estimate.billableUpperBound).toBe(Object.values(expected.questions).reduce((a, b) => a + b, 0));
    // The list does repeat numbers under other dates, so the resale count is not the unique count.
    if (profile === 'standard') expect(expected.questions.resale).toBeGreaterThan(estimate.counts.unique);
  });

  it.each(['standard', 'private'])('looks up the same keys and finds the same answers with a cache (profile %s)', async (profile) => {
    const reference = cacheHoldingSome();
    const expected = await byPlanning(profile, reference);
    const cache = cacheHoldingSome();
    const estimate = await estimateBatch(file, {}, profile, keys, cache);
    expect(estimate.questions).toEqual(expected.questions);
    expect(estimate.cached).toEqual(expected.cached);
    expect([...cache.lookups].sort()).toEqual([...reference.lookups].sort());
  });
});

describe('ResaleQuestionsByRow', () => {
  it('answers as ResaleQuestionsSeen for the records of a read', async () => {
    const byRow = new ResaleQuestionsByRow();
    const seen = new ResaleQuestionsSeen();
    const reader = await readPhoneList(file);
    let asked = 0;
    for await (const record of reader) {
      if (!record.mobile || !record.date) continue;
      const expected = seen.add(record.mobile, record.date);
      expect(byRow.add(record, record.date)).toBe(expected);
      if (expected) asked++;
    }
    expect(asked).toBeGreaterThan(reader.counts().unique);
  });
});

/** A cached line status answer, as the API job stores it. */
function statusAnswer(value: LineStatus): string {
  return encodeTaskResult('status', { kind: 'answered', signals: { lineStatus: { value, raw: String(LINE_STATUSES.indexOf(value)) } } });
}

const NO_RECORD = encodeTaskResult('status', { kind: 'no_record', juheCode: 220702 });
const TENURE = encodeTaskResult('tenure', { kind: 'answered', signals: { tenure: { value: '24+', raw: '[24,-1)', encoding: 'mobileOnline' } } });

function counts(values: Partial<Record<ApiId, number>>): Record<ApiId, number> {
  return Object.fromEntries(API_IDS.map((api) => [api, values[api] ?? 0])) as Record<ApiId, number>;
}

describe('estimateBatch: the bill of each plan', () => {
  // China Unicom numbers (186) are asked status, tenure and, with a date, resale; the
  // China Telecom one (189) call minutes too.
  const n = {
    inactive: '18600000001',
    preCancel: '18900000002',
    normal: '18600000003',
    noRecord: '18600000004',
    earlierInactive: '18600000005',
    cacheWins: '18600000006',
    unknown: '18600000007',
  };
  let small = '';
  beforeAll(async () => {
    small = join(dir, 'small.csv');
    await writeFile(
      small,
      [
        'phone,date',
        `${n.inactive},2023-01-05`,
        `${n.preCancel},2023-01-05`,
        `${n.normal},2023-01-05`,
        `${n.noRecord},2023-01-05`,
        `${n.earlierInactive},2023-01-05`,
        `${n.cacheWins},2023-01-05`,
        `${n.unknown},`,
        // Its number again with another date: a resale question of its own, asked alone (nothing waits on a line status).
        `${n.inactive},2024-02-29`,
        // The same row again: no question.
        `${n.preCancel},2023-01-05`,
        '',
      ].join('\n'),
    );
  });

  async function filledCache(): Promise<MemoryResultCache> {
    const cache = new MemoryResultCache();
    const key = (mobile: string) => numberHash(keys, mobile, null);
    await cache.set('status', key(n.inactive), statusAnswer('inactive'), 600);
    await cache.set('tenure', key(n.inactive), TENURE, 600); // answered already: saves nothing under either plan
    await cache.set('status', key(n.preCancel), statusAnswer('pre_cancel'), 600);
    await cache.set('status', key(n.normal), statusAnswer('normal'), 600);
    await cache.set('status', key(n.noRecord), NO_RECORD, 600);
    await cache.set('status', key(n.cacheWins), statusAnswer('normal'), 600);
    return cache;
  }
  const earlier = new Map([
    [n.earlierInactive, 'inactive'],
    [n.cacheWins, 'inactive'], // the cache's answer is the one the batch will use
    [n.normal, 'pre_cancel'],
  ]);
  const lineStatus = (mobile: string) => earlier.get(mobile) ?? null;

  it('counts as saved the questions a known deciding line status leaves unasked, not those the cache answers', async () => {
    const estimate = await estimateBatch(small, {}, 'standard', keys, await filledCache(), { lineStatus });
    expect(estimate.questions).toEqual(counts({ status: 7, tenure: 7, resale: 7, callDuration: 1 }));
    expect(estimate.billableUpperBound).toBe(22);
    expect(estimate.cached).toEqual(counts({ status: 5, tenure: 1 }));
    expect(estimate.staging).toEqual({
      rubric: 'default',
      decidingValues: ['inactive', 'pre_cancel'],
      numbers: 7,
      known: 6,
      knownFromCache: 5,
      knownFromEarlier: 1,
      deciding: 3,
      // inactive: its first resale (its tenure is cached); pre_cancel: all three; earlierInactive: tenure and resale.
      saved: counts({ tenure: 2, resale: 3, callDuration: 1 }),
      savedTotal: 6,
    });
    expect(estimate.plans.all).toEqual({ upperBound: 22, expected: 16, expectedByApi: counts({ status: 2, tenure: 6, resale: 7, callDuration: 1 }) });
    expect(estimate.plans.staged).toEqual({ upperBound: 22, expected: 10, expectedByApi: counts({ status: 2, tenure: 4, resale: 4, callDuration: 0 }) });
  });

  it('without a cache, knows line statuses from the earlier result alone', async () => {
    const estimate = await estimateBatch(small, {}, 'standard', keys, null, { lineStatus });
    expect(estimate.cached).toBeNull();
    expect(estimate.staging).toMatchObject({ known: 3, knownFromCache: 0, knownFromEarlier: 3, deciding: 3 });
    // normal (pre_cancel earlier): tenure, resale; earlierInactive and cacheWins: tenure, resale each.
    expect(estimate.staging.saved).toEqual(counts({ tenure: 3, resale: 3 }));
    expect(estimate.plans.all.expected).toBe(22);
    expect(estimate.plans.staged.expected).toBe(16);
  });

  it('knowing nothing, both plans expect the upper bound', async () => {
    const estimate = await estimateBatch(small, {}, 'standard', keys, null);
    expect(estimate.staging).toMatchObject({ numbers: 7, known: 0, deciding: 0, savedTotal: 0, decidingValues: ['inactive', 'pre_cancel'] });
    expect(estimate.plans.all).toMatchObject({ upperBound: 22, expected: 22 });
    expect(estimate.plans.staged).toMatchObject({ upperBound: 22, expected: 22 });
  });

  it('under a rubric without hard rules nothing decides: staged expects what all expects', async () => {
    const rubric: Rubric = { ...DEFAULT_RUBRIC, name: 'no-rules', hardRules: [] };
    const estimate = await estimateBatch(small, {}, 'standard', keys, await filledCache(), { rubric, lineStatus });
    expect(estimate.staging).toMatchObject({ rubric: 'no-rules', decidingValues: [], known: 6, deciding: 0, savedTotal: 0 });
    expect(estimate.plans.staged).toEqual(estimate.plans.all);
    expect(estimate.plans.all.expected).toBe(16);
    // A rule that raises line status to medium only decides nothing either.
    const medium: Rubric = { ...DEFAULT_RUBRIC, hardRules: DEFAULT_RUBRIC.hardRules.map((rule) => ({ ...rule, level: 'medium' as const })) };
    const withMedium = await estimateBatch(small, {}, 'standard', keys, await filledCache(), { rubric: medium, lineStatus });
    expect(withMedium.staging.decidingValues).toEqual([]);
    expect(withMedium.plans.staged.expected).toBe(16);
  });

  it('with the line status alone asked, nothing waits on it: nothing is saved', async () => {
    const estimate = await estimateBatch(small, {}, 'status', keys, await filledCache(), { lineStatus });
    expect(estimate.staging).toMatchObject({ numbers: 7, known: 6, deciding: 3, savedTotal: 0 });
    expect(estimate.plans.staged.expected).toBe(2);
  });

  it.each(['standard', 'private'])('on a bigger list, saves what simulating ingest and the API jobs under staged saves (profile %s)', async (profileName) => {
    // About half the numbers' line status cached (a third of those not in service), some
    // other answers cached, some line statuses known from an earlier result.
    const cache = new MemoryResultCache();
    const known = new Map<string, string>();
    const reader = await readPhoneList(file);
    const profile = resolveProfile(profileName);
    let i = 0;
    for await (const record of reader) {
      if (!record.mobile || record.status !== 'valid') continue;
      i++;
      for (const task of planRecord(record, profile, keys)) {
        if (task.api === 'status' && i % 2 === 0) await cache.set('status', task.hash, statusAnswer(LINE_STATUSES[i % 5]!), 600);
        else if (task.api !== 'status' && i % 3 === 0) await cache.set(task.api, task.hash, 'cached', 600);
      }
      if (i % 7 === 0) known.set(record.mobile, i % 3 === 0 ? 'inactive' : 'normal');
    }
    const lineStatusOf = (mobile: string) => known.get(mobile) ?? null;

    // What ingest queues under staged, and what the API job of each first question does.
    const planner = new StagePlanner('staged', DEFAULT_RUBRIC);
    const seen = new ResaleQuestionsSeen();
    const saved = counts({});
    const cached = counts({});
    for await (const record of await readPhoneList(file)) {
      if (!record.mobile) continue;
      const asked = planRecord(record, profile, keys).filter((task) => (task.api === 'resale' ? seen.add(record.mobile!, task.date!) : record.status === 'valid'));
      for (const task of asked) if ((await cache.get(task.api, task.hash)) !== null) cached[task.api]++;
      const first = planner.split(asked).first;
      if (!first) continue;
      const encoded = await cache.get(first.task.api, first.task.hash);
      const answer = encoded ? decodeTaskResult('status', encoded) : null;
      const value = answer ? (answer.kind === 'answered' ? answer.signals.lineStatus!.value : null) : lineStatusOf(record.mobile);
      if (value === null || !first.decides.includes(value)) continue;
      for (const question of first.next) if ((await cache.get(question.api, question.hash)) === null) saved[question.api]++;
    }

    const estimate = await estimateBatch(file, {}, profileName, keys, cache, { lineStatus: lineStatusOf });
    expect(estimate.cached).toEqual(cached);
    expect(estimate.staging.saved).toEqual(saved);
    expect(estimate.staging.savedTotal).toBeGreaterThan(50);
    const sum = (c: Record<ApiId, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    expect(estimate.plans.all.expected).toBe(estimate.billableUpperBound - sum(cached));
    expect(estimate.plans.staged.expected).toBe(estimate.billableUpperBound - sum(cached) - sum(saved));
  });
});
