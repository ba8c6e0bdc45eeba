/**
 * A process using the SQLite store, for test/integration/engine/sqlite-store-processes.test.ts.
 * Run with `node --import tsx test/support/sqlite-store-child.ts <mode> <file> …`:
 *
 *   hold <file> <batch>                  take an inflight lock (status/held), the status probe
 *                                        of <batch> and the batch's claim; print "ready", then idle
 *   race <file> <paid file> <name> <n>   after "go" on stdin, for n keys: acquire, cache.get,
 *                                        when missing "pay" (append the key to <paid file>),
 *                                        cache.set, release; retry keys whose lock was taken;
 *                                        print "done"
 *   write <file>                         set answers in a loop, printing each key once committed
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStores } from '../../src/engine/sqlite-store.js';

const [mode, file, ...rest] = process.argv.slice(2);
if (!mode || !file) throw new Error('usage: sqlite-store-child.ts <hold|race|write> <file> …');
const stores = openSqliteStores({ file });

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function raceKey(i: number): string {
  return `k${String(i).padStart(4, '0')}`;
}

if (mode === 'hold') {
  const batch = rest[0]!;
  const lock = await stores.locks.acquire('status', 'held', 'child-job', 600_000);
  const turn = await stores.batches.callTurn(batch, 'status', 'child-probe', 600_000);
  const claim = await stores.batches.claim(batch);
  say(`ready ${JSON.stringify({ lock, turn, claim })}`);
  setInterval(() => {}, 60_000);
} else if (mode === 'race') {
  const [paidFile, name, count] = rest as [string, string, string];
  const keys = Array.from({ length: Number(count) }, (_, i) => raceKey(i));
  // Each child its own order, so they meet on keys in every way.
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  say('ready');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'go') break;
  let pending = keys;
  while (pending.length > 0) {
    const taken: string[] = [];
    for (const key of pending) {
      const owner = `${name}.${key}`;
      if (!(await stores.locks.acquire('status', key, owner, 60_000))) {
        taken.push(key);
        continue;
      }
      try {
        if ((await stores.cache.get('status', key)) === null) {
          appendFileSync(paidFile, `${key}\n`);
          await sleep(Math.random() * 3);
          await stores.cache.set('status', key, `["a","normal","${name}"]`, 3_600);
        }
      } finally {
        await stores.locks.release('status', key, owner);
      }
    }
    pending = taken;
    if (pending.length > 0) await sleep(2);
  }
  say('done');
  stores.close();
  process.exit(0);
} else if (mode === 'write') {
  for (let i = 0; ; i++) {
    const hash = i.toString(16).padStart(64, '0');
    await stores.cache.set('status', hash, `["a","normal","1","广东","深圳","移动"]`, 3_600);
    say(hash);
    // Back to the event loop each time: the set resolves at once, and a loop of
    // microtasks alone would never let a stdout write queued on a full pipe go out.
    await new Promise((resolve) => setImmediate(resolve));
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
