import { describe, expect, it } from 'vitest';
import type { PhoneRecord } from '../../../src/input/index.js';
import { decodeSignals } from '../../../src/juhe/decode.js';
import type { TaskResult } from '../../../src/engine/task-result.js';
import { ADDED_COLUMNS, ROW_STATUSES, resultRow, type AddedColumn, type RowContext, type RowQuestion } from '../../../src/report/result-row.js';
import { PROFILES } from '../../../src/engine/profiles.js';
import type { BatchStatus } from '../../../src/engine/batch.js';
import { DEFAULT_RUBRIC } from '../../../src/risk/index.js';

const ctx = (batchStatus: BatchStatus, profile = PROFILES.standard!): RowContext => ({ batchStatus, profile, rubric: DEFAULT_RUBRIC });

const RISK_COLUMNS = ['risk_score', 'risk_level', 'risk_confidence', 'risk_reasons'] as const;
/** The row with its risk cells blanked: for tests about the other columns (risk has its own below). */
function withoutRisk(out: Record<AddedColumn, string>): Record<AddedColumn, string> {
  return { ...out, ...Object.fromEntries(RISK_COLUMNS.map((c) => [c, ''])) };
}

function record(overrides: Partial<PhoneRecord> = {}): PhoneRecord {
  return {
    index: 0,
    line: 2,
    fields: ['18912345678', '张三'],
    mobile: '18912345678',
    carrier: 'ctcc',
    kind: 'mobile',
    date: null,
    dateWarning: null,
    status: 'valid',
    reason: null,
    firstIndex: null,
    ...overrides,
  };
}

const answered = (api: RowQuestion['api'], result: Record<string, unknown>, date?: string): RowQuestion => ({
  api,
  result: { kind: 'answered', signals: decodeSignals(api, result, date) },
});

/** Every added column, '' unless given. */
function row(values: Partial<Record<AddedColumn, string>>): Record<AddedColumn, string> {
  return { ...(Object.fromEntries(ADDED_COLUMNS.map((c) => [c, ''])) as Record<AddedColumn, string>), ...values };
}

