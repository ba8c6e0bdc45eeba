/**
 * Where a nightly run's results go and who is told, on a real Redis: outbox names, the
 * automatic changes file against the run before, retention, cache hits in the manifest
 * and the webhook; signed webhooks checked by an independent receiver (the docs'
 * example), retried after a 500 and after a timeout, given up after the give-up time,
 * every attempt recorded; a rejected file reported; `submit --webhook`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import type { NightlyRun } from '../../../src/nightly/nightly-store.js';
import { runDateOf } from '../../../src/nightly/outbox.js';
import { writeNumberList } from '../engine/harness.js';
import { filesIn, startNightly, startReceiver, waitUntil, type NightlyHarness, type Receiver } from './support.js';

let nightly: NightlyHarness | null = null;
let receiver: Receiver | null = null;

afterEach(async () => {
  await nightly?.close();
  await receiver?.close();
  nightly = null;
  receiver = null;
});

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Hex digests (sha256, mobile_hash) can hold eleven digits in a row by chance: not numbers. */
const withoutDigests = (text: string) => text.replace(/[0-9a-f]{32,64}/g, '<digest>');

async function tickNow(h: NightlyHarness, name: string): Promise<string> {
  const run = await h.cli(['schedule', 'run', name, '--wait']);
  expect(run.code, run.err).toBe(EXIT.ok);
  return run.out;
}

