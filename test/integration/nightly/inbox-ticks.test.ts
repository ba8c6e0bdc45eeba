/**
 * Schedules on a real Redis: ticks run once each however many workers run, an inbox
 * file is taken once (with or without markers; half-written and temporary files are
 * left alone), a crash between making a file's batch and moving the file makes no
 * second batch, and a worker killed during a tick leaves every file screened once.
 */
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import type { TickRecord } from '../../../src/nightly/nightly-store.js';
import { writeNumberList } from '../engine/harness.js';
import { filesIn, startNightly, waitUntil, type NightlyHarness } from './support.js';

let nightly: NightlyHarness | null = null;

afterEach(async () => {
  await nightly?.close();
  nightly = null;
});

/** Gives a file an old mtime, as a copy that keeps the original's time does (its ctime is now all the same). */
function aged(path: string): void {
  const old = new Date(Date.now() - 120_000);
  utimesSync(path, old, old);
}

async function addSchedule(h: NightlyHarness, name: string, extra: string[] = []): Promise<void> {
  const added = await h.cli(['schedule', 'add', name, '--cron', '0 2 * * *', '--inbox', h.inbox, '--outbox', h.outbox, '--profile', 'status', ...extra]);
  expect(added.err).toBe('');
  expect(added.code).toBe(EXIT.ok);
}

async function tickNow(h: NightlyHarness, name: string): Promise<string> {
  const run = await h.cli(['schedule', 'run', name, '--wait']);
  expect(run.code, run.err).toBe(EXIT.ok);
  return run.out;
}

async function batchIds(h: NightlyHarness): Promise<string[]> {
  return (await h.redis.client.zrange(`${h.options.engine.prefix}:batches`, 0, -1)).sort();
}