describe('resultRow', () => {
  it('has exactly the added columns, in order', () => {
    expect(Object.keys(resultRow(record(), [], ctx('done')))).toEqual([...ADDED_COLUMNS]);
    expect(ROW_STATUSES).toEqual(['screened', 'partial', 'invalid', 'not_screened']);
  });

  it('an invalid row: row_status invalid, the reason in the error, nothing else but what the input knows', () => {
    const invalid = record({ fields: ['12345', 'x'], mobile: null, carrier: null, kind: null, status: 'invalid', reason: 'too_short', date: '20240101' });
    expect(resultRow(invalid, [], ctx('done'))).toEqual(row({ row_status: 'invalid', error: 'invalid number (too_short): fewer than 11 digits' }));
    const noReason = record({ mobile: null, carrier: null, kind: null, status: 'invalid', reason: null });
    expect(resultRow(noReason, [], ctx('done')).error).toBe('invalid number');
  });

  it('screened: every question answered, every column from its signal', () => {
    const questions: RowQuestion[] = [
      answered('status', { state: '1', description: '停机', province: '上海', city: '上海', isp: '电信' }),
      answered('tenure', { code: '2', province: '北京', city: '北京', isp: '电信' }),
      answered('resale', { res: 1 }, '20240315'),
      answered('callDuration', { callingDur: '4', calledDur: '11' }),
    ];
    expect(withoutRisk(resultRow(record({ date: '20240315' }), questions, ctx('done')))).toEqual(
      row({
        mobile: '18912345678',
        row_status: 'screened',
        carrier: 'ctcc',
        number_kind: 'mobile',
        line_status: 'suspended',
        line_status_code: '1',
        tenure: '12-24',
        tenure_code: '2',
        resale: 'recycled',
        resale_code: '1',
        resale_date: '20240315',
        calling_minutes: '(20,35]',
        calling_code: '4',
        called_minutes: '360+',
        called_code: '11',
        // The first answer with a location wins.
        province: '上海',
        city: '上海',
      }),
    );
  });

  it('a no-record answer counts as screened, with no_record and the Juhe code', () => {
    const questions: RowQuestion[] = [
      { api: 'status', result: { kind: 'no_record', juheCode: 224922 } },
      { api: 'tenureCmcc', result: { kind: 'no_record', juheCode: 224801 } },
    ];
    const out = withoutRisk(resultRow(record({ mobile: '13800138000', carrier: 'cmcc' }), questions, ctx('done', PROFILES.private!)));
    expect(out).toEqual(
      row({
        mobile: '13800138000',
        row_status: 'screened',
        carrier: 'cmcc',
        number_kind: 'mobile',
        line_status: 'no_record',
        line_status_code: '224922',
        tenure: 'no_record',
        tenure_code: '224801',
      }),
    );
  });

  it('partial: some answered, a failure and a skip each explained in the error column', () => {
    const failed: TaskResult = { kind: 'failed', juheCode: 224805, category: 'transient', code: 'JUHE_TRANSIENT', reason: 'network error at the source, retry; gave up after 6 attempts' };
    const internal: TaskResult = { kind: 'failed', juheCode: null, category: 'unknown', code: 'RISKSCREEN_INTERNAL', reason: 'riskscreen failed: boom' };
    const questions: RowQuestion[] = [
      answered('status', { state: '0', province: '广东', city: '深圳' }),
      { api: 'tenure', result: failed },
      { api: 'resale', result: { kind: 'skipped', why: 'quota_exhausted' } },
      { api: 'callDuration', result: internal },
    ];
    expect(withoutRisk(resultRow(record({ date: '20240101' }), questions, ctx('done')))).toEqual(
      row({
        mobile: '18912345678',
        row_status: 'partial',
        carrier: 'ctcc',
        number_kind: 'mobile',
        line_status: 'normal',
        line_status_code: '0',
        tenure: 'failed',
        tenure_code: '224805',
        resale: 'skipped',
        resale_code: 'quota_exhausted',
        resale_date: '20240101',
        calling_minutes: 'failed',
        calling_code: 'RISKSCREEN_INTERNAL',
        province: '广东',
        city: '深圳',
        error:
          'tenure 224805: network error at the source, retry; gave up after 6 attempts; ' +
          'resale quota_exhausted: not asked, the API quota was used up (10012/10013); ' +
          'callDuration RISKSCREEN_INTERNAL: riskscreen failed: boom',
      }),
    );
  });

  it('not_screened: nothing answered (every skip reason in plain words)', () => {
    const questions: RowQuestion[] = [
      { api: 'status', result: { kind: 'skipped', why: 'max_calls' } },
      { api: 'tenure', result: { kind: 'skipped', why: 'account_blocked' } },
      { api: 'callDuration', result: { kind: 'skipped', why: 'cancelled' } },
    ];
    const out = withoutRisk(resultRow(record(), questions, ctx('blocked')));
    expect(out).toEqual(
      row({
        mobile: '18912345678',
        row_status: 'not_screened',
        carrier: 'ctcc',
        number_kind: 'mobile',
        line_status: 'skipped',
        line_status_code: 'max_calls',
        tenure: 'skipped',
        tenure_code: 'account_blocked',
        calling_minutes: 'skipped',
        calling_code: 'cancelled',
        error:
          'status max_calls: not asked, the --max-calls limit was reached; ' +
          'tenure account_blocked: not asked, the batch was blocked by a key or account error; ' +
          'callDuration cancelled: not asked, the batch was cancelled',
      }),
    );
  });

  it('not_asked: a question without a result (the batch stopped first) names the batch status', () => {
    const questions: RowQuestion[] = [answered('status', { state: '0' }), { api: 'tenure', result: null }];
    const out = resultRow(record(), questions, ctx('cancelled'));
    expect(out).toMatchObject({ row_status: 'partial', line_status: 'normal', tenure: '', tenure_code: 'not_asked', error: 'tenure not_asked: not asked (the batch was cancelled)' });
    const none = resultRow(record(), [{ api: 'status', result: null }], ctx('blocked'));
    expect(none).toMatchObject({ row_status: 'not_screened', line_status: '', line_status_code: 'not_asked', error: 'status not_asked: not asked (the batch was blocked)' });
  });

  it('a valid number no API of the profile applies to is not_screened, and says why', () => {
    const out = resultRow(record({ mobile: '13800138000', carrier: 'cmcc' }), [], ctx('done'));
    expect(out).toMatchObject({ row_status: 'not_screened', mobile: '13800138000', error: 'no API of the profile applies to this number' });
  });

  it('a duplicate row carries the same cells as its first row', () => {
    const questions = [answered('status', { state: '4' })];
    const first = resultRow(record(), questions, ctx('done'));
    const dup = resultRow(record({ index: 5, line: 7, status: 'duplicate', reason: 'duplicate', firstIndex: 0 }), questions, ctx('done'));
    expect(dup).toEqual(first);
    expect(dup.line_status).toBe('pre_cancel');
  });

  it('scores every screened row: the risk cells follow the rubric and name missing signals', () => {
    const questions: RowQuestion[] = [
      answered('status', { state: '0' }),
      answered('tenure', { code: '03' }),
      { api: 'callDuration', result: { kind: 'failed', juheCode: 224805, category: 'transient', code: 'JUHE_TRANSIENT', reason: 'gave up' } },
    ];
    const out = resultRow(record({ mobile: '17012345678', kind: 'mvno' }), questions, ctx('done'));
    expect(out).toMatchObject({
      risk_score: '40',
      risk_level: 'medium',
      risk_confidence: '0.70',
      risk_reasons: 'tenure <= 3 months (+30); resale check missing: no date given; call minutes missing: failed (224805); MVNO number (+10)',
    });
  });

  it('an invalid row has no risk cells; a row with no answer is never low', () => {
    const invalid = record({ mobile: null, carrier: null, kind: null, status: 'invalid', reason: 'letters' });
    expect(resultRow(invalid, [], ctx('done'))).toMatchObject({ risk_score: '', risk_level: '', risk_confidence: '', risk_reasons: '' });
    const skipped = resultRow(record(), [{ api: 'status', result: { kind: 'skipped', why: 'quota_exhausted' } }], ctx('done', PROFILES.status!));
    expect(skipped).toMatchObject({ row_status: 'not_screened', risk_level: 'medium', risk_score: '30', risk_confidence: '0.05' });
    expect(skipped.risk_reasons).toContain('line status missing: not asked, the API quota was used up (10012/10013) (+15)');
    expect(skipped.risk_reasons).toContain('tenure missing: not in profile status (+10)');
  });
});
