/**
 * The local engine keeps what it paid for, measured on the emulator's ledger: a run
 * killed with SIGKILL and run again pays only for what was not answered (at most the
 * calls in flight at the kill, whose answers the service billed but never delivered);
 * two runs on one data dir never pay twice; a result that cannot be written, or a data
 * dir that fills up, ends in plain words with exit 8 and loses nothing already paid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import { openSqliteStores } from '../../../src/engine/sqlite-store.js';
import { writeNumberList } from './harness.js';

const IS_ROOT = process.getuid?.() === 0;
const CONCURRENCY = 4;

let emulator: RunningEmulator;
let dir: string;
const mounts: string[] = [];

beforeEach(async () => {
  emulator = await startEmulator({ port: 0, seed: 'local-durable', latencyMs: 15 });
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-durable-'));
  chmodSync(dir, 0o755);
});
afterEach(async () => {
  await emulator.close();
  for (const mount of mounts.splice(0)) spawnSync('umount', ['-l', mount]);
  rmSync(dir, { recursive: true, force: true });
});

function childEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('JUHE_') && !name.startsWith('RISKSCREEN_') && name !== 'REDIS_URL') env[name] = value;
  }
  return { ...env, ...emulator.env, LOG_LEVEL: 'silent', RISKSCREEN_DATA_DIR: dataDir, RISKSCREEN_CONCURRENCY: String(CONCURRENCY) };
}

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** `riskscreen <args>` in a child process; `until` may kill it early. */
function riskscreen(args: string[], dataDir: string, options: { uid?: number; env?: Record<string, string> } = {}): { done: Promise<Ran>; kill(): void } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: process.cwd(),
    env: { ...childEnv(dataDir), ...(options.uid !== undefined ? { HOME: tmpdir() } : {}), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<Ran>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  return { done, kill: () => child.kill('SIGKILL') };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function mountTmpfs(path: string, size: string): void {
  mkdirSync(path, { recursive: true });
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0777`, 'tmpfs', path]);
  if (mounted.status !== 0) throw new Error(`mount tmpfs on ${path}: ${mounted.stderr}`);
  mounts.unshift(path);
}

async function answersKept(dataDir: string): Promise<number> {
  const stores = openSqliteStores({ file: join(dataDir, 'local.db') });
  try {
    return await stores.cache.count();
  } finally {
    stores.close();
  }
}

describe('the local engine keeps what it paid for', () => {
  it('kill -9 mid-run, then the same command again: it resumes the batch, the result is complete, and only calls in flight at the kill are paid twice', async () => {
    const list = writeNumberList(dir, 'list.csv', 600);
    const dataDir = join(dir, 'data');
    const args = ['run', list.path, '--out', join(dir, 'out', 'result.csv'), '--profile', 'status', '--rate', 'status=300', '--quiet'];
    const first = riskscreen(args, dataDir);
    await until(() => emulator.ledger.stats().billed >= 200, 60_000, '200 billed calls');
    first.kill();
    expect((await first.done).signal).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 100)); // calls in flight reach the emulator
    // Every call the service answered is kept in the store, or was in flight at the kill.
    const callsAtKill = emulator.ledger.stats().calls;
    const kept = await answersKept(dataDir);
    expect(kept).toBeGreaterThan(0);
    expect(callsAtKill - kept).toBeLessThanOrEqual(CONCURRENCY);

    const second = await riskscreen(args, dataDir).done;
    expect(second.code, second.err).toBe(0);
    expect(second.err).toMatch(new RegExp(`resuming b\\d{8}-\\d{6}-[0-9a-z]{4}: ${kept} of 600 questions already answered`));
    const stats = emulator.ledger.stats();
    // Paid twice: only what was answered and never kept (in flight at the kill).
    expect(stats.duplicateBilledByApi).toBeLessThanOrEqual(callsAtKill - kept);
    expect(stats.duplicateBilledByApi).toBeLessThanOrEqual(CONCURRENCY);
    expect(second.out).toMatch(/unique numbers\s+600\b/);
    expect(second.out).toMatch(/screened(\s+[\d,]+){4}\s+600\n/);
  }, 120_000);

  it('two runs on one data dir at once, over overlapping lists: no question is paid twice', async () => {
    const numbers = writeNumberList(dir, 'all.csv', 600).numbers;
    writeFileSync(join(dir, 'a.csv'), `mobile\n${numbers.slice(0, 400).join('\n')}\n`);
    writeFileSync(join(dir, 'b.csv'), `mobile\n${numbers.slice(200).join('\n')}\n`);
    const dataDir = join(dir, 'data');
    const run = (name: string) =>
      riskscreen(['run', join(dir, `${name}.csv`), '--out', join(dir, `${name}.result.csv`), '--profile', 'status', '--rate', 'status=400', '--quiet'], dataDir).done;
    const [a, b] = await Promise.all([run('a'), run('b')]);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const stats = emulator.ledger.stats();
    expect(stats.duplicateBilledByApi).toBe(0);
    expect(stats.billed).toBeGreaterThan(0);
    expect(stats.billed).toBeLessThanOrEqual(600);
  }, 120_000);

  it('the same list run twice at once on one data dir: each run works a batch of its own, and no question is paid twice', async () => {
    const list = writeNumberList(dir, 'list.csv', 400);
    const dataDir = join(dir, 'data');
    const run = (name: string) => riskscreen(['run', list.path, '--out', join(dir, `${name}.csv`), '--profile', 'status', '--rate', 'status=400', '--json', '--quiet'], dataDir).done;
    const [a, b] = await Promise.all([run('a'), run('b')]);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const ids = [a, b].map((ran) => (JSON.parse(ran.out) as { id: string }).id);
    expect(new Set(ids).size).toBe(2);
    const stats = emulator.ledger.stats();
    expect(stats.duplicateBilledByApi).toBe(0);
    expect(stats.calls).toBeLessThanOrEqual(400);
  }, 120_000);

  it('EACCES on --out is found before any call: plain words, exit 2, nothing billed', async () => {
    const list = writeNumberList(dir, 'list.csv', 50);
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { mode: 0o777 });
    chmodSync(dataDir, 0o777);
    // Root may write anywhere: the command runs as nobody, as an ops account would be refused.
    const ran = await riskscreen(['run', list.path, '--out', join(locked, 'result.csv'), '--profile', 'status', '--quiet'], dataDir, IS_ROOT ? { uid: 65534 } : {}).done;
    expect(ran.code, ran.err).toBe(2);
    expect(ran.err).toMatch(/--out .*result\.csv: no file can be written in .*locked: permission denied \(EACCES\)/);
    expect(emulator.ledger.stats().calls).toBe(0);
  }, 60_000);

  describe.runIf(IS_ROOT)('on a small disk (a tmpfs: the test runs as root)', () => {
    it('a full disk at --out: plain words naming the path and cause, exit 8, nothing partial at --out; result <id> exports the kept result with no call', async () => {
      // Long rows make a result larger than the 256 kB disk; the screening itself is small.
      const numbers = writeNumberList(dir, 'numbers.csv', 300).numbers;
      const rows = numbers.flatMap((n, i) => [0, 1, 2, 3, 4].map((k) => `${n},${'客户备注'.repeat(20)}${i}-${k}`));
      const list = join(dir, 'list.csv');
      writeFileSync(list, `mobile,note\n${rows.join('\n')}\n`);
      const small = join(dir, 'small');
      mountTmpfs(small, '256k');
      const out = join(small, 'result.csv');
      const dataDir = join(dir, 'data');
      const ran = await riskscreen(['run', list, '--out', out, '--profile', 'status', '--rate', 'status=2000', '--quiet'], dataDir).done;
      expect(ran.code, ran.err).toBe(8);
      expect(ran.err).toMatch(/warning: the result needs about .* and .*small has .* free/);
      expect(ran.err).toContain(`could not write the result to ${out}: the disk is full (ENOSPC); nothing partial was left there`);
      const command = /with: (riskscreen result (b[\d-]+[0-9a-z]+) --out \S+)/.exec(ran.err);
      expect(command, ran.err).not.toBeNull();
      expect(readdirSync(small)).toEqual([]);
      const calls = emulator.ledger.stats().calls;
      expect(emulator.ledger.stats().billed).toBeGreaterThan(250);

      const elsewhere = join(dir, 'result.csv');
      const exported = await riskscreen(['result', command![2]!, '--out', elsewhere], dataDir).done;
      expect(exported.code, exported.err).toBe(0);
      expect(existsSync(elsewhere)).toBe(true);
      expect(emulator.ledger.stats().calls).toBe(calls);
    }, 120_000);

    it('a data dir that fills up mid-run stops the calls (exit 8, plain words); with room again, the same command resumes and pays only for what was not kept', async () => {
      const list = writeNumberList(dir, 'list.csv', 1000);
      const dataDir = join(dir, 'data');
      mountTmpfs(dataDir, '600k');
      const args = ['run', list.path, '--out', join(dir, 'result.csv'), '--profile', 'status', '--rate', 'status=2000', '--quiet'];
      // Few questions may wait at once: the list is still being read when the disk fills.
      const ran = await riskscreen(args, dataDir, { env: { RISKSCREEN_MAX_WAITING: '100' } }).done;
      expect(ran.code, ran.err).toBe(8);
      expect(ran.err).toMatch(/the local store .*local\.db could not be written: the disk is full/);
      expect(ran.err).toMatch(/The calls stopped; nothing already stored is lost\..*run the same command again: it resumes batch b/);
      const callsAtStop = emulator.ledger.stats().calls;
      expect(callsAtStop).toBeLessThan(1000);

      spawnSync('mount', ['-o', 'remount,size=64m', dataDir]);
      const kept = await answersKept(dataDir);
      // Answered and not kept: only the calls in flight when the disk filled.
      expect(callsAtStop - kept).toBeLessThanOrEqual(CONCURRENCY);
      const again = await riskscreen(args, dataDir).done;
      expect(again.code, again.err).toBe(0);
      expect(again.err).toMatch(/resuming b/);
      const stats = emulator.ledger.stats();
      expect(stats.duplicateBilledByApi).toBeLessThanOrEqual(callsAtStop - kept);
      expect(again.out).toMatch(/unique numbers\s+1,000\b/);
      expect(again.out).toMatch(/screened(\s+[\d,]+){4}\s+1,000\n/);
    }, 120_000);
  });
});