describe('schedules and the inbox (queue engine)', () => {
  it('runs each tick once with two workers, and takes a file once', async () => {
    nightly = await startNightly();
    const h = nightly;
    await h.startWorker();
    await h.startWorker();
    writeNumberList(h.inbox, 'list.csv', 20);
    const added = await h.cli(['schedule', 'add', 'every1s', '--cron', '* * * * * *', '--tz', 'UTC', '--inbox', h.inbox, '--outbox', h.outbox, '--settle', '0', '--profile', 'status']);
    expect(added.code, added.err).toBe(EXIT.ok);
    expect(added.out).toMatch(/schedule every1s added: \* \* \* \* \* \* \(UTC\)/);
    // A second file dropped between ticks: whichever worker's tick sees it first takes it, once.
    await waitUntil('two ticks', async () => (await h.store.ticks('every1s')).length >= 2, 30_000);
    writeNumberList(h.inbox, 'later.csv', 20, { seed: 9 });
    // Five ticks or more.
    const ticks = await waitUntil('five ticks', async () => {
      const list = await h.store.ticks('every1s');
      return list.length >= 5 && list.slice(0, 2).every((tick) => tick.taken.length === 0) ? list : null;
    }, 30_000);
    expect((await h.cli(['schedule', 'remove', 'every1s'])).code).toBe(EXIT.ok);

    // Once per tick: each scheduled time (the job id holds it) has one record, and each is its own job.
    const jobs = ticks.map((tick) => tick.job);
    expect(new Set(jobs).size).toBe(jobs.length);
    const times = jobs.map((job) => Number(job.split(':').at(-1)));
    expect(times.every((ms) => Number.isFinite(ms) && ms % 1_000 === 0)).toBe(true);
    expect(new Set(times).size).toBe(times.length);
    // Each file became one batch, taken by one tick.
    const taken = ticks.flatMap((tick) => tick.taken).sort((a, b) => a.file.localeCompare(b.file));
    expect(taken.map((t) => t.file)).toEqual(['later.csv', 'list.csv']);
    expect(await batchIds(h)).toEqual(taken.map((t) => t.batchId).sort());
    expect(filesIn(join(h.inbox, 'taken'))).toEqual([`later.${taken[0]!.batchId}.csv`, `list.${taken[1]!.batchId}.csv`]);
    expect(filesIn(h.inbox)).toEqual(['rejected', 'taken']);
    for (const { batchId } of taken) {
      const view = await h.waitFor(batchId, 60_000);
      expect(view.status).toBe('done');
      expect(view.submittedBy).toBe('schedule every1s');
    }
  }, 90_000);

  it('takes complete files only: settled or marked, never temporary names or files still being written', async () => {
    nightly = await startNightly();
    const h = nightly;
    h.startRunner();
    await addSchedule(h, 'settle', ['--settle', '3']);
    writeNumberList(h.inbox, 'settled.csv', 5);
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    // Written just now: not settled yet; nor a copy that set an old mtime just now (its ctime is now).
    const fresh = writeNumberList(h.inbox, 'fresh.csv', 5).path;
    const copied = writeNumberList(h.inbox, 'copied-keeping-time.csv', 5).path;
    aged(copied);
    // Marked: complete at once, however fresh.
    writeNumberList(h.inbox, 'marked.csv', 5);
    writeFileSync(join(h.inbox, 'marked.csv.ready'), '');
    for (const temp of ['upload.csv.part', 'upload.csv.tmp', '~$book.xlsx', '.hidden.csv', 'big.csv.filepart']) {
      writeFileSync(join(h.inbox, temp), 'mobile\n13800138000\n');
      aged(join(h.inbox, temp));
    }

    const out = await tickNow(h, 'settle');
    expect(out).toMatch(/taken {5}marked\.csv -> batch b/);
    expect(out).toMatch(/taken {5}settled\.csv -> batch b/);
    expect(out).toMatch(/waiting {3}copied-keeping-time\.csv/);
    expect(out).toMatch(/waiting {3}fresh\.csv/);
    expect(out).not.toMatch(/part|tmp|\$book|hidden|filepart/);
    const [tick] = await h.store.ticks('settle', 1);
    expect(tick!.followUp).not.toBeNull(); // a look again once the waiting files would have settled
    expect(filesIn(h.inbox)).toEqual(['.hidden.csv', 'big.csv.filepart', 'copied-keeping-time.csv', 'fresh.csv', 'rejected', 'taken', 'upload.csv.part', 'upload.csv.tmp', '~$book.xlsx']);
    expect(existsSync(fresh)).toBe(true);
    expect(filesIn(join(h.inbox, 'taken'))).toHaveLength(2);
    expect(await batchIds(h)).toHaveLength(2);
  }, 60_000);

  it('lists, refuses to overwrite, replaces and removes schedules; the time zone defaults to Asia/Shanghai', async () => {
    nightly = await startNightly();
    const h = nightly;
    await addSchedule(h, 'nightly-loans', ['--webhook', 'https://hooks.example.com/riskscreen?token=secret-token']);
    const again = await h.cli(['schedule', 'add', 'nightly-loans', '--cron', '0 3 * * *', '--inbox', h.inbox, '--outbox', h.outbox]);
    expect(again.code).toBe(EXIT.usage);
    expect(again.err).toMatch(/schedule nightly-loans exists; give --replace/);
    // One schedule per folder.
    const sameInbox = await h.cli(['schedule', 'add', 'other', '--cron', '0 3 * * *', '--inbox', h.inbox, '--outbox', join(h.dir, 'other-out')]);
    expect(sameInbox.code).toBe(EXIT.usage);
    expect(sameInbox.err).toMatch(/--inbox: schedule nightly-loans already takes files from/);
    mkdirSync(join(h.dir, 'other-in'));
    const sameOutbox = await h.cli(['schedule', 'add', 'other', '--cron', '0 3 * * *', '--inbox', join(h.dir, 'other-in'), '--outbox', h.outbox]);
    expect(sameOutbox.code).toBe(EXIT.usage);
    expect(sameOutbox.err).toMatch(/--outbox: schedule nightly-loans already writes to/);
    const listed = await h.cli(['schedule', 'list', '--json']);
    const [shown] = JSON.parse(listed.out);
    expect(shown).toMatchObject({ name: 'nightly-loans', cron: '0 2 * * *', tz: 'Asia/Shanghai', inbox: h.inbox, outbox: h.outbox, webhook: 'https://hooks.example.com/riskscreen', lastTick: null });
    // 02:00 in Shanghai is 18:00 UTC.
    expect(new Date(shown.next).getUTCHours()).toBe(18);
    expect(listed.out).not.toContain('secret-token');
    expect(await h.store.secret('schedule:nightly-loans')).toBe(h.env.RISKSCREEN_WEBHOOK_SECRET);

    const replaced = await h.cli(['schedule', 'add', 'nightly-loans', '--cron', '30 1 * * 1-5', '--tz', 'UTC', '--inbox', h.inbox, '--outbox', h.outbox, '--replace']);
    expect(replaced.code, replaced.err).toBe(EXIT.ok);
    expect(replaced.out).toMatch(/schedule nightly-loans replaced: 30 1 \* \* 1-5 \(UTC\)/);
    expect(await h.store.secret('schedule:nightly-loans')).toBeNull(); // no webhook any more
    const text = await h.cli(['schedule', 'list']);
    expect(text.out).toMatch(/nightly-loans: 30 1 \* \* 1-5 \(UTC\); next \d{4}-\d\d-\d\d 01:30:00/);
    expect(text.out).toMatch(/last tick none yet/);
    expect(await h.queues.nightly.getJobSchedulersCount()).toBe(1);

    expect((await h.cli(['schedule', 'remove', 'nightly-loans'])).code).toBe(EXIT.ok);
    expect(await h.queues.nightly.getJobSchedulersCount()).toBe(0);
    const gone = await h.cli(['schedule', 'remove', 'nightly-loans']);
    expect(gone.code).toBe(EXIT.usage);
    expect(gone.err).toMatch(/no schedule nightly-loans/);
    expect((await h.cli(['schedule', 'run', 'nightly-loans'])).code).toBe(EXIT.usage);
  }, 60_000);

  it('with --markers takes only marked files, and removes the marker with the file', async () => {
    nightly = await startNightly();
    const h = nightly;
    h.startRunner();
    await addSchedule(h, 'marked', ['--markers', '--settle', '0']);
    writeNumberList(h.inbox, 'a.csv', 5);
    writeNumberList(h.inbox, 'b.csv', 5);
    writeFileSync(join(h.inbox, 'b.csv.ready'), '');
    const out = await tickNow(h, 'marked');
    expect(out).toMatch(/taken {5}b\.csv/);
    expect(out).toMatch(/waiting {3}a\.csv/);
    expect(filesIn(h.inbox)).toEqual(['a.csv', 'rejected', 'taken']);
    const [tick] = await h.store.ticks('marked', 1);
    // Only a marker completes a file: the tick looks again every few minutes while one is awaited.
    expect(Date.parse(tick!.followUp!) - Date.parse(tick!.finished)).toBeGreaterThan(4 * 60_000);
  }, 60_000);

  for (const point of ['batch-created', 'file-moved'] as const) {
    it(`makes no second batch when a tick dies at ${point} (between claiming a file and being done with it)`, async () => {
      nightly = await startNightly();
      const h = nightly;
      // The first runner "dies" at the point: its tick never goes on, its locks are never renewed.
      let died = false;
      const victim = h.startRunner({
        only: ['nightly'],
        faults: {
          at: async (at) => {
            if (at !== point) return;
            died = true;
            await new Promise(() => {});
          },
        },
      });
      await addSchedule(h, 'crash', ['--settle', '0']);
      writeNumberList(h.inbox, 'list.csv', 10);
      const queued = await h.cli(['schedule', 'run', 'crash']);
      expect(queued.code).toBe(EXIT.ok);
      await waitUntil('the crash point', () => died, 20_000);
      const [first] = await batchIds(h);
      expect(first).toBeDefined();
      expect(existsSync(join(h.inbox, 'list.csv'))).toBe(point === 'batch-created'); // moved only at the later point
      // Gone without a word: every connection of its workers cut.
      victim.kill();
      // Another worker takes the tick back once the dead one's locks lapse, and finishes it.
      h.startRunner();
      await waitUntil('the tick finished', async () => (await h.store.ticks('crash', 1)).length === 1, 30_000);
      expect(await batchIds(h)).toEqual([first]);
      expect(filesIn(join(h.inbox, 'taken'))).toEqual([`list.${first}.csv`]);
      expect(filesIn(h.inbox)).toEqual(['rejected', 'taken']);
      const view = await h.waitFor(first!, 60_000);
      expect(view.status).toBe('done');
      expect(view.counts.rows).toBe(10);
      expect(h.emulator.ledger.stats().billed).toBe(10); // each number billed once
    }, 90_000);
  }

  it('leaves a file replaced after its batch was made in the inbox: the new file is the next batch', async () => {
    nightly = await startNightly();
    const h = nightly;
    const path = join(h.inbox, 'list.csv');
    h.startRunner({
      faults: {
        // The sender replaces the file (same name, new content) just after the tick read it.
        at: async (point) => {
          if (point === 'batch-created' && (await h.store.ticks('replace', 1)).length === 0) writeNumberList(h.inbox, 'list.csv', 7, { seed: 5 });
        },
      },
    });
    await addSchedule(h, 'replace', ['--settle', '0']);
    writeNumberList(h.inbox, 'list.csv', 3, { seed: 4 });
    await tickNow(h, 'replace');
    const [first] = await batchIds(h);
    expect(existsSync(path)).toBe(true); // the new file stays
    expect(filesIn(join(h.inbox, 'taken'))).toEqual([]);
    await tickNow(h, 'replace');
    const second = (await batchIds(h)).find((id) => id !== first)!;
    expect(filesIn(join(h.inbox, 'taken'))).toEqual([`list.${second}.csv`]);
    expect((await h.waitFor(first!, 60_000)).counts.rows).toBe(3);
    expect((await h.waitFor(second, 60_000)).counts.rows).toBe(7);
  }, 60_000);

  it('screens every file of a tick once when a worker is killed during it', async () => {
    nightly = await startNightly();
    const h = nightly;
    // Big enough files that reading them keeps the tick busy, few numbers so screening them is quick.
    const files = 16;
    const { numbers } = writeNumberList(h.dir, 'numbers.csv', 100);
    const rows = Array.from({ length: 5_000 }, (_, i) => numbers[i % numbers.length]!);
    for (let i = 0; i < files; i++) writeFileSync(join(h.inbox, `list-${String(i).padStart(2, '0')}.csv`), `mobile\n${rows.join('\n')}\n`);
    await addSchedule(h, 'kill', ['--settle', '0']);
    const victim = await h.startWorker(['--queues', 'nightly']);
    expect((await h.cli(['schedule', 'run', 'kill'])).code).toBe(EXIT.ok);
    await waitUntil('the tick under way', () => filesIn(join(h.inbox, 'taken')).length >= 2, 30_000);
    victim.kill('SIGKILL');
    await new Promise((resolve) => victim.once('exit', resolve));
    const takenAtKill = filesIn(join(h.inbox, 'taken')).length;
    expect(takenAtKill).toBeLessThan(files); // killed mid-tick, not after it

    await h.startWorker();
    await waitUntil('every file taken', () => filesIn(join(h.inbox, 'taken')).length === files, 60_000);
    const ids = await batchIds(h);
    expect(ids).toHaveLength(files);
    const taken = filesIn(join(h.inbox, 'taken'));
    expect(new Set(taken.map((name) => name.split('.')[1])).size).toBe(files);
    expect(taken.map((name) => name.split('.')[1]).sort()).toEqual(ids);
    for (const id of ids) expect((await h.waitFor(id, 120_000)).status).toBe('done');
    const ticks: TickRecord[] = await h.store.ticks('kill');
    expect(ticks.flatMap((tick) => tick.taken).length).toBeLessThanOrEqual(files);
  }, 240_000);

  it('moves a file the input layer refuses to rejected/ with a note, and calls nothing', async () => {
    nightly = await startNightly();
    const h = nightly;
    h.startRunner();
    await addSchedule(h, 'reject', ['--settle', '0']);
    writeFileSync(join(h.inbox, 'broken.csv'), 'mobile,name\n13800138000,"unclosed\n13900139000,ok\n');
    const out = await tickNow(h, 'reject');
    expect(out).toMatch(/rejected {2}broken\.csv: .*broken\.csv:2/);
    expect(filesIn(join(h.inbox, 'rejected'))).toEqual(['broken.csv', 'broken.csv.error.txt']);
    const note = readFileSync(join(h.inbox, 'rejected', 'broken.csv.error.txt'), 'utf8');
    expect(note).toMatch(/^File: broken\.csv\r\n/);
    expect(note).toMatch(/Problem: .*broken\.csv:2: /);
    expect(note).toMatch(/nothing was screened and nothing was billed/);
    expect(await batchIds(h)).toEqual([]);
    expect(h.emulator.ledger.stats().calls).toBe(0);
  }, 60_000);
});
