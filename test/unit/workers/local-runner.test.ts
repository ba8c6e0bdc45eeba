/**
 * The local engine end to end, with no HTTP: submitBatch + runner.run against a fake
 * Juhe client that answers or throws the API layer's own error classes. Every test
 * looks at what the engine asked (the fake's call log), the batch record and the
 * result file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runIngestJob } from '../../../jobs/ingest.js';
import { ADDED_COLUMNS } from '../../../src/report/result-row.js';
import { manifestPathOf, readManifest } from '../../../src/report/manifest.js';
import { memoryStores } from '../../../src/engine/memory-store.js';
import { submitBatch } from '../../../src/engine/submit.js';
import { runApiCallJob, settleUnrecordedJob } from '../../../jobs/api-call.js';
import type { ApiJobData, EngineContext } from '../../../src/engine/context.js';
import { decodeTaskResult, encodeTaskResult } from '../../../src/engine/task-result.js';
import { answerFor, deferred, FakeJuhe, harness, juheError, numbers, QUICK_RETRY, until, type Harness, type Reply } from './local-harness.js';

let open: Harness[] = [];
async function make(settings: Parameters<typeof harness>[0]): Promise<Harness> {
  const h = await harness(settings);
  open.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(open.map((h) => h.close()));
  open = [];
});

const HEADER = '手机号,姓名';
const rowsOf = (list: readonly string[]) => [HEADER, ...list.map((mobile, i) => `${mobile},客户${i}`)];

describe('local engine: retries', () => {
  it('retries a transient error and the row ends screened; the call is asked again only after it failed', async () => {
    const list = numbers('cmcc', 5);
    const flaky = list[2]!;
    const juhe = new FakeJuhe({
      delayMs: 3,
      reply: (req, nth) => (req.mobile === flaky && nth === 1 ? juheError(req, 224915, { retry: QUICK_RETRY }) : 'answer'),
    });
    const h = await make({ juhe });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status' });

    const asked = juhe.callsOf({ mobile: flaky });
    expect(asked.map((c) => c.code)).toEqual([224915, 0]);
    expect(asked[1]!.startedAt).toBeGreaterThanOrEqual(asked[0]!.endedAt!);
    for (const mobile of list.filter((m) => m !== flaky)) expect(juhe.callsOf({ mobile })).toHaveLength(1);
    expect(juhe.calls).toHaveLength(6);

    expect(view.status).toBe('done');
    expect(view.reason).toBeNull();
    expect(view.counts).toMatchObject({ tasks: 5, final: 5, answered: 5, failed: 0, billed: 5 });
    expect(view.errorsByCode).toEqual({ '224915': 1 });
    const rows = await h.resultRecords(view);
    expect(rows.map((r) => r.row_status)).toEqual(['screened', 'screened', 'screened', 'screened', 'screened']);
    expect(rows[2]!.mobile).toBe(flaky);
    expect(rows[2]!.error).toBe('');
  });

  it('a transient error every time ends failed after the advice\'s max attempts', async () => {
    const list = numbers('cucc', 4);
    const broken = list[1]!;
    const juhe = new FakeJuhe({ reply: (req) => (req.mobile === broken ? juheError(req, 224915, { retry: QUICK_RETRY }) : 'answer') });
    const h = await make({ juhe });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status' });

    expect(juhe.callsOf({ mobile: broken })).toHaveLength(QUICK_RETRY.maxAttempts);
    expect(view.status).toBe('done');
    expect(view.counts).toMatchObject({ tasks: 4, final: 4, answered: 3, failed: 1 });
    expect(view.errorsByCode).toEqual({ '224915': 3 });
    expect(view.reason).toBe('1 questions failed (see the error column)');
    const row = (await h.resultRecords(view))[1]!;
    expect(row).toMatchObject({ mobile: broken, row_status: 'not_screened', line_status: 'failed', line_status_code: '224915' });
    expect(row.error).toBe('status 224915: network error at the source, retry; gave up after 3 attempts');
  });
});

describe('local engine: quota and account errors', () => {
  it('a quota error (10012) is not retried, marks the API exhausted, skips its other questions; other APIs go on', async () => {
    const list = numbers('cmcc', 6);
    const juhe = new FakeJuhe({ reply: (req) => (req.api === 'tenure' ? juheError(req, 10012) : 'answer') });
    const h = await make({ juhe, concurrency: 1 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'basic' });

    // One tenure call (the one that met the quota), never asked again; status for every number.
    expect(juhe.callsOf({ api: 'tenure' })).toHaveLength(1);
    expect(juhe.callsOf({ api: 'status' })).toHaveLength(6);
    expect(view.status).toBe('done');
    expect(view.exhausted).toEqual({ tenure: 'tenure on the network: the account has used up its calls for this API (10012)' });
    expect(view.counts).toMatchObject({ tasks: 12, final: 12, answered: 6, failed: 1, skipped: 5, rowsPartial: 6 });
    expect(view.errorsByCode).toEqual({ '10012': 1 });
    expect(view.reason).toContain('tenure: tenure on the network: the account has used up its calls for this API (10012)');

    const rows = await h.resultRecords(view);
    const firstAsked = juhe.callsOf({ api: 'tenure' })[0]!.mobile;
    for (const row of rows) {
      expect(row.row_status).toBe('partial');
      expect(row.line_status).not.toBe('');
      if (row.mobile === firstAsked) {
        expect(row).toMatchObject({ tenure: 'failed', tenure_code: '10012' });
      } else {
        expect(row).toMatchObject({ tenure: 'skipped', tenure_code: 'quota_exhausted' });
        expect(row.error).toBe('tenure quota_exhausted: not asked, the API quota was used up (10012/10013)');
      }
    }
  });

  it('an account error (10001) blocks the batch, says why in plain words, and no further calls are made', async () => {
    const list = numbers('ctcc', 6);
    const juhe = new FakeJuhe({ reply: (req) => juheError(req, 10001) });
    const h = await make({ juhe, concurrency: 1 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status' });

    expect(juhe.calls).toHaveLength(1);
    expect(view.status).toBe('blocked');
    expect(view.reason).toBe(
      'Juhe refused the account: the API key is wrong (code 10001 from mobile_status/query). No more calls are made for this batch; fix the key or account and submit it again.',
    );
    expect(view.times.finished).toBeDefined();
    // The result file is still written, every row explained.
    expect(view.resultPath).not.toBeNull();
    expect(view.counts).toMatchObject({ tasks: 6, final: 6, failed: 1, skipped: 5, answered: 0, rowsNotScreened: 6 });
    const rows = await h.resultRecords(view);
    expect(rows[0]).toMatchObject({ line_status: 'failed', line_status_code: '10001', row_status: 'not_screened' });
    for (const row of rows.slice(1)) {
      expect(row).toMatchObject({ line_status: 'skipped', line_status_code: 'account_blocked', row_status: 'not_screened' });
    }
  });

  it('the first call of each API goes alone: with a refused key, one call per API and not one more, at any concurrency', async () => {
    const list = [...numbers('ctcc', 40), ...numbers('cmcc', 40)];
    const juhe = new FakeJuhe({ delayMs: 20, reply: (req) => juheError(req, 10001) });
    const h = await make({ juhe, concurrency: 32 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'standard' });

    expect(view.status).toBe('blocked');
    expect(view.reason).toMatch(/^Juhe refused the account: the API key is wrong \(code 10001/);
    // status, tenure and callDuration (China Telecom) were each asked once, alone, then nothing.
    for (const api of ['status', 'tenure', 'callDuration'] as const) expect(juhe.callsOf({ api }).length, api).toBeLessThanOrEqual(1);
    expect(juhe.calls.length).toBeLessThanOrEqual(3);
    expect(view.counts.final).toBe(view.counts.tasks);
  });

  it('once the probe is answered every call goes at once; a probe with no answer (a network error) lets another job probe', async () => {
    const list = numbers('cmcc', 30);
    let first = true;
    const juhe = new FakeJuhe({
      delayMs: 15,
      reply: (req) => {
        if (!first) return 'answer';
        first = false;
        return juheError(req, 224915, { juheCode: null, retry: QUICK_RETRY });
      },
    });
    const h = await make({ juhe, concurrency: 10 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status' });

    expect(view.status).toBe('done');
    expect(view.counts.answered).toBe(30);
    const [probe, second, ...rest] = juhe.calls;
    // The failed probe was alone; so was the next (another probe); the rest overlapped.
    expect(second!.startedAt).toBeGreaterThanOrEqual(probe!.endedAt!);
    expect(rest[0]!.startedAt).toBeGreaterThanOrEqual(second!.endedAt!);
    const overlapping = rest.filter((call) => call.startedAt < rest[0]!.endedAt!);
    expect(overlapping.length).toBeGreaterThan(5);
  });

  it('a key that goes bad mid-batch: no call starts after the refusal but those already in flight', async () => {
    const list = numbers('cucc', 200);
    const CONCURRENCY = 8;
    let answered = 0;
    const juhe = new FakeJuhe({ delayMs: 10, reply: (req) => (++answered > 50 ? juheError(req, 10003) : 'answer') });
    const h = await make({ juhe, concurrency: CONCURRENCY });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status' });

    expect(view.status).toBe('blocked');
    const refused = juhe.calls.filter((call) => call.code === 10003);
    const firstRefusal = refused[0]!;
    // Once the refusal is recorded no call starts. Between the answer leaving the fake
    // service and its being recorded, a call slot already past its check may still send
    // (on a loaded machine that gap is real): at most one per slot, never a stream.
    expect(juhe.calls.filter((call) => call.startedAt > firstRefusal.endedAt!).length).toBeLessThanOrEqual(CONCURRENCY);
    expect(refused.length).toBeLessThanOrEqual(2 * CONCURRENCY);
    expect(juhe.calls.length).toBeLessThan(50 + 2 * CONCURRENCY + 1);
    expect(view.counts.final).toBe(200);
  });

  it('an account error blocks every API: calls in flight finish, nothing new starts', async () => {
    const list = numbers('ctcc', 10);
    const juhe = new FakeJuhe({ delayMs: 5, reply: (req) => (req.api === 'status' ? juheError(req, 10003) : 'answer') });
    const h = await make({ juhe, concurrency: 1 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'standard' });
    expect(view.status).toBe('blocked');
    expect(view.reason).toMatch(/the API key has expired \(code 10003 from mobile_status\/query\)/);
    // status, tenure and callDuration each had at most the one call that was running.
    expect(juhe.callsOf({ api: 'status' })).toHaveLength(1);
    expect(juhe.callsOf({ api: 'tenure' }).length).toBeLessThanOrEqual(2);
    expect(juhe.callsOf({ api: 'callDuration' }).length).toBeLessThanOrEqual(2);
    expect(view.counts.skipped).toBe(view.counts.tasks - juhe.calls.length);
  });
});

describe('local engine: throttles', () => {
  it('a 224924 (this number too often) asks again later without counting an attempt', async () => {
    const list = numbers('cmcc', 4);
    const hot = list[0]!;
    const HOLD = 25;
    // Three throttles, then a transient error whose advice allows two attempts, then the answer.
    // Had the throttles counted, the transient error would be the fourth attempt: failed.
    const juhe = new FakeJuhe({
      reply: (req, nth) => {
        if (req.mobile !== hot) return 'answer';
        if (nth <= 3) return juheError(req, 224924, { holdOffMs: HOLD });
        if (nth === 4) return juheError(req, 224919, { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
        return 'answer';
      },
    });
    const h = await make({ juhe, concurrency: 2 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status' });

    const asked = juhe.callsOf({ mobile: hot });
    expect(asked.map((c) => c.code)).toEqual([224924, 224924, 224924, 224919, 0]);
    for (let i = 1; i <= 3; i++) expect(asked[i]!.startedAt - asked[i - 1]!.endedAt!).toBeGreaterThanOrEqual(HOLD - 2);
    // Only that job waited: the other numbers were answered meanwhile.
    for (const mobile of list.slice(1)) expect(juhe.callsOf({ mobile })[0]!.startedAt).toBeLessThan(asked[1]!.startedAt);
    expect(view.status).toBe('done');
    expect(view.counts).toMatchObject({ answered: 4, failed: 0 });
    expect(view.errorsByCode).toEqual({ '224924': 3, '224919': 1 });
    expect((await h.resultRecords(view))[0]).toMatchObject({ mobile: hot, row_status: 'screened' });
  });

  it('a 10011 (too many requests) holds the whole API queue; other APIs keep going', async () => {
    const list = numbers('cucc', 8);
    const HOLD = 150;
    let throttled = false;
    const juhe = new FakeJuhe({
      delayMs: (req) => (req.api === 'tenure' ? 15 : 0),
      reply: (req) => {
        if (req.api === 'status' && !throttled) {
          throttled = true;
          return juheError(req, 10011, { holdOffMs: HOLD });
        }
        return 'answer';
      },
    });
    const h = await make({ juhe, concurrency: 1 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'basic' });

    const status = juhe.callsOf({ api: 'status' });
    const refused = status[0]!;
    expect(refused.code).toBe(10011);
    // Nothing on the status queue started during the hold...
    expect(status[1]!.startedAt - refused.endedAt!).toBeGreaterThanOrEqual(HOLD - 5);
    // ...while tenure calls did.
    const during = juhe.callsOf({ api: 'tenure' }).filter((c) => c.startedAt > refused.endedAt! && c.startedAt < refused.endedAt! + HOLD - 5);
    expect(during.length).toBeGreaterThan(0);
    // The refused question was asked again (not failed), so every number was answered.
    expect(juhe.callsOf({ api: 'status', mobile: refused.mobile }).map((c) => c.code)).toEqual([10011, 0]);
    expect(status).toHaveLength(9);
    expect(view.status).toBe('done');
    expect(view.counts).toMatchObject({ answered: 16, failed: 0 });
    expect(view.errorsByCode).toEqual({ '10011': 1 });
  });
});

describe('local engine: --max-calls', () => {
  it('never makes more than N billable calls, even with calls running in parallel, and says how many rows are left', async () => {
    const list = numbers('cmcc', 10);
    const juhe = new FakeJuhe({ delayMs: 10 });
    const h = await make({ juhe, concurrency: 4 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status', maxCalls: 3 });

    expect(juhe.calls).toHaveLength(3);
    expect(view.status).toBe('done');
    expect(view.counts).toMatchObject({ reserved: 3, billed: 3, answered: 3, skipped: 7, rowsScreened: 3, rowsNotScreened: 7 });
    expect(view.reason).toBe('stopped at --max-calls 3: 7 rows left not fully screened (7 questions not asked)');
    const rows = await h.resultRecords(view);
    expect(rows.filter((r) => r.line_status_code === 'max_calls')).toHaveLength(7);
    expect(rows.filter((r) => r.row_status === 'not_screened').every((r) => r.error === 'status max_calls: not asked, the --max-calls limit was reached')).toBe(true);
    // Never asked is never good news: those rows are not low.
    expect(rows.filter((r) => r.row_status === 'not_screened').every((r) => r.risk_level !== 'low' && (r.risk_reasons ?? '').includes('line status missing: not asked, the --max-calls limit was reached'))).toBe(true);
  });

  it('a call that cannot have been billed (no record, a refused call) gives its unit back', async () => {
    const list = numbers('cmcc', 10);
    const juhe = new FakeJuhe({
      reply: (req) => {
        const i = list.indexOf(req.mobile);
        if (i < 3) return { noRecord: 224922 };
        if (i === 3) return juheError(req, 224902);
        return 'answer';
      },
    });
    const h = await make({ juhe, concurrency: 1 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status', maxCalls: 3 });

    // 3 no-record + 1 parameter error (none billed) + 3 billed answers; then the budget is spent.
    expect(juhe.calls.map((c) => c.code)).toEqual([224922, 224922, 224922, 224902, 0, 0, 0]);
    expect(juhe.calls.filter((c) => c.billed)).toHaveLength(3);
    expect(view.counts).toMatchObject({ reserved: 3, billed: 3, answered: 3, noRecord: 3, failed: 1, skipped: 3 });
    expect(view.reason).toMatch(/^stopped at --max-calls 3: 4 rows left not fully screened \(3 questions not asked\); 1 questions failed/);
  });

  it('says it stopped at --max-calls even when units came back after the last skip (answers in flight that were not billed)', async () => {
    const list = numbers('cmcc', 10);
    // The first three are slow and not billed (no record): the others are skipped while
    // they are in flight, and their units come back after the last skip.
    const juhe = new FakeJuhe({ delayMs: 30, reply: (req) => (list.indexOf(req.mobile) < 3 ? { noRecord: 224922 } : 'answer') });
    const h = await make({ juhe, concurrency: 4 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status', maxCalls: 3 });

    expect(juhe.calls.filter((c) => c.billed)).toHaveLength(0);
    expect(view.counts).toMatchObject({ reserved: 0, noRecord: 3, skipped: 7, skippedMaxCalls: 7 });
    expect(view.reason).toMatch(/^stopped at --max-calls 3: 7 rows left not fully screened \(7 questions not asked\)/);
  });
});

describe('local engine: asking once', () => {
  it('never asks a question twice: duplicate rows, and ingest run again while calls are in flight', async () => {
    const [a, b, c, d] = [...numbers('cmcc', 2), ...numbers('ctcc', 2)] as [string, string, string, string];
    const lines = [
      '手机号,姓名,注册日期',
      `${a},甲,2024-01-01`,
      `${b},乙,`,
      `${a},甲again,2024-01-01`, // same number and date: nothing new
      `${a},甲later,2024-02-02`, // same number, another date: one more resale question
      `+86 ${c},丙,20230505`,
      `${d},丁,`,
      `${c},丙again,`, // duplicate without a date
      `12345,bad,`,
      `${d},丁again,2022-12-12`, // a duplicate whose date is new: one resale question
    ];
    const gate = deferred();
    let answered = 0;
    const juhe = new FakeJuhe({
      reply: async (): Promise<Reply> => {
        // The first three calls answer at once; the rest wait for the gate.
        if (++answered > 3) await gate.promise;
        return 'answer';
      },
    });
    const h = await make({ juhe, concurrency: 1 });
    const file = await h.csv('list.csv', lines);
    const { meta } = await submitBatch(h.stores.batches, h.runner.context.dataDir, { file, input: {}, profile: 'standard', plan: 'all' });
    const running = h.runner.run(meta.id);
    // Wait until some questions are answered, some in flight (held at the gate), some queued.
    await until(async () => juhe.calls.length >= 5 && (await h.stores.batches.get(meta.id))!.counts.ingestDone === 1);
    // Settled: every queue's one slot holds a call waiting at the gate.
    let seen = -1;
    await until(async () => {
      const now = juhe.calls.length;
      if (now === seen) return true;
      seen = now;
      await new Promise((resolve) => setTimeout(resolve, 30));
      return false;
    });
    const before = juhe.calls.length;
    expect(before).toBeLessThan(14);
    // A re-delivered ingest (a worker died after queuing): the same jobs again.
    const again = await runIngestJob(h.runner.context, { batchId: meta.id });
    expect(juhe.calls.length).toBe(before);
    gate.resolve();
    await running;

    const view = (await h.stores.batches.get(meta.id))!;
    // a: status, tenure, resale@0101, resale@0202; b: status, tenure; c: status, tenure, callDuration, resale@0505;
    // d: status, tenure, callDuration, resale@1212.
    expect(again.tasks).toBe(14);
    expect(view.counts).toMatchObject({ tasks: 14, final: 14, answered: 14, billed: 14, rows: 9, valid: 8, invalid: 1, duplicates: 4, unique: 4 });
    expect(juhe.calls).toHaveLength(14);
    expect([...juhe.timesAsked().values()].every((n) => n === 1)).toBe(true);
    expect(juhe.callsOf({ api: 'resale' }).map((call) => `${call.mobile}@${call.date}`).sort()).toEqual(
      [`${a}@20240101`, `${a}@20240202`, `${c}@20230505`, `${d}@20221212`].sort(),
    );
    const rows = await h.resultRecords(view);
    expect(rows.map((r) => r.row_status)).toEqual(['screened', 'screened', 'screened', 'screened', 'screened', 'screened', 'screened', 'invalid', 'screened']);
    // A duplicate row shares its first row's answers, and its own date's resale answer.
    expect(rows[2]!.line_status).toBe(rows[0]!.line_status);
    expect(rows[3]!.resale_date).toBe('20240202');
    expect(rows[6]!.calling_minutes).toBe(rows[4]!.calling_minutes);
  });

  it('a second batch with the same numbers is answered from the shared cache: zero calls', async () => {
    const list = [...numbers('cmcc', 3), ...numbers('ctcc', 3)];
    const stores = memoryStores();
    const juhe = new FakeJuhe({ reply: (req) => (req.mobile === list[5] && req.api === 'callDuration' ? { noRecord: 232403 } : 'answer') });
    const h = await make({ juhe, stores });
    const first = await h.screen(await h.csv('first.csv', rowsOf(list)), { profile: 'standard' });
    const callsAfterFirst = juhe.calls.length;
    expect(callsAfterFirst).toBe(first.counts.tasks);

    const again = [...list].reverse().concat(list[0]!);
    const second = await h.screen(await h.csv('second.csv', rowsOf(again)), { profile: 'standard' });
    expect(juhe.calls.length).toBe(callsAfterFirst);
    expect(second.status).toBe('done');
    expect(second.counts).toMatchObject({ tasks: first.counts.tasks, cacheHits: first.counts.tasks, billed: 0, answered: first.counts.answered, noRecord: 1 });

    const byMobile = new Map((await h.resultRecords(first)).map((r) => [r.mobile, r]));
    for (const row of await h.resultRecords(second)) {
      const before = byMobile.get(row.mobile)!;
      for (const column of ADDED_COLUMNS) expect([column, row[column]]).toEqual([column, before[column]]);
    }
  });

  it('a list with no valid number makes no call and still writes its result', async () => {
    const juhe = new FakeJuhe();
    const h = await make({ juhe });
    const view = await h.screen(await h.csv('bad.csv', ['手机号', '12345', '99999999999', '1380013800']), { profile: 'status' });
    expect(juhe.calls).toHaveLength(0);
    expect(view.status).toBe('done');
    expect(view.counts).toMatchObject({ tasks: 0, rows: 3, invalid: 3, rowsInvalid: 3 });
    expect((await h.resultRows(view)).slice(1).map((r) => r.at(-1))).toEqual([
      expect.stringMatching(/^invalid number \(/),
      expect.stringMatching(/^invalid number \(/),
      expect.stringMatching(/^invalid number \(/),
    ]);
  });
});

describe('local engine: rate limit', () => {
  it('at 20 calls a second, 60 questions take at least 2 s, never more than 20 starts in a second', async () => {
    const list = numbers('cmcc', 60);
    const juhe = new FakeJuhe();
    const h = await make({ juhe, concurrency: 50, rates: { status: 20 } });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'status' });

    expect(view.counts.answered).toBe(60);
    const starts = juhe.calls.map((c) => c.startedAt).sort((x, y) => x - y);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(1_990);
    for (let i = 20; i < starts.length; i++) expect(starts[i]! - starts[i - 20]!).toBeGreaterThanOrEqual(990);
  });

  it('jobs that make no call do not wait for the rate: answers from the cache, and the skips of a blocked batch', async () => {
    const list = numbers('cmcc', 200);
    // 5 calls a second: 200 questions asked would take 40 s.
    const fast = await make({ juhe: new FakeJuhe() });
    await fast.screen(await fast.csv('warm.csv', rowsOf(list)), { profile: 'status' });
    const juhe = new FakeJuhe();
    const slow = await make({ juhe, concurrency: 50, rates: { status: 5 }, stores: fast.stores });
    const cachedStarted = performance.now();
    const fromCache = await slow.screen(await slow.csv('again.csv', rowsOf(list)), { profile: 'status' });
    expect(fromCache.counts).toMatchObject({ tasks: 200, cacheHits: 200, billed: 0 });
    expect(juhe.calls).toHaveLength(0);
    expect(performance.now() - cachedStarted).toBeLessThan(3_000);

    // A key refused on the first call: the other 199 questions are skipped at once, not at 5 a second.
    const refusing = new FakeJuhe({ reply: (req) => juheError(req, 10001) });
    const blockedHarness = await make({ juhe: refusing, concurrency: 50, rates: { status: 5 } });
    const blockedStarted = performance.now();
    const blocked = await blockedHarness.screen(await blockedHarness.csv('all.csv', rowsOf(list)), { profile: 'status' });
    expect(blocked.status).toBe('blocked');
    expect(blocked.counts).toMatchObject({ tasks: 200, final: 200, skipped: 199 });
    expect(refusing.calls).toHaveLength(1);
    expect(performance.now() - blockedStarted).toBeLessThan(3_000);
  });
});

describe('local engine: the result file', () => {
  it('one row per input row, in input order, original fields unchanged, then the added columns', async () => {
    const [a, b] = numbers('cmcc', 2);
    const [c] = numbers('ctcc', 1);
    const lines = [
      '手机号,姓名,备注',
      `${a},"Wang, Wei","said ""hi"""`,
      `１３８ ${b!.slice(3)},李四,`, // full-width digits and a space: normalized, the field kept as given
      `${c},  spaced  ,"multi`,
      `line note"`,
      `not-a-number,无效,x`,
      `${a},dup,again`,
      `${b},extra,field,beyond header`,
    ];
    const juhe = new FakeJuhe();
    const h = await make({ juhe });
    const view = await h.screen(await h.csv('list.csv', lines), { profile: 'basic' });
    const [header, ...rows] = await h.resultRows(view);
    expect(header).toEqual(['手机号', '姓名', '备注', 'column_4', ...ADDED_COLUMNS]);
    const original = [
      [a, 'Wang, Wei', 'said "hi"', ''],
      [`１３８ ${b!.slice(3)}`, '李四', '', ''],
      [c, '  spaced  ', 'multi\nline note', ''],
      ['not-a-number', '无效', 'x', ''],
      [a, 'dup', 'again', ''],
      [b, 'extra', 'field', 'beyond header'],
    ];
    expect(rows).toHaveLength(original.length);
    rows.forEach((row, i) => {
      expect(row.slice(0, 4)).toEqual(original[i]);
      expect(row).toHaveLength(4 + ADDED_COLUMNS.length);
    });
    const status = rows.map((row) => row[4 + ADDED_COLUMNS.indexOf('row_status')]);
    const mobile = rows.map((row) => row[4 + ADDED_COLUMNS.indexOf('mobile')]);
    expect(status).toEqual(['screened', 'screened', 'screened', 'invalid', 'screened', 'screened']);
    expect(mobile).toEqual([a, b, c, '', a, b]);
    expect(view.counts).toMatchObject({ rows: 6, rowsScreened: 5, rowsInvalid: 1, fields: 4 });
  });
});

describe('local engine: the manifest agrees with the batch record', () => {
  it('a cancel that lands between the manifest and the final status is written into the manifest', async () => {
    const stores = memoryStores();
    const setStatus = stores.batches.setStatus.bind(stores.batches);
    stores.batches.setStatus = async (id, status, reason, patch) => {
      // The report's final "done" arrives just after someone cancelled the batch.
      if (status === 'done') await setStatus(id, 'cancelled', 'cancelled by riskscreen cancel');
      return setStatus(id, status, reason, patch);
    };
    const h = await make({ juhe: new FakeJuhe(), stores });
    const view = await h.screen(await h.csv('list.csv', rowsOf(numbers('cmcc', 3))), { profile: 'status' });
    expect(view.status).toBe('cancelled');
    const manifest = await readManifest(manifestPathOf(view.resultPath!));
    expect(manifest.batch).toMatchObject({ status: 'cancelled', reason: 'cancelled by riskscreen cancel' });
    expect(manifest.rows.total).toBe(3);
  });
});

describe('local engine: the staged plan across its two stages', () => {
  /** The fake service's line state is the last digit % 5: 3 (inactive) and 4 (pre_cancel) decide the level. */
  const decides = (mobile: string) => [3, 4].includes(Number(mobile.slice(-1)) % 5);

  it('a deciding line status ends its number; the others are asked only after their own status answer, retries included', async () => {
    const list = numbers('ctcc', 20);
    const flaky = list.find((mobile) => !decides(mobile))!;
    const juhe = new FakeJuhe({
      delayMs: 2,
      reply: (req, nth) => (req.api === 'status' && req.mobile === flaky && nth === 1 ? juheError(req, 224915, { retry: QUICK_RETRY }) : 'answer'),
    });
    const h = await make({ juhe, concurrency: 4 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'basic', plan: 'staged' });
    expect(view.status).toBe('done');
    expect(view.options.plan).toBe('staged');
    const deciding = list.filter(decides);
    expect(deciding.length).toBeGreaterThan(3);
    for (const mobile of list) {
      const tenure = juhe.callsOf({ api: 'tenure', mobile });
      if (decides(mobile)) {
        expect(tenure).toHaveLength(0);
        continue;
      }
      expect(tenure).toHaveLength(1);
      const status = juhe.callsOf({ api: 'status', mobile }).filter((call) => call.code === 0);
      expect(tenure[0]!.startedAt).toBeGreaterThanOrEqual(status[0]!.endedAt!);
    }
    expect(juhe.callsOf({ api: 'status', mobile: flaky }).map((call) => call.code)).toEqual([224915, 0]);
    expect(view.counts).toMatchObject({ tasks: 40, final: 40, decided: deciding.length, 'decided.tenure': deciding.length, answered: 40 - deciding.length, rowsScreened: 20 });
    const rows = await h.resultRecords(view);
    for (const row of rows.filter((r) => decides(r.mobile!))) {
      expect(row).toMatchObject({ row_status: 'screened', tenure: '', tenure_code: 'decided', risk_level: 'high', error: '' });
      expect(row.risk_reasons).toMatch(/tenure not asked: the level was decided by line status \((inactive|pre_cancel)\)/);
    }
  });

  it('line status out of quota leaves every level open: the other APIs are still asked', async () => {
    const list = numbers('cmcc', 6);
    const juhe = new FakeJuhe({ reply: (req) => (req.api === 'status' ? juheError(req, 10012) : 'answer') });
    const h = await make({ juhe, concurrency: 1 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'basic', plan: 'staged' });
    expect(juhe.callsOf({ api: 'status' })).toHaveLength(1);
    expect(juhe.callsOf({ api: 'tenure' })).toHaveLength(6);
    expect(view.counts).toMatchObject({ tasks: 12, final: 12, decided: 0, failed: 1, skipped: 5, answered: 6 });
  });

  it('a refused key on line status blocks the batch: the second stage is skipped, never asked', async () => {
    const list = numbers('ctcc', 6);
    const juhe = new FakeJuhe({ reply: (req) => juheError(req, 10001) });
    const h = await make({ juhe, concurrency: 1 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'basic', plan: 'staged' });
    expect(juhe.calls).toHaveLength(1);
    expect(view.status).toBe('blocked');
    expect(view.counts).toMatchObject({ tasks: 12, final: 12, failed: 1, skipped: 11, decided: 0 });
    const rows = await h.resultRecords(view);
    for (const row of rows) expect(row.tenure_code).toBe('account_blocked');
  });

  it('--max-calls counts the calls of both stages; a decided question takes no unit', async () => {
    const list = numbers('ctcc', 10);
    const juhe = new FakeJuhe({ reply: () => 'answer' });
    const h = await make({ juhe, concurrency: 1 });
    const view = await h.screen(await h.csv('list.csv', rowsOf(list)), { profile: 'basic', plan: 'staged', maxCalls: 14 });
    expect(juhe.calls).toHaveLength(14);
    expect(view.counts.billed).toBe(14);
    expect(view.counts.final).toBe(view.counts.tasks);
    // Every question is answered, decided or skipped for the limit: none is lost.
    expect(view.counts.answered + view.counts.decided + view.counts.skippedMaxCalls).toBe(20);
    expect(view.counts.decided).toBeGreaterThan(0);
  });

  it('cancelled while line statuses are out: the second stage is recorded as not asked, and nothing more is called', async () => {
    const list = numbers('ctcc', 8);
    const gate = deferred();
    const juhe = new FakeJuhe({
      reply: async (req): Promise<Reply> => {
        if (req.api === 'status') await gate.promise;
        return 'answer';
      },
    });
    const h = await make({ juhe, concurrency: 2 });
    const file = await h.csv('list.csv', rowsOf(list));
    const { meta } = await submitBatch(h.stores.batches, h.runner.context.dataDir, { file, input: {}, profile: 'basic', plan: 'staged' });
    const running = h.runner.run(meta.id);
    // The first line status call (the key check) is out, held; the others wait behind it.
    await until(() => juhe.calls.length >= 1);
    await h.stores.batches.setStatus(meta.id, 'cancelled', 'cancelled by riskscreen cancel');
    gate.resolve();
    await running;
    const view = (await h.stores.batches.get(meta.id))!;
    expect(view.status).toBe('cancelled');
    expect(juhe.callsOf({ api: 'tenure' })).toHaveLength(0);
    expect(view.counts.final).toBe(view.counts.tasks);
    const rows = await h.resultRecords(view);
    for (const row of rows) expect(['cancelled', 'decided']).toContain(row.tenure_code);
  });

  it('the first answer kept decides the next stage, whatever a later delivery of its job ends in (a skip, a settled failure)', async () => {
    const mobile = numbers('ctcc', 20).find(decides)!;
    const juhe = new FakeJuhe({ reply: () => 'answer' });
    const h = await make({ juhe, concurrency: 1 });
    const file = await h.csv('list.csv', rowsOf([mobile]));
    const { meta } = await submitBatch(h.stores.batches, h.runner.context.dataDir, { file, input: {}, profile: 'basic', plan: 'staged' });
    const queued: ApiJobData[] = [];
    const ctx: EngineContext = {
      ...h.runner.context,
      scheduler: { addApiJobs: async (_api, jobs) => void queued.push(...jobs), pendingApiJobs: async () => queued.length, addReportJob: async () => undefined },
    };
    await runIngestJob(ctx, { batchId: meta.id });
    const first = queued.splice(0)[0]!;
    expect(first).toMatchObject({ api: 'status', decides: ['inactive', 'pre_cancel'] });
    expect(first.next).toEqual([{ api: 'tenure', hash: first.hash, date: null }]);
    // A first delivery kept its (deciding) answer and died before the next stage.
    const answer = answerFor({ api: 'status', mobile, carrier: 'ctcc' });
    if (answer.kind !== 'success') throw new Error('the fake answers');
    await h.stores.batches.recordResult(meta.id, first.taskId, encodeTaskResult('status', { kind: 'answered', signals: answer.signals }), {});
    // A later delivery finds the API's quota spent: its skip must not reopen the level.
    await h.stores.batches.markExhausted(meta.id, 'status', 'spent');
    expect(await runApiCallJob(ctx, first, 1)).toBe('skipped');
    // Nor a failure settled for the job.
    await settleUnrecordedJob(ctx, first, 'the job was lost');
    expect(queued).toHaveLength(0);
    const [tenure] = await h.stores.batches.getResults(meta.id, [`tenure.${first.hash}`]);
    expect(decodeTaskResult('tenure', tenure!)).toEqual({ kind: 'decided', by: 'status', value: answer.signals.lineStatus!.value });
    const view = (await h.stores.batches.get(meta.id))!;
    expect(view.counts).toMatchObject({ tasks: 2, final: 2, decided: 1, skipped: 0, failed: 0 });
  });
});
