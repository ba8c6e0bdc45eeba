/**
 * The local engine's store: answers written and read per second in the SQLite store
 * (src/engine/sqlite-store.ts, a file in a temp dir, one IMMEDIATE transaction per
 * answer as the engine writes them) beside the memory store, measured in the same run and
 * given as ratios; and the file's size per 1,000,000 answers.
 *
 * 200,000 answers of realistic shape: keys are 64-hex-char hashes as the engine's, values
 * `encodeTaskResult` output of the five APIs with Chinese locations, about one in ten a
 * "no record". The size per million is extrapolated linearly from these (a B-tree's size
 * grows linearly with its rows), before and after a WAL checkpoint.
 *
 *   node --import tsx bench/store.ts      (or: npm run bench -- store)
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { API_IDS, type ApiId } from '../src/juhe/catalogue.js';
import { LINE_STATUSES, RESALE_VALUES, TENURE_BUCKETS } from '../src/juhe/model.js';
import { loadOptions } from '../src/config/load.js';
import { MemoryResultCache, memoryStores } from '../src/engine/memory-store.js';
import { openSqliteStores, type SqliteStores } from '../src/engine/sqlite-store.js';
import type { EngineStores, ResultCache } from '../src/engine/store.js';
import { submitBatch } from '../src/engine/submit.js';
import { silentLogger } from '../src/log/logger.js';
import { buildEngineParts } from '../workers/engine-parts.js';
import { LocalRunner } from '../workers/local-runner.js';
import { encodeTaskResult, type TaskResult } from '../src/engine/task-result.js';
import { int, machine, startSim, writeNumbersCsv, type SimProcess } from './support.js';

const ANSWERS = 200_000;
const TTL_SECONDS = 30 * 86_400;
const PLACES: Array<[string, string, string]> = [
  ['广东', '深圳', '移动'],
  ['北京', '北京', '联通'],
  ['四川', '成都', '电信'],
  ['浙江', '杭州', '移动'],
  ['江苏', '南京', '联通'],
];

interface Answer {
  api: ApiId;
  hash: string;
  encoded: string;
}

function answers(count: number): Answer[] {
  const out: Answer[] = [];
  for (let i = 0; i < count; i++) {
    const api = API_IDS[i % API_IDS.length]!;
    const phone = `1${String(3_800_000_000 + i * 7919).slice(0, 10)}`;
    const hash = createHash('sha256').update(`${api}:${phone}`).digest('hex');
    const [province, city, ispRaw] = PLACES[i % PLACES.length]!;
    const location = { province, city, ispRaw };
    let result: TaskResult;
    if (i % 10 === 9) result = { kind: 'no_record', juheCode: 224922 };
    else if (api === 'status') result = { kind: 'answered', signals: { lineStatus: { value: LINE_STATUSES[i % 5]!, raw: String(i % 5) }, location } };
    else if (api === 'tenure' || api === 'tenureCmcc') {
      result = { kind: 'answered', signals: { tenure: { value: TENURE_BUCKETS[i % 6]!, raw: String(i % 6), encoding: api === 'tenure' ? 'mobileOnline' : 'cmccSha256' }, location } };
    } else if (api === 'resale') {
      result = { kind: 'answered', signals: { resale: { value: RESALE_VALUES[i % 3]!, raw: String(i % 3), date: '2023-08-14' }, location } };
    } else {
      result = { kind: 'answered', signals: { callMinutes: { calling: { raw: '3' } as never, called: { raw: '5' } as never }, location } };
    }
    out.push({ api, hash, encoded: encodeTaskResult(api, result) });
  }
  return out;
}

/** Answers written per second, then read per second (in another order). */
async function measure(cache: ResultCache, data: Answer[], readOrder: number[]): Promise<{ writes: number; reads: number }> {
  let started = performance.now();
  for (const { api, hash, encoded } of data) await cache.set(api, hash, encoded, TTL_SECONDS);
  const writes = data.length / ((performance.now() - started) / 1000);
  started = performance.now();
  let found = 0;
  for (const i of readOrder) if ((await cache.get(data[i]!.api, data[i]!.hash)) !== null) found++;
  const reads = readOrder.length / ((performance.now() - started) / 1000);
  if (found !== readOrder.length) throw new Error(`read back ${found} of ${readOrder.length} answers`);
  return { writes, reads };
}

