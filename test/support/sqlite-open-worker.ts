/**
 * A worker thread for the open-race test: waits at a shared barrier, then opens the
 * store file (new to every thread at once), writes a few answers, and reports.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStores } from '../../src/engine/sqlite-store.js';

const { file, barrier, name } = workerData as { file: string; barrier: SharedArrayBuffer; name: string };
const gate = new Int32Array(barrier);
Atomics.add(gate, 0, 1);
Atomics.wait(gate, 1, 0); // until the test lets every thread go at once
try {
  const stores = openSqliteStores({ file });
  for (let i = 0; i < 20; i++) await stores.cache.set('status', `${name}-${i}`, '["a"]', 3_600);
  stores.close();
  parentPort!.postMessage({ ok: true });
} catch (error) {
  parentPort!.postMessage({ ok: false, error: `${(error as { code?: string }).code ?? ''} ${(error as Error).message}` });
}
