/**
 * Redis restarts under a running batch. A Redis of the test's own (AOF on,
 * appendfsync everysec), restarted mid-batch:
 *
 * - cleanly (SIGTERM: Redis writes its AOF out before it exits): `run` with its
 *   in-process worker and a second worker process ride it out, `status` and `submit`
 *   started while Redis is down answer once it is back, and the batch finishes with
 *   every row and nothing billed twice beyond the calls in flight;
 * - by SIGKILL: Redis writes each command to its AOF (the kernel's page cache) before it
 *   replies, so killing the process loses at most the write in progress; fsync every
 *   second matters only when the machine goes down, and loses up to a second or two of
 *   writes then. The batch completes with every row, and no answer recorded before the
 *   kill is paid for again (calls in flight at the kill may be: their answers land on a
 *   Redis that is down, and come back when it is up).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import type { LedgerEntry } from '../../../src/emulator/index.js';
import { ENDPOINTS, type EndpointId } from '../../../src/juhe/catalogue.js';
import { runCli } from '../../support/capture-io.js';
import { freePort, spawnRedisServer, type RedisServerProcess } from '../../support/redis-server.js';
import { startHarness, stopProcess, writeNumberList, type EngineHarness } from './harness.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const saved = { ...process.env };
let harness: EngineHarness | undefined;
let redis: RedisServerProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  process.env = { ...saved };
  await harness?.close();
  await redis?.stop('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
  harness = undefined;
  redis = undefined;
  dir = undefined;
});

const AOF = ['--appendonly', 'yes', '--appendfsync', 'everysec'];

async function ownRedis(): Promise<{ port: number }> {
  const port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-restart-'));
  redis = await spawnRedisServer(port, dir, AOF);
  return { port };
}

/** Questions billed more than once, with the time of their first billing. */
function billedTwice(entries: readonly LedgerEntry[]): Array<{ question: string; first: number }> {
  const seen = new Map<string, { times: number; first: number }>();
  for (const entry of entries) {
    if (!entry.billed) continue;
    const question = `${ENDPOINTS[entry.endpoint as EndpointId].api}|${entry.mobile ?? entry.hash}`;
    const at = entry.t_ms ?? Date.parse(entry.time);
    const known = seen.get(question);
    if (known) known.times++;
    else seen.set(question, { times: 1, first: at });
  }
  return [...seen].filter(([, v]) => v.times > 1).map(([question, v]) => ({ question, first: v.first }));
}

const cli = runCli;

describe('a Redis restart mid-batch', () => {
  it('clean restart: run, a worker, status and submit ride it out; every row, nothing billed twice beyond the calls in flight', async () => {
    const { port } = await ownRedis();
    const CONCURRENCY = 8;
    harness = await startHarness({ latencyMs: '5-15' }, { RISKSCREEN_STALL_CHECK_MS: '3000' }, redis!.url);
    Object.assign(process.env, harness.env);
    const list = writeNumberList(harness.dir, 'restart.csv', 3_000);
    await harness.startWorker(['--concurrency', String(CONCURRENCY)]);
    const out = join(harness.dir, 'restart-result.csv');
    const run = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', list.path, '--out', out, '--profile', 'basic', '--quiet'], {
      cwd: ROOT,
      env: { ...process.env, ...harness.env, RISKSCREEN_CONCURRENCY: String(CONCURRENCY) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let runErr = '';
    run.stderr!.on('data', (chunk: Buffer) => (runErr += chunk.toString('utf8')));
    const runExit = new Promise<number | null>((resolve) => run.once('exit', resolve));
    harness.workers.add(run);

    const id = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`run did not submit: ${runErr}`)), 60_000);
      run.stderr!.on('data', () => {
        const match = /batch (b\d{8}-\d{6}-[0-9a-z]{4}) submitted/.exec(runErr);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    const before = await harness.waitFor(id, 60_000, (view) => view.counts.final >= 1_000);
    expect(before.counts.final).toBeLessThan(before.counts.tasks);

    await redis!.stop('SIGTERM');
    // Redis is down: status and submit wait for it (ioredis's offline queue), then answer.
    const status = cli(['status', id]);
    const submitted = cli(['submit', writeNumberList(harness.dir, 'while-down.csv', 5).path, '--profile', 'status']);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    redis = await spawnRedisServer(port, dir!, AOF);
    const callsAtRestart = harness.emulator.ledger.size;
    expect((await status).code).toBe(EXIT.ok);
    expect((await status).out).toContain(`batch ${id}`);
    expect((await submitted).code).toBe(EXIT.ok);
    expect((await submitted).out.trim()).toMatch(/^b\d{8}-\d{6}-[0-9a-z]{4}$/);

    expect(await runExit).toBe(EXIT.ok);
    // The batch really went on after the restart.
    expect(harness.emulator.ledger.size).toBeGreaterThan(callsAtRestart);
    const view = (await harness.stores.batches.get(id))!;
    expect(view.status).toBe('done');
    expect(view.counts).toMatchObject({ rows: 3_000, rowsScreened: 3_000, final: view.counts.tasks });
    const rows = readFileSync(out, 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(rows.slice(1).map((row) => row.split(',')[0])).toEqual(list.numbers);
    // A call in flight when Redis went away was answered and recorded once Redis was back;
    // at most those (2 processes x 8 call slots x 2 APIs) could be asked again.
    expect(billedTwice([...harness.emulator.ledger.entries()]).length).toBeLessThanOrEqual(2 * CONCURRENCY * 2);
  }, 240_000);

  it('SIGKILL of Redis (appendfsync everysec): the batch completes; answers cached before the lost second are not paid for again', async () => {
    const { port } = await ownRedis();
    harness = await startHarness({ latencyMs: '5-15' }, { RISKSCREEN_STALL_CHECK_MS: '3000' }, redis!.url);
    const list = writeNumberList(harness.dir, 'kill.csv', 3_000);
    await Promise.all([harness.startWorker(['--concurrency', '8']), harness.startWorker(['--concurrency', '8'])]);
    const id = await harness.submit({ file: list.path, profile: 'basic' });
    const before = await harness.waitFor(id, 60_000, (view) => view.counts.final >= 1_500);
    expect(before.counts.final).toBeLessThan(before.counts.tasks);

    const killedAt = performance.timeOrigin + performance.now();
    await redis!.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    redis = await spawnRedisServer(port, dir!, AOF);
    const callsAtRestart = harness.emulator.ledger.size;

    const view = await harness.waitFor(id, 180_000);
    expect(view.status).toBe('done');
    expect(view.counts).toMatchObject({ rows: 3_000, final: view.counts.tasks });
    expect(view.counts.rowsScreened).toBe(3_000);
    expect(harness.emulator.ledger.size).toBeGreaterThan(callsAtRestart);
    // Nothing answered before the kill is paid for again: only calls around it could be
    // (none, when Redis flushed its last write), at most the calls in flight.
    const twice = billedTwice([...harness.emulator.ledger.entries()]);
    expect(twice.length).toBeLessThanOrEqual(2 * 8 * 2);
    for (const { first } of twice) expect(killedAt - first).toBeLessThan(2_500);
    for (const worker of harness.workers) await stopProcess(worker);
  }, 300_000);
});