function size(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function mbPerMillion(bytes: number): string {
  return `${((bytes * (1_000_000 / ANSWERS)) / 1e6).toFixed(0)} MB`;
}

export async function run(): Promise<void> {
  await storeOperations();
  await engineThroughput();
}

async function storeOperations(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-bench-store-'));
  try {
    const data = answers(ANSWERS);
    const readOrder = data.map((_, i) => i);
    for (let i = readOrder.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [readOrder[i], readOrder[j]] = [readOrder[j]!, readOrder[i]!];
    }
    const valueBytes = data.reduce((sum, answer) => sum + Buffer.byteLength(answer.encoded), 0);
    console.log(`store: ${machine()}`);
    console.log(`  ${int(ANSWERS)} answers, 64-hex keys, encoded values of ${(valueBytes / ANSWERS).toFixed(0)} bytes on average`);

    const memory = await measure(new MemoryResultCache(), data, readOrder);
    const file = join(dir, 'store', 'riskscreen.db');
    const stores = openSqliteStores({ file });
    let sqlite: { writes: number; reads: number };
    let sizes: string[];
    try {
      sqlite = await measure(stores.cache, data, readOrder);
      // Sizes while the store is open (closing the last connection folds the WAL in and
      // deletes it), then after a checkpoint by a second connection.
      const before = { db: size(file), wal: size(`${file}-wal`) };
      const db = new Database(file);
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
      const after = { db: size(file), wal: size(`${file}-wal`) };
      sizes = [
        `  file for ${int(ANSWERS)} answers, store open: ${(before.db / 1e6).toFixed(1)} MB + WAL ${(before.wal / 1e6).toFixed(1)} MB; ` +
          `after wal_checkpoint(TRUNCATE): ${(after.db / 1e6).toFixed(1)} MB + WAL ${(after.wal / 1e6).toFixed(1)} MB`,
        `  extrapolated linearly to 1,000,000 answers: ${mbPerMillion(after.db + after.wal)} (${int((after.db + after.wal) / ANSWERS)} bytes an answer)`,
      ];
    } finally {
      stores.close();
    }
    console.log(`  memory store: ${int(memory.writes)} writes/s, ${int(memory.reads)} reads/s`);
    console.log(
      `  sqlite store: ${int(sqlite.writes)} writes/s (${(sqlite.writes / memory.writes).toFixed(3)} of memory's), ` +
        `${int(sqlite.reads)} reads/s (${(sqlite.reads / memory.reads).toFixed(3)} of memory's); one transaction per answer, WAL, synchronous=NORMAL`,
    );
    for (const line of sizes) console.log(line);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The local engine with the SQLite store beside the memory store it used before: calls
 * per second with 50 in flight against an emulator (its own process) answering in 200 ms,
 * which allows 250. The same runner and job code, only the stores differ; each store
 * runs twice, in turn, and the steady rate (the middle 80% of the calls) is reported.
 */
const ENGINE_NUMBERS = 3_000;
const ENGINE_LATENCY_MS = 200;
const ENGINE_IN_FLIGHT = 50;

async function engineThroughput(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-bench-store-engine-'));
  const sim = await startSim(['--latency-ms', String(ENGINE_LATENCY_MS)]);
  try {
    const ideal = ENGINE_IN_FLIGHT / (ENGINE_LATENCY_MS / 1000);
    console.log(
      `  local engine, ${int(ENGINE_NUMBERS)} numbers (--profile status, each run new numbers), ${ENGINE_IN_FLIGHT} in flight, emulator at ${ENGINE_LATENCY_MS} ms: ideal ${int(ideal)} calls/s`,
    );
    const rates: Record<'memory' | 'sqlite', number[]> = { memory: [], sqlite: [] };
    for (let round = 0; round < 2; round++) {
      for (const kind of ['memory', 'sqlite'] as const) {
        const file = join(dir, `numbers-${kind}-${round}.csv`);
        await writeNumbersCsv(file, ENGINE_NUMBERS, round * 2 + (kind === 'sqlite' ? 1 : 0) + 1);
        const dataDir = join(dir, `${kind}-${round}`);
        const stores = kind === 'memory' ? memoryStores() : openSqliteStores({ file: join(dataDir, 'local.db') });
        try {
          await sim.reset();
          await runLocalBatch(stores, sim, file, dataDir);
          const times = await sim.callTimes();
          const from = Math.floor(times.length * 0.1);
          const to = Math.floor(times.length * 0.9);
          rates[kind].push((to - from) / ((times[to]! - times[from]!) / 1000));
        } finally {
          if (kind === 'sqlite') (stores as SqliteStores).close();
        }
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`  memory store: ${rates.memory.map(int).join(', ')} calls/s (mean ${int(mean(rates.memory))}, ${(mean(rates.memory) / ideal).toFixed(3)} of ideal)`);
    console.log(
      `  sqlite store: ${rates.sqlite.map(int).join(', ')} calls/s (mean ${int(mean(rates.sqlite))}, ${(mean(rates.sqlite) / ideal).toFixed(3)} of ideal; ` +
        `${(mean(rates.sqlite) / mean(rates.memory)).toFixed(3)} of the memory store's; load average ${loadavg()[0]!.toFixed(1)})`,
    );
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function runLocalBatch(stores: EngineStores, sim: SimProcess, file: string, dataDir: string): Promise<void> {
  const options = loadOptions({
    env: {
      ...sim.env,
      JUHE_FORMS: 'status=aes',
      JUHE_CONNECTIONS: String(ENGINE_IN_FLIGHT + 14),
      RISKSCREEN_CONCURRENCY: String(ENGINE_IN_FLIGHT),
      RISKSCREEN_RATES: 'status=5000',
      RISKSCREEN_DATA_DIR: dataDir,
    },
    cwd: dataDir,
  });
  const parts = buildEngineParts(options, stores, silentLogger, dataDir);
  try {
    const runner = new LocalRunner({ context: parts.context });
    const { meta } = await submitBatch(stores.batches, dataDir, { file, input: {}, profile: 'status' });
    await runner.run(meta.id);
  } finally {
    await parts.client.close();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) await run();
