/**
 * The screening engine end to end: 100,000 distinct valid numbers (every carrier),
 * screened against the Juhe emulator at 0 ms and at 50 ms latency, on the queue engine
 * (Redis, two `riskscreen worker` processes, `riskscreen submit`, the batch followed in
 * Redis) and on the local engine (`riskscreen run`, one process, no Redis). Profiles:
 * `status` (one question a number) and `basic` (status and tenure: two).
 *
 * Rates are set far above what the machine can do (the emulator has no QPS limit), so
 * the figures are the engine's own. Status and tenure go in the AES form: the default
 * for status is RSA, whose private decryption in the emulator (about 0.35 ms a call)
 * would make the emulator, not the engine, the bottleneck.
 *
 *   node --import tsx bench/engine-end-to-end.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeRun, int, machine, runLocally, runOnQueue, startSim, useRedis, writeNumbersCsv } from './support.js';

const NUMBERS = 100_000;
const LATENCIES_MS = [0, 50] as const;
const PROFILES = ['status', 'basic'] as const;
const WORKERS = 2;
/** Per API per process: 2 workers x 100 in flight = 4,000 calls/s possible per API at 50 ms. */
const QUEUE_CONCURRENCY = 100;
/** One process: the same calls in flight as the two workers together. */
const LOCAL_CONCURRENCY = 200;
const RATES = 'status=100000,tenure=100000,tenureCmcc=100000,resale=100000,callDuration=100000';
/** Each run is cut off after this long (the figures so far are printed). */
const RUN_TIMEOUT_MS = 240_000;

const ENV = { JUHE_FORMS: 'status=aes,tenure=aes', JUHE_CONNECTIONS: '512' };

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-bench-e2e-'));
  const redis = await useRedis();
  try {
    const file = join(dir, 'numbers.csv');
    const list = await writeNumbersCsv(file, NUMBERS);
    console.log(`engine end to end: ${machine()}`);
    console.log(
      `  list: ${int(NUMBERS)} distinct valid numbers (cmcc ${int(list.byCarrier.cmcc)}, cucc ${int(list.byCarrier.cucc)}, ` +
        `ctcc ${int(list.byCarrier.ctcc)}, cbn ${int(list.byCarrier.cbn)}), ${(list.bytes / 1e6).toFixed(1)} MB`,
    );
    console.log(
      `  queue engine: ${WORKERS} worker processes x concurrency ${QUEUE_CONCURRENCY} per API; local engine: one process, concurrency ${LOCAL_CONCURRENCY}; ` +
        `rates 100,000/s per API; forms ${ENV.JUHE_FORMS}; Redis ${redis.pid ? 'private redis-server' : 'REDIS_URL'}; emulator in its own process`,
    );
    console.log('  rows/s and calls/s are over the batch\'s own time (created -> finished); wall adds process start-up and the pre-flight read');
    let n = 0;
    for (const latency of LATENCIES_MS) {
      const sim = await startSim(['--latency-ms', String(latency)]);
      try {
        for (const profile of PROFILES) {
          const common = { sim, file, profile, rates: RATES, timeoutMs: RUN_TIMEOUT_MS, env: ENV };
          const queued = await runOnQueue({ ...common, redisUrl: redis.url, workers: WORKERS, concurrency: QUEUE_CONCURRENCY, dataDir: join(dir, `data-${++n}`) });
          console.log(describeRun(`${latency} ms, --profile ${profile}, queue engine`.padEnd(40), queued));
          const local = await runLocally({ ...common, concurrency: LOCAL_CONCURRENCY, dataDir: join(dir, `data-${++n}`) });
          console.log(describeRun(`${latency} ms, --profile ${profile}, local engine`.padEnd(40), local));
        }
      } finally {
        await sim.stop();
      }
    }
  } finally {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) await run();
