/**
 * `estimateBatch` counts questions without planning tasks, and hashes only what it looks
 * up in a cache. Its answer must be the one of planning every record the way ingest does
 * (planRecord, ResaleQuestionsSeen) and looking every counted question up: checked here
 * on a list with repeated numbers under several dates, rows without dates, bad dates and
 * invalid rows, for every profile, with and without a cache.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateBatch } from '../../../src/engine/estimate.js';
import { deriveEngineKeys } from '../../../src/engine/keys.js';
import { planRecord, ResaleQuestionsByRow, ResaleQuestionsSeen } from '../../../src/engine/plan.js';
import { PROFILES, resolveProfile } from '../../../src/engine/profiles.js';
import type { ResultCache } from '../../../src/engine/store.js';
import { readPhoneList } from '../../../src/input/reader.js';
import { API_IDS, type ApiId } from '../../../src/juhe/catalogue.js';

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
