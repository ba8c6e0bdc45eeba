/**
 * `status` says why a batch is not moving, from worker heartbeats in Redis, and flags it
 * stuck after RISKSCREEN_STUCK_AFTER; `submit` with no worker alive says so at once. On
 * the queue engine with a real Redis and worker processes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { aliveWorkers } from '../../../workers/heartbeats.js';
import { runCli } from '../../support/capture-io.js';
import { startHarness, stopProcess, writeNumberList, type EngineHarness } from './harness.js';

const saved = { ...process.env };
let harness: EngineHarness | undefined;
afterEach(async () => {
  process.env = { ...saved };
  await harness?.close();
  harness = undefined;
});

const cli = runCli;

describe('status says why a batch waits', () => {
  it('no worker for its API queue, then stuck after RISKSCREEN_STUCK_AFTER; moving again once a worker starts', async () => {
    harness = await startHarness({}, { RISKSCREEN_STUCK_AFTER: '10s' });
    Object.assign(process.env, harness.env);
    const list = writeNumberList(harness.dir, 'list.csv', 40);

    // No worker at all: submit queues the batch and says so at once.
    const submitted = await cli(['submit', list.path, '--profile', 'status']);
    expect(submitted.code).toBe(EXIT.ok);
    const id = submitted.out.trim();
    expect(submitted.err).toBe('riskscreen: warning: no riskscreen worker is running: the batch waits until one starts (riskscreen worker)\n');

    // A worker for ingest and report only: the batch is ingested, then waits for api-status.
    const partial = await harness.startWorker(['--queues', 'ingest,report']);
    expect((await aliveWorkers(harness.redis.client, harness.options.engine.prefix)).map((w) => w.queues)).toEqual([['ingest', 'report']]);
    await harness.waitFor(id, 30_000, (view) => view.counts.ingestDone === 1);
    const waiting = await cli(['status', id]);
    expect(waiting.code).toBe(EXIT.ok);
    expect(waiting.out).toContain('waiting         no worker is running for the api-status queue (line status, 40 questions left): start one with riskscreen worker');
    expect(waiting.out).not.toContain('STUCK');

    // Nothing moves for RISKSCREEN_STUCK_AFTER (10 s): flagged stuck, with the reason.
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    const stuck = await cli(['status', id, '--json']);
    const record = JSON.parse(stuck.out) as { status: string; health: { stuck: boolean; idleMs: number; waits: string[] } };
    expect(record.status).toBe('screening');
    expect(record.health.stuck).toBe(true);
    expect(record.health.idleMs).toBeGreaterThanOrEqual(10_000);
    expect(record.health.waits).toEqual([expect.stringMatching(/^no worker is running for the api-status queue/)]);
    expect((await cli(['status', id])).out).toMatch(/STUCK {11}no progress for \d+ s \(RISKSCREEN_STUCK_AFTER is 10 s\)/);

    // A worker for api-status: the batch finishes, and status has nothing more to say.
    const full = await harness.startWorker(['--queues', 'status']);
    const done = await harness.waitFor(id, 60_000);
    expect(done.status).toBe('done');
    const after = await cli(['status', id]);
    expect(after.out).not.toContain('waiting ');
    expect(after.out).not.toContain('STUCK');

    // A worker that stops takes its heartbeat with it.
    await stopProcess(partial);
    await stopProcess(full);
    expect(await aliveWorkers(harness.redis.client, harness.options.engine.prefix)).toEqual([]);
  }, 120_000);

  it('staged plan: the other questions wait for line status answers, which status says in words, with the plan and the calls saved', async () => {
    harness = await startHarness({});
    Object.assign(process.env, harness.env);
    const list = writeNumberList(harness.dir, 'list.csv', 40);
    const id = (await cli(['submit', list.path, '--profile', 'basic'])).out.trim();

    // Workers for everything but line status: tenure has its worker, and still waits.
    const others = await harness.startWorker(['--queues', 'ingest,report,tenure']);
    await harness.waitFor(id, 30_000, (view) => view.counts.ingestDone === 1);
    const waiting = await cli(['status', id]);
    expect(waiting.out).toMatch(/ {2}plan {15}staged {3}saved no call: no line status answer decided a level \(or the rubric lets none\)\n/);
    expect(waiting.out).toContain('waiting         no worker is running for the api-status queue (line status, 40 questions left)');
    expect(waiting.out).toMatch(
      /waiting {9}tenure \(tenure on the network\): up to \d+ of its \d+ questions left wait for their numbers' line status answers \(staged plan: each is asked only when that answer leaves the level open\)\n/,
    );

    const status = await harness.startWorker(['--queues', 'status']);
    const done = await harness.waitFor(id, 60_000);
    expect(done.status).toBe('done');
    const after = await cli(['status', id]);
    expect(after.out).not.toContain('waiting ');
    // The questions decided are the calls saved: the line says so with each API that saved any.
    const saved = done.counts['decided.tenure'];
    expect(done.counts.decided).toBe(saved);
    expect(saved).toBeGreaterThan(0);
    expect(after.out).toContain(`saved ${saved} call${saved === 1 ? '' : 's'} (tenure ${saved}): not asked`);
    await stopProcess(others);
    await stopProcess(status);
  }, 120_000);
});
