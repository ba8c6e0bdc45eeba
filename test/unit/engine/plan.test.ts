import { describe, expect, it } from 'vitest';
import { deriveEngineKeys, numberHash } from '../../../src/engine/keys.js';
import { planRecord, ResaleQuestionsSeen } from '../../../src/engine/plan.js';
import { PROFILES, resolveProfile } from '../../../src/engine/profiles.js';

const keys = deriveEngineKeys('unit-test-secret', undefined);

describe('planRecord', () => {
  it('one task per applicable API, keyed `<api>.<hash>`; only resale hashes the date', () => {
    const tasks = planRecord({ mobile: '18912345678', carrier: 'ctcc', date: '20240315' }, PROFILES.standard!, keys);
    expect(tasks.map((t) => t.api)).toEqual(['status', 'tenure', 'resale', 'callDuration']);
    const plain = numberHash(keys, '18912345678');
    const dated = numberHash(keys, '18912345678', '20240315');
    expect(tasks).toEqual([
      { api: 'status', hash: plain, taskId: `status.${plain}`, date: null },
      { api: 'tenure', hash: plain, taskId: `tenure.${plain}`, date: null },
      { api: 'resale', hash: dated, taskId: `resale.${dated}`, date: '20240315' },
      { api: 'callDuration', hash: plain, taskId: `callDuration.${plain}`, date: null },
    ]);
    expect(new Set(tasks.map((t) => t.taskId)).size).toBe(4);
  });

  it('the same number gives the same task ids every time (ingest and report agree)', () => {
    const record = { mobile: '13800138000', carrier: 'cmcc' as const, date: '20240101' };
    expect(planRecord(record, PROFILES.private!, keys)).toEqual(planRecord({ ...record }, PROFILES.private!, keys));
    expect(planRecord(record, PROFILES.private!, keys).map((t) => t.api)).toEqual(['status', 'tenureCmcc', 'resale']);
  });

  it('another date changes only the resale task', () => {
    const a = planRecord({ mobile: '13800138000', carrier: 'cmcc', date: '20240101' }, PROFILES.standard!, keys);
    const b = planRecord({ mobile: '13800138000', carrier: 'cmcc', date: '20240102' }, PROFILES.standard!, keys);
    expect(a[0]).toEqual(b[0]);
    expect(a[1]).toEqual(b[1]);
    expect(a[2]!.taskId).not.toBe(b[2]!.taskId);
  });

  it('an invalid row (no number) plans nothing; a row without a date no resale', () => {
    expect(planRecord({ mobile: null, carrier: null, date: '20240101' }, PROFILES.standard!, keys)).toEqual([]);
    expect(planRecord({ mobile: '13800138000', carrier: 'cmcc', date: null }, resolveProfile('resale'), keys)).toEqual([]);
  });
});

describe('ResaleQuestionsSeen', () => {
  it('is true once per (number, date) pair', () => {
    const seen = new ResaleQuestionsSeen();
    expect(seen.add('13800138000', '20240101')).toBe(true);
    expect(seen.add('13800138000', '20240101')).toBe(false);
    // Another date of the same number is a new question.
    expect(seen.add('13800138000', '20240102')).toBe(true);
    expect(seen.add('13800138000', '20240102')).toBe(false);
    expect(seen.add('13800138000', '20240101')).toBe(false);
    // A third date, once the number holds a set.
    expect(seen.add('13800138000', '20231231')).toBe(true);
    expect(seen.add('13800138000', '20231231')).toBe(false);
    expect(seen.add('13800138000', '20240101')).toBe(false);
    expect(seen.add('13800138000', '20240102')).toBe(false);
    // Another number with a date already seen elsewhere is new.
    expect(seen.add('13800138001', '20240101')).toBe(true);
    expect(seen.add('13800138001', '20240101')).toBe(false);
  });

  it('keeps many numbers apart', () => {
    const seen = new ResaleQuestionsSeen();
    for (let i = 0; i < 10_000; i++) expect(seen.add(String(13_800_000_000 + i), '20240101')).toBe(true);
    for (let i = 0; i < 10_000; i++) expect(seen.add(String(13_800_000_000 + i), '20240101')).toBe(false);
  });
});
