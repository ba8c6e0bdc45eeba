/**
 * Runs opening a new store file at the same moment (two `riskscreen run` started
 * together on a fresh data dir): SQLite tells all but one SQLITE_BUSY at once while the
 * file is set up; every one of them must open it all the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../../src/engine/sqlite-store.js';

const WORKER = new URL('../../support/sqlite-open-worker.ts', import.meta.url);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-open-race-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function openTogether(file: string, threads: number): Promise<Array<{ ok: boolean; error?: string }>> {
  const barrier = new SharedArrayBuffer(8);
  const gate = new Int32Array(barrier);
  // A worker thread does not inherit tsx's loader: it registers it, then loads the TypeScript file.
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER.href)}); })`;
  const workers = Array.from({ length: threads }, (_, i) => new Worker(boot, { eval: true, workerData: { file, barrier, name: `t${i}` } }));
  const results = workers.map((worker) => new Promise<{ ok: boolean; error?: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before it reported`)));
  }));
  const deadline = Date.now() + 30_000;
  while (Atomics.load(gate, 0) < threads) {
    if (Date.now() > deadline) throw new Error('the worker threads did not reach the barrier');
    await new Promise((r) => setTimeout(r, 5));
  }
  Atomics.store(gate, 1, 1);
  Atomics.notify(gate, 1);
  const done = await Promise.all(results);
  await Promise.all(workers.map((worker) => worker.terminate()));
  return done;
}

describe('opening a new store file together', () => {
  it('every thread opens it and writes, in rounds of 6 on a fresh file', async () => {
    for (let round = 0; round < 5; round++) {
      const file = join(dir, `round-${round}.db`);
      const results = await openTogether(file, 6);
      expect(results.filter((r) => !r.ok)).toEqual([]);
      const stores = openSqliteStores({ file });
      expect(await stores.cache.count()).toBe(6 * 20);
      stores.close();
    }
  }, 120_000);
});
