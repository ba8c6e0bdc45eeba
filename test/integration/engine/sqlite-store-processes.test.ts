/**
 * The SQLite store shared by real processes (children of test/support/sqlite-store-child.ts):
 * what a killed process held is free at once, three processes racing over the same keys
 * pay for each exactly once, and every answer a killed writer saw committed is in the file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newBatchId } from '../../../src/engine/batch.js';
import { openSqliteStores, type SqliteStores } from '../../../src/engine/sqlite-store.js';
import { meta } from '../../unit/engine/store-contract.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = join(ROOT, 'test', 'support', 'sqlite-store-child.ts');

let dir: string;
let file: string;
const children: ChildProcess[] = [];
const opened: SqliteStores[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-sqlite-proc-'));
  file = join(dir, 'store.db');
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const stores of opened.splice(0)) stores.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(): SqliteStores {
  const stores = openSqliteStores({ file });
  opened.push(stores);
  return stores;
}

interface Child {
  process: ChildProcess;
  /** Complete lines printed so far. */
  lines: string[];
  /** Resolves once a line passes `test`. */
  line(test: (line: string) => boolean): Promise<string>;
  exited: Promise<unknown>;
}

function child(...args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(proc);
  const lines: string[] = [];
  const waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  let partial = '';
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  proc.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.splice(0)) {
        if (waiter.test(line)) waiter.resolve(line);
        else waiters.push(waiter);
      }
    }
  });
  const exited = once(proc, 'exit');
  return {
    process: proc,
    lines,
    line: (test) =>
      new Promise<string>((resolve, reject) => {
        const seen = lines.find(test);
        if (seen !== undefined) return resolve(seen);
        waiters.push({ test, resolve });
        void exited.then(([code, signal]) => reject(new Error(`child exited (${code ?? signal}) before the line: ${stderr}`)));
      }),
    exited,
  };
}

describe('sqlite store across processes', () => {
  it('a killed process\'s lock, probe claim and batch claim are free at once', async () => {
    const stores = open();
    const m = meta({ id: newBatchId() });
    await stores.batches.create(m);
    await stores.batches.release(m.id); // created claimed by this process: the child takes it
    const holder = child('hold', file, m.id);
    const ready = await holder.line((line) => line.startsWith('ready '));
    expect(JSON.parse(ready.slice('ready '.length))).toEqual({ lock: true, turn: 'probe', claim: { claimed: true } });

    // While it lives, it holds all three.
    expect(await stores.locks.acquire('status', 'held', 'parent-job', 600_000)).toBe(false);
    expect(await stores.batches.callTurn(m.id, 'status', 'parent-probe', 600_000)).toBe('wait');
    expect(Object.keys((await stores.batches.get(m.id))!.keyChecks)).toEqual(['status']);
    expect(await stores.batches.claim(m.id)).toMatchObject({ claimed: false, by: { pid: holder.process.pid } });

    holder.process.kill('SIGKILL');
    await holder.exited;
    const started = performance.now();
    expect((await stores.batches.get(m.id))!.keyChecks).toEqual({});
    expect(await stores.locks.acquire('status', 'held', 'parent-job', 600_000)).toBe(true);
    expect(await stores.batches.callTurn(m.id, 'status', 'parent-probe', 600_000)).toBe('probe');
    expect(await stores.batches.claim(m.id)).toEqual({ claimed: true });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('three processes racing over the same 300 keys pay for each exactly once', async () => {
    const paid = join(dir, 'paid.txt');
    open(); // the schema exists before the three start
    const racers = ['r1', 'r2', 'r3'].map((name) => child('race', file, paid, name, '300'));
    await Promise.all(racers.map((racer) => racer.line((line) => line === 'ready')));
    for (const racer of racers) racer.process.stdin!.write('go\n');
    await Promise.all(racers.map((racer) => racer.line((line) => line === 'done')));
    const keys = readFileSync(paid, 'utf8').trim().split('\n');
    expect(keys).toHaveLength(300);
    expect(new Set(keys).size).toBe(300);
    const stores = open();
    expect(await stores.cache.count()).toBe(300);
    // Every racer paid for some: they did race.
    const payers = new Set<string>();
    for (const key of keys) payers.add(JSON.parse((await stores.cache.get('status', key))!)[2] as string);
    expect(payers.size).toBeGreaterThan(1);
  }, 120_000);

  it('every answer a killed writer saw committed is in the file', async () => {
    const writer = child('write', file);
    await writer.line(() => writer.lines.length >= 500);
    writer.process.kill('SIGKILL');
    await writer.exited;
    const committed = [...writer.lines];
    expect(committed.length).toBeGreaterThanOrEqual(500);
    const stores = open();
    const missing: string[] = [];
    for (const hash of committed) if ((await stores.cache.get('status', hash)) === null) missing.push(hash);
    expect(missing).toEqual([]);
    expect(await stores.cache.count()).toBeGreaterThanOrEqual(committed.length);
  });
});
