/**
 * A 1,000,000-row list in flight on the queue engine: peak memory of every process and
 * of Redis while it runs. Targets: each riskscreen process under 300 MB RSS, Redis
 * `used_memory` under 1 GB (read as MiB and GiB, as bench/input-read.ts does). Ingest
 * keeps at most RISKSCREEN_MAX_WAITING (default 20,000) API jobs waiting, so what grows
 * with the list is the batch's results and the shared cache, not the queues.
 *
 * `riskscreen submit` (the pre-flight read and copy of the whole list), two
 * `riskscreen worker` processes (ingest, API and report jobs), the emulator at 0 ms in
 * its own process, `--profile status` (one question a number, AES form), rates far above
 * what the machine can do. RSS of each process (/proc/<pid>/status VmRSS) and Redis INFO
 * used_memory are sampled every 500 ms. The run stops when the batch is done or after
 * 8 minutes, whichever is first, and says which; the figures are those seen so far.
 *
 *   node --import tsx bench/engine-million.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { describeRun, int, machine, mib, PeakSampler, rssOf, runOnQueue, startSim, useRedis, writeNumbersCsv } from './support.js';

const ROWS = 1_000_000;
const WORKERS = 2;
const CONCURRENCY = 100;
const TIME_BOUND_MS = 8 * 60_000;
export const TARGET_PROCESS_RSS_BYTES = 300 * 1024 * 1024;
export const TARGET_REDIS_BYTES = 1024 * 1024 * 1024;
const RATES = 'status=100000';
const ENV = { JUHE_FORMS: 'status=aes', JUHE_CONNECTIONS: String(CONCURRENCY + 28) };

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-bench-million-'));
  const redis = await useRedis();
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const sim = await startSim(['--latency-ms', '0']);
  const sampler = new PeakSampler(client, 500);
  try {
    const file = join(dir, 'numbers.csv');
    const list = await writeNumbersCsv(file, ROWS);
    console.log(`engine million: ${machine()}`);
    console.log(
      `  ${int(ROWS)} distinct valid numbers (${(list.bytes / 1e6).toFixed(1)} MB), --profile status (AES form), emulator at 0 ms, ` +
        `${WORKERS} workers x concurrency ${CONCURRENCY}, RISKSCREEN_MAX_WAITING default (20,000), time bound ${TIME_BOUND_MS / 60_000} min`,
    );
    const redisBefore = Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1] ?? 0);
    sampler.start();
    const result = await runOnQueue({
      sim,
      file,
      profile: 'status',
      rates: RATES,
      concurrency: CONCURRENCY,
      timeoutMs: TIME_BOUND_MS,
      env: ENV,
      dataDir: join(dir, 'data'),
      redisUrl: redis.url,
      workers: WORKERS,
      sampler,
      onProgress: (view, elapsedMs) =>
        console.log(
          `    ${(elapsedMs / 1000).toFixed(0)} s: ${view.status}, rows read by ingest ${int(view.counts.rows)}${view.counts.ingestDone ? ' (ingest done)' : ''}, ` +
            `questions answered ${int(view.counts.final)}; RSS ${sampler.names().map((n) => `${n} ${mib(rssOf(sampler.pidOf(n)))}`).join(', ')}; ` +
            `Redis used_memory ${mib(sampler.redisUsedLast)}`,
        ),
    });
    await sampler.stop();
    const view = result.view;
    console.log(describeRun('queue engine', result));
    console.log(
      `  ${result.timedOut ? `TIME BOUND HIT after ${TIME_BOUND_MS / 60_000} min` : 'batch finished'}: rows read by ingest ${int(view?.counts.rows ?? 0)}, ` +
        `questions answered ${int(view?.counts.final ?? 0)} of ${view?.counts.ingestDone ? int(view.counts.tasks) : `${int(ROWS)} (ingest not done)`}`,
    );
    const missed: string[] = [];
    for (const name of sampler.names()) {
      const peak = sampler.rssPeak(name);
      const ok = peak < TARGET_PROCESS_RSS_BYTES;
      if (!ok) missed.push(name);
      console.log(`  peak RSS ${name.padEnd(9)} ${mib(peak).padStart(8)} ${ok ? '(< 300 MiB)' : '(OVER 300 MiB)'}`);
    }
    const redisOk = sampler.redisUsedPeak < TARGET_REDIS_BYTES;
    if (!redisOk) missed.push('redis');
    console.log(
      `  peak Redis used_memory ${mib(sampler.redisUsedPeak)} (${mib(redisBefore)} before the run) ${redisOk ? '(< 1 GiB)' : '(OVER 1 GiB)'}`,
    );
    console.log(`  ${missed.length === 0 ? 'memory targets met' : `memory target MISSED by ${missed.join(', ')}`}${result.timedOut ? ' (so far: the list was not finished)' : ''}`);
  } finally {
    await sampler.stop();
    await sim.stop();
    await client.quit();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) await run();