describe('the outbox and webhooks (queue engine)', () => {
  it('writes <stem>.<yyyymmdd>.result.csv, then the changes against the run before, keeps N runs, and tells the webhook with every file and digest', async () => {
    nightly = await startNightly();
    receiver = await startReceiver();
    const h = nightly;
    h.startRunner();
    const added = await h.cli([
      'schedule', 'add', 'loans', '--cron', '0 2 * * *', '--inbox', h.inbox, '--outbox', h.outbox,
      '--settle', '0', '--profile', 'status', '--keep', '2', '--webhook', receiver.url,
    ]);
    expect(added.code, added.err).toBe(EXIT.ok);
    expect(added.out).toContain('webhook http://127.0.0.1:');
    expect(added.out).not.toContain('token=abc'); // a URL's query may hold a token: never printed

    const day = runDateOf(new Date().toISOString(), 'Asia/Shanghai');
    const runs: string[] = [];
    const screenOnce = async (seed: number) => {
      const before = receiver!.deliveries.length;
      writeNumberList(h.inbox, 'applicants.csv', 30, { seed });
      const out = await tickNow(h, 'loans');
      const batchId = /-> batch (b\S+)/.exec(out)![1]!;
      runs.push(batchId);
      await waitUntil('the webhook', () => receiver!.deliveries.length > before, 60_000);
      return receiver!.deliveries.at(-1)!;
    };

    // The first run: no earlier result, so no changes file.
    const first = await screenOnce(1);
    expect(filesIn(h.outbox)).toEqual([`applicants.${day}.result.csv`, `applicants.${day}.result.manifest.json`]);
    expect(first.verified).toBe(true);
    expect(first.headers['x-riskscreen-event']).toBe('batch.done');
    expect(first.headers['x-riskscreen-delivery']).toBe(`${runs[0]}.ended`);
    expect(first.payload).toMatchObject({ event: 'batch.done', schedule: 'loans', batch: { id: runs[0], status: 'done' }, input: { name: 'applicants.csv' }, changes: null });
    expect(first.payload.rows!.total).toBe(30);
    expect(first.payload.calls!.billable_total).toBe(30);
    expect(first.payload.notes).toContain('no changes file: this is the first run of this list in the outbox');
    for (const file of first.payload.files) expect(file.sha256).toBe(sha256(file.path));
    expect(first.payload.files.map((file) => file.role)).toEqual(['result', 'manifest']);
    expect(withoutDigests(first.body)).not.toMatch(/(?<!\d)1\d{10}(?!\d)/); // never a phone number

    // The second run the same day (half the numbers again): its own name, and the changes file.
    const second = await screenOnce(1);
    const secondBase = `applicants.${day}-2`;
    expect(filesIn(h.outbox)).toEqual([
      `applicants.${day}.result.csv`,
      `applicants.${day}.result.manifest.json`,
      `${secondBase}.changes.csv`,
      `${secondBase}.result.csv`,
      `${secondBase}.result.manifest.json`,
    ].sort());
    const manifest = JSON.parse(readFileSync(join(h.outbox, `${secondBase}.result.manifest.json`), 'utf8'));
    expect(manifest.schedule).toEqual({ name: 'loans', run_date: day, stem: 'applicants', inbox_file: 'applicants.csv' });
    expect(manifest.changes.compared_with.name).toBe(`applicants.${day}.result.csv`);
    expect(manifest.changes.unchanged).toBe(30); // the same list: every number as before
    // The shared cache: a re-run of an unchanged list costs nothing, and both say so.
    expect(manifest.calls.cache_hits_total).toBe(30);
    expect(manifest.calls.billable_total).toBe(0);
    expect(second.payload.calls!.cache_hits_total).toBe(30);
    expect(second.payload.changes).toMatchObject({ unchanged: 30, new: 0 });
    expect(second.payload.files.map((file) => file.role)).toEqual(['result', 'changes', 'manifest']);
    expect(second.verified).toBe(true);

    // A third run, a different list: the first run is removed (--keep 2), its manifest first.
    const third = await screenOnce(2);
    const thirdBase = `applicants.${day}-3`;
    expect(filesIn(h.outbox)).toEqual([
      `${secondBase}.changes.csv`,
      `${secondBase}.result.csv`,
      `${secondBase}.result.manifest.json`,
      `${thirdBase}.changes.csv`,
      `${thirdBase}.result.csv`,
      `${thirdBase}.result.manifest.json`,
    ].sort());
    expect(third.payload.changes).toMatchObject({ new: 30, gone: 30 });
    expect(third.payload.notes.some((note) => /removed from the outbox/.test(note))).toBe(true);
    const changes = readFileSync(join(h.outbox, `${thirdBase}.changes.csv`), 'utf8').trim().split('\r\n');
    expect(changes).toHaveLength(61); // header, 30 new, 30 gone
  }, 180_000);

  it('masks, splits by level and re-encodes the outbox as the schedule says', async () => {
    nightly = await startNightly();
    const h = nightly;
    h.startRunner();
    const added = await h.cli(['schedule', 'add', 'masked', '--cron', '0 2 * * *', '--inbox', h.inbox, '--outbox', h.outbox, '--settle', '0', '--profile', 'status', '--mask', '--split', '--out-encoding', 'gb18030']);
    expect(added.code, added.err).toBe(EXIT.ok);
    writeNumberList(h.inbox, 'list.csv', 10);
    const out = await tickNow(h, 'masked');
    const id = /-> batch (b\S+)/.exec(out)![1]!;
    await h.waitFor(id, 60_000);
    const day = runDateOf(new Date().toISOString(), 'Asia/Shanghai');
    const manifestPath = join(h.outbox, `list.${day}.result.manifest.json`);
    await waitUntil('the outbox manifest', () => filesIn(h.outbox).includes(`list.${day}.result.manifest.json`), 30_000);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect(manifest.result).toMatchObject({ file: `list.${day}.result.csv`, encoding: 'gb18030', masked: true });
    expect(Object.values(manifest.files.levels).map((file) => (file as { file: string }).file).sort()).toEqual(
      ['high', 'low', 'medium', 'unscored'].map((level) => `list.${day}.${level}.csv`),
    );
    const result = readFileSync(join(h.outbox, `list.${day}.result.csv`), 'latin1');
    expect(result).toContain('mobile_hash');
    expect(withoutDigests(result)).not.toMatch(/(?<!\d)1\d{10}(?!\d)/);
  }, 60_000);

  it('writes each --format of a run under its base name, the CSV and the run’s manifest last; compares with the CSV; retention and the webhook take every format along; a retry overwrites its own files', async () => {
    nightly = await startNightly();
    receiver = await startReceiver();
    const h = nightly;
    h.startRunner();
    const added = await h.cli([
      'schedule', 'add', 'formats', '--cron', '0 2 * * *', '--inbox', h.inbox, '--outbox', h.outbox, '--settle', '0', '--profile', 'status',
      '--split', '--keep', '2', '--format', 'xlsx', '--format', 'jsonl,xlsx', '--lang', 'en', '--webhook', receiver.url,
    ]);
    expect(added.code, added.err).toBe(EXIT.ok);
    expect(added.out).toContain('  formats csv, xlsx, jsonl (workbook in en)\n');
    expect((await h.cli(['schedule', 'list'])).out).toContain('  formats csv, xlsx, jsonl (workbook in en)\n');
    expect(JSON.parse((await h.cli(['schedule', 'list', '--json'])).out)[0].output).toEqual({ mask: false, split: true, encoding: 'utf8-bom', formats: ['csv', 'xlsx', 'jsonl'], language: 'en' });

    const day = runDateOf(new Date().toISOString(), 'Asia/Shanghai');
    const levels = ['high', 'low', 'medium', 'unscored'];
    const filesOf = (base: string, changes: boolean) =>
      ['csv', 'xlsx', 'jsonl'].flatMap((ext) => [
        `${base}.result.${ext}`,
        ...levels.map((level) => `${base}.${level}.${ext}`),
        ...(changes ? [`${base}.changes.${ext}`] : []),
        ext === 'csv' ? `${base}.result.manifest.json` : `${base}.result.${ext}.manifest.json`,
      ]);
    const screenOnce = async (seed: number) => {
      const before = receiver!.deliveries.length;
      writeNumberList(h.inbox, 'applicants.csv', 10, { seed });
      const out = await tickNow(h, 'formats');
      const batchId = /-> batch (b\S+)/.exec(out)![1]!;
      await waitUntil('the webhook', () => receiver!.deliveries.length > before, 60_000);
      return { batchId, delivery: receiver!.deliveries.at(-1)! };
    };

    // The first run: every format, each with its own manifest; the run's manifest is the CSV's, written last.
    const first = await screenOnce(1);
    const base1 = `applicants.${day}`;
    expect(filesIn(h.outbox)).toEqual(filesOf(base1, false).sort());
    const mainPath = join(h.outbox, `${base1}.result.manifest.json`);
    const main = JSON.parse(readFileSync(mainPath, 'utf8'));
    const xlsx = JSON.parse(readFileSync(join(h.outbox, `${base1}.result.xlsx.manifest.json`), 'utf8'));
    const jsonl = JSON.parse(readFileSync(join(h.outbox, `${base1}.result.jsonl.manifest.json`), 'utf8'));
    expect(main.result).toMatchObject({ file: `${base1}.result.csv`, format: 'csv', rows: 10 });
    expect(xlsx.result).toMatchObject({ file: `${base1}.result.xlsx`, format: 'xlsx', rows: 10 });
    expect(jsonl.result).toMatchObject({ file: `${base1}.result.jsonl`, format: 'jsonl', rows: 10 });
    expect(xlsx.files.levels.high.file).toBe(`${base1}.high.xlsx`);
    expect(jsonl.files.levels.unscored.file).toBe(`${base1}.unscored.jsonl`);
    expect(xlsx.options.output).toMatchObject({ format: 'xlsx', language: 'en', split: true });
    for (const m of [xlsx, jsonl]) {
      expect(m.schedule).toEqual(main.schedule);
      expect(m.batch.id).toBe(first.batchId);
      expect(m.rows).toEqual(main.rows);
      // Written before the CSV: the run's manifest appears once every format is whole.
      expect(Date.parse(m.times.files_written)).toBeLessThanOrEqual(Date.parse(main.times.files_written));
    }
    const mainWritten = statSync(mainPath).mtimeMs;
    for (const name of filesIn(h.outbox)) expect(statSync(join(h.outbox, name)).mtimeMs, name).toBeLessThanOrEqual(mainWritten);

    // The webhook: the CSV's files and the run's manifest first (as before formats), then each other format's, every digest right.
    const files1 = first.delivery.payload.files;
    expect(first.delivery.verified).toBe(true);
    expect(files1.map((file) => `${file.format}:${file.role}`)).toEqual([
      'csv:result', 'csv:low', 'csv:medium', 'csv:high', 'csv:unscored', 'csv:manifest',
      'xlsx:result', 'xlsx:low', 'xlsx:medium', 'xlsx:high', 'xlsx:unscored', 'xlsx:manifest',
      'jsonl:result', 'jsonl:low', 'jsonl:medium', 'jsonl:high', 'jsonl:unscored', 'jsonl:manifest',
    ]);
    expect(files1.map((file) => file.name).sort()).toEqual(filesOf(base1, false).sort());
    for (const file of files1) expect(file.sha256, file.name).toBe(sha256(file.path));

    // The second run: the changes in every format, each compared with the first run's CSV.
    const second = await screenOnce(1);
    const base2 = `applicants.${day}-2`;
    expect(filesIn(h.outbox)).toEqual([...filesOf(base1, false), ...filesOf(base2, true)].sort());
    for (const name of [`${base2}.result.manifest.json`, `${base2}.result.xlsx.manifest.json`, `${base2}.result.jsonl.manifest.json`]) {
      const m = JSON.parse(readFileSync(join(h.outbox, name), 'utf8'));
      expect(m.changes, name).toMatchObject({ unchanged: 10, new: 0, gone: 0, compared_with: { name: `${base1}.result.csv` } });
    }
    expect(second.delivery.payload.changes).toMatchObject({ unchanged: 10, compared_with: { name: `${base1}.result.csv` } });
    expect(second.delivery.payload.files.filter((file) => file.role === 'changes').map((file) => file.name)).toEqual(['csv', 'xlsx', 'jsonl'].map((ext) => `${base2}.changes.${ext}`));

    // The third run: --keep 2 removes every format of the first.
    const third = await screenOnce(2);
    const base3 = `applicants.${day}-3`;
    expect(filesIn(h.outbox)).toEqual([...filesOf(base2, true), ...filesOf(base3, true)].sort());
    expect(third.delivery.payload.notes).toContain('18 files of runs older than the newest 2 removed from the outbox');
    expect(third.delivery.payload.changes).toMatchObject({ new: 10, gone: 10, compared_with: { name: `${base2}.result.csv` } });

    // The same batch handed on again (a crash after the files, a re-delivered event): the same names, overwritten in place.
    const digests = new Map(filesIn(h.outbox).filter((name) => !name.endsWith('.json')).map((name) => [name, sha256(join(h.outbox, name))]));
    const run: NightlyRun = {
      batchId: third.batchId,
      schedule: {
        name: 'formats', file: 'applicants.csv', stem: 'applicants', runDate: day, outbox: h.outbox,
        output: { mask: false, split: true, encoding: 'utf8-bom', formats: ['csv', 'xlsx', 'jsonl'], language: 'en' }, keep: 2, taken: null,
      },
      webhook: null,
    };
    // Left under this name by an attempt in a format this run does not write (a schedule replaced since): cleared, manifest first.
    writeFileSync(join(h.outbox, `${base3}.result.parquet`), 'stale');
    writeFileSync(join(h.outbox, `${base3}.result.parquet.manifest.json`), JSON.stringify({ batch: { id: 'other' }, result: { file: `${base3}.result.parquet` }, files: {} }));
    await h.store.putRun(run);
    await h.queues.nightly.add('batch-end', { batchId: third.batchId }, { jobId: `${third.batchId}.end-again` });
    await waitUntil('the second hand-on', async () => (await h.store.run(third.batchId)) === null, 60_000);
    expect(filesIn(h.outbox)).toEqual([...filesOf(base2, true), ...filesOf(base3, true)].sort());
    // CSV and JSON Lines are the same bytes; a workbook carries its own write time.
    for (const [name, digest] of digests) if (!name.endsWith('.xlsx')) expect(sha256(join(h.outbox, name)), name).toBe(digest);
    const again = JSON.parse(readFileSync(join(h.outbox, `${base3}.result.xlsx.manifest.json`), 'utf8'));
    expect(again.result.sha256).toBe(sha256(join(h.outbox, `${base3}.result.xlsx`)));
    expect(again.changes).toMatchObject({ new: 10, gone: 10, compared_with: { name: `${base2}.result.csv` } });

    // A last attempt whose CSV cannot be written (a folder in its way): the workbook and
    // JSON Lines it wrote first go again, so no other format is left that no run lists.
    await h.store.putRun(run);
    rmSync(join(h.outbox, `${base3}.result.csv`));
    mkdirSync(join(h.outbox, `${base3}.result.csv`));
    await h.queues.nightly.add('batch-end', { batchId: third.batchId }, { jobId: `${third.batchId}.end-blocked`, attempts: 1 });
    await waitUntil('the failed last attempt', async () => (await h.store.run(third.batchId)) === null, 60_000);
    // (The CSVs of the earlier attempt stay, with no manifest: nothing vouches for them, as always.)
    expect(filesIn(h.outbox).filter((name) => name.startsWith(base3) && !name.endsWith('.csv'))).toEqual([]);
  }, 180_000);

  it('retries a webhook after a 500 and after a timeout, records every attempt, and sends the same body each time', async () => {
    nightly = await startNightly();
    receiver = await startReceiver();
    const h = nightly;
    h.startRunner();
    receiver.script.push(500, 'hang');
    expect((await h.cli(['schedule', 'add', 'retry', '--cron', '0 2 * * *', '--inbox', h.inbox, '--outbox', h.outbox, '--settle', '0', '--profile', 'status', '--webhook', receiver.url])).code).toBe(EXIT.ok);
    writeNumberList(h.inbox, 'list.csv', 5);
    await tickNow(h, 'retry');
    await waitUntil('three attempts', () => receiver!.deliveries.length >= 3, 60_000);
    const [a, b, c] = receiver.deliveries;
    expect([a, b, c].map((d) => d!.verified)).toEqual([true, true, true]);
    expect(new Set([a, b, c].map((d) => d!.body)).size).toBe(1);
    expect(new Set([a, b, c].map((d) => d!.headers['x-riskscreen-delivery'])).size).toBe(1);
    expect([a, b, c].map((d) => d!.headers['x-riskscreen-attempt'])).toEqual(['1', '2', '3']);
    // Waits grow: 200 ms after the first failure, 400 ms after the second (plus the 1 s timeout).
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(150);
    expect(c!.at - b!.at).toBeGreaterThanOrEqual(1_000 + 350);

    const attempts = await waitUntil('the attempts recorded', async () => {
      const list = await h.store.attempts(10);
      return list.length >= 3 ? list.reverse() : null;
    });
    expect(attempts.map((x) => [x.attempt, x.ok, x.status])).toEqual([[1, false, 500], [2, false, null], [3, true, 204]]);
    expect(attempts[1]!.error).toMatch(/timed out/);
    expect(attempts[0]!.nextAttempt).not.toBeNull();
    expect(attempts.every((x) => !x.url.includes('token'))).toBe(true);
    const log = await h.cli(['webhook', 'log']);
    expect(log.code).toBe(EXIT.ok);
    expect(log.out).toMatch(/batch\.done .* attempt 3 .* delivered \(HTTP 204\)/);
    expect(log.out).toMatch(/attempt 1 .* HTTP 500; next attempt /);
  }, 120_000);

  it('gives a webhook up after the give-up time, and says so in the log', async () => {
    nightly = await startNightly({ RISKSCREEN_WEBHOOK_GIVE_UP_MS: '1000' });
    receiver = await startReceiver();
    const h = nightly;
    h.startRunner();
    receiver.script.push(503, 503, 503, 503, 503, 503, 503, 503);
    expect((await h.cli(['schedule', 'add', 'giveup', '--cron', '0 2 * * *', '--inbox', h.inbox, '--outbox', h.outbox, '--settle', '0', '--profile', 'status', '--webhook', receiver.url])).code).toBe(EXIT.ok);
    writeNumberList(h.inbox, 'list.csv', 5);
    await tickNow(h, 'giveup');
    const attempts = await waitUntil('the give-up', async () => {
      const list = await h.store.attempts(20);
      return list.some((x) => x.gaveUp) ? list.reverse() : null;
    }, 60_000);
    expect(attempts.at(-1)!.gaveUp).toBe(true);
    expect(attempts.at(-1)!.nextAttempt).toBeNull();
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    const count = receiver.deliveries.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(receiver.deliveries.length).toBe(count); // nothing after the give-up
    expect((await h.cli(['webhook', 'log'])).out).toMatch(/HTTP 503; given up/);
  }, 90_000);

  it('reports a rejected file to the webhook, with its digest and the problem, and makes no call', async () => {
    nightly = await startNightly();
    receiver = await startReceiver();
    const h = nightly;
    h.startRunner();
    expect((await h.cli(['schedule', 'add', 'rej', '--cron', '0 2 * * *', '--inbox', h.inbox, '--outbox', h.outbox, '--settle', '0', '--webhook', receiver.url])).code).toBe(EXIT.ok);
    const bad = join(h.inbox, 'bad.csv');
    writeFileSync(bad, 'mobile,name\n13800138000,"unclosed\n');
    const digest = sha256(bad);
    await tickNow(h, 'rej');
    await waitUntil('the webhook', () => receiver!.deliveries.length > 0, 30_000);
    const [event] = receiver.deliveries;
    expect(event!.verified).toBe(true);
    expect(event!.payload).toMatchObject({ event: 'file.rejected', schedule: 'rej', batch: null, input: { name: 'bad.csv', sha256: digest } });
    expect(event!.payload.rejected!.problem).toMatch(/bad\.csv:2: /);
    expect(event!.payload.rejected!.moved_to).toBe(join(h.inbox, 'rejected', 'bad.csv'));
    expect(event!.body).not.toContain('13800138000');
    expect(filesIn(h.outbox)).toEqual([]);
    expect(h.emulator.ledger.stats().calls).toBe(0);
  }, 60_000);

  it('tells how a scheduled batch ended when it did not finish: cancelled, blocked or failed, and writes nothing to the outbox', async () => {
    nightly = await startNightly({ JUHE_KEY: 'not-the-emulators-key' });
    receiver = await startReceiver();
    const h = nightly;
    // Ticks only, at first: the batches wait, queued, for what the test does to them.
    h.startRunner({ only: ['nightly', 'webhook'] });
    expect((await h.cli(['schedule', 'add', 'ends', '--cron', '0 2 * * *', '--inbox', h.inbox, '--outbox', h.outbox, '--settle', '0', '--profile', 'status', '--webhook', receiver.url])).code).toBe(EXIT.ok);
    writeNumberList(h.inbox, 'a-cancelled.csv', 5, { seed: 1 });
    writeNumberList(h.inbox, 'b-blocked.csv', 5, { seed: 2 });
    writeNumberList(h.inbox, 'c-failed.csv', 5, { seed: 3 });
    const out = await tickNow(h, 'ends');
    const [cancelled, blocked, failed] = [...out.matchAll(/-> batch (b\S+)/g)].map((m) => m[1]!);

    // Cancelled while still queued.
    expect((await h.cli(['cancel', cancelled!])).code).toBe(EXIT.ok);
    // Failed for good (as stepJob and the failed-job sweep leave it), then told.
    await h.stores.batches.setStatus(failed!, 'failed', 'ingest failed: the stored list is gone', { evenIfStopped: true });
    await h.queues.addBatchEnd(failed!);
    // Blocked: the workers now run with a key the service refuses.
    h.startRunner();
    await waitUntil('three webhooks', () => receiver!.deliveries.length >= 3, 60_000);
    const byBatch = new Map(receiver.deliveries.map((d) => [d.payload.batch!.id, d]));
    expect(byBatch.get(cancelled!)!.payload).toMatchObject({ event: 'batch.cancelled', batch: { status: 'cancelled' }, files: [] });
    expect(byBatch.get(blocked!)!.payload).toMatchObject({ event: 'batch.blocked', batch: { status: 'blocked' }, files: [] });
    expect(byBatch.get(blocked!)!.payload.batch!.reason).toMatch(/refused/);
    expect(byBatch.get(failed!)!.payload).toMatchObject({ event: 'batch.failed', batch: { status: 'failed', reason: 'ingest failed: the stored list is gone' }, rows: null, files: [] });
    expect(byBatch.get(failed!)!.payload.notes).toEqual(['the batch ended failed without a result: nothing was written to the outbox']);
    for (const d of receiver.deliveries) expect(d.verified).toBe(true);
    expect(filesIn(h.outbox)).toEqual([]);
  }, 90_000);

  it('tells the webhook when a tick fails (the inbox is gone), and lists the failure', async () => {
    nightly = await startNightly();
    receiver = await startReceiver();
    const h = nightly;
    h.startRunner();
    expect((await h.cli(['schedule', 'add', 'gone', '--cron', '0 2 * * *', '--inbox', h.inbox, '--outbox', h.outbox, '--webhook', receiver.url])).code).toBe(EXIT.ok);
    rmSync(h.inbox, { recursive: true });
    const run = await h.cli(['schedule', 'run', 'gone', '--wait']);
    expect(run.code).toBe(EXIT.internal);
    expect(run.err).toMatch(/the tick failed: inbox .*: /);
    await waitUntil('the webhook', () => receiver!.deliveries.length > 0, 30_000);
    expect(receiver.deliveries[0]!.payload).toMatchObject({ event: 'tick.failed', schedule: 'gone', tick: { error: expect.stringMatching(/^inbox /) } });
    const listed = await h.cli(['schedule', 'list']);
    expect(listed.out).toMatch(/last tick .*failed: inbox /);
  }, 60_000);

  it('tells a submit --webhook receiver when the batch ends, without writing to any outbox', async () => {
    nightly = await startNightly();
    receiver = await startReceiver();
    const h = nightly;
    h.startRunner();
    const list = writeNumberList(h.dir, 'one-off.csv', 12);
    const submitted = await h.cli(['submit', list.path, '--profile', 'status', '--max-calls', '5', '--webhook', receiver.url]);
    expect(submitted.code, submitted.err).toBe(EXIT.ok);
    const id = submitted.out.trim();
    await waitUntil('the webhook', () => receiver!.deliveries.length > 0, 60_000);
    const [event] = receiver.deliveries;
    expect(event!.verified).toBe(true);
    // Stopped by --max-calls: done, but limited.
    expect(event!.payload).toMatchObject({ event: 'batch.limited', schedule: null, batch: { id, status: 'done', max_calls: 5 } });
    expect(event!.payload.batch!.reason).toMatch(/stopped at --max-calls 5/);
    expect(event!.payload.calls!.billable_total).toBe(5);
    expect(event!.payload.rows!.by_status.screened).toBe(5);
    expect(event!.payload.files).toEqual([]);
  }, 60_000);
});
