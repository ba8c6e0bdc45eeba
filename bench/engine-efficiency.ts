/**
 * How close the engine gets to the calls/s its concurrency allows. With C calls in flight
 * and L seconds a call, no engine can do better than C / L calls a second; the ratio of
 * what it does to that is its efficiency: the share of each call slot spent waiting for
 * the service rather than on the engine's own work (queue round trips, store writes,
 * the rate gate, the client). At concurrency 50 and 50 ms latency the ideal is 1,000
 * calls/s; the target is a ratio of at least 0.9.
 *
 * One API (status, AES form), rates far above 1,000/s, the emulator alone in its own
 * process at a fixed 50 ms. Queue engine: one `riskscreen worker` process with
 * concurrency 50, the batch submitted with `riskscreen submit`. Local engine:
 * `riskscreen run` with concurrency 50. 20,000 numbers: about 20 s at the ideal rate.
 * Calls/s is measured on the emulator's ledger over the middle 80% of the calls (no
 * ramp-up, no tail), and also over all of them.
 *
 *   node --import tsx bench/engine-efficiency.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { int, machine, runLocally, runOnQueue, startSim, useRedis, writeNumbersCsv, type EngineRunResult, type SimProcess } from './support.js';

const NUMBERS = 20_000;
const CONCURRENCY = 50;
const LATENCY_MS = 50;
const IDEAL_CALLS_PER_SECOND = CONCURRENCY / (LATENCY_MS / 1000);
export const TARGET_RATIO = 0.9;
const RATES = 'status=100000';
const RUN_TIMEOUT_MS = 120_000;
const ENV = { JUHE_FORMS: 'status=aes', JUHE_CONNECTIONS: String(CONCURRENCY + 14) };

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-bench-efficiency-'));
  const redis = await useRedis();
  const sim = await startSim(['--latency-ms', String(LATENCY_MS)]);
  try {
    const file = join(dir, 'numbers.csv');
    await writeNumbersCsv(file, NUMBERS);
    console.log(`engine efficiency: ${machine()}`);
    console.log(
      `  ${int(NUMBERS)} numbers, --profile status (AES form), emulator at ${LATENCY_MS} ms in its own process, concurrency ${CONCURRENCY}: ` +
        `ideal ${int(IDEAL_CALLS_PER_SECOND)} calls/s; target ratio >= ${TARGET_RATIO}`,
    );
    const common = { sim, file, profile: 'status', rates: RATES, concurrency: CONCURRENCY, timeoutMs: RUN_TIMEOUT_MS, env: ENV };
    const queued = await runOnQueue({ ...common, redisUrl: redis.url, workers: 1, dataDir: join(dir, 'queue') });
    await report('queue engine, 1 worker process', queued, sim);
    const local = await runLocally({ ...common, dataDir: join(dir, 'local') });
    await report('local engine, 1 process       ', local, sim);
  } finally {
    await sim.stop();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function report(label: string, result: EngineRunResult, sim: SimProcess): Promise<void> {
  const times = await sim.callTimes();
  if (result.timedOut || times.length < 10) {
    console.log(`  ${label}: TIME BOUND HIT after ${(result.wallMs / 1000).toFixed(0)} s with ${int(times.length)} calls`);
    return;
  }
  const from = Math.floor(times.length * 0.1);
  const to = Math.floor(times.length * 0.9);
  const steady = (to - from) / ((times[to]! - times[from]!) / 1000);
  const overall = (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000);
  const ratio = steady / IDEAL_CALLS_PER_SECOND;
  console.log(
    `  ${label}: ${int(steady)} calls/s steady (middle 80%), ${int(overall)} calls/s first to last call; ` +
      `ratio ${ratio.toFixed(3)} ${ratio >= TARGET_RATIO ? 'meets' : 'MISSES'} the ${TARGET_RATIO} target ` +
      `(batch ${result.view?.status}, ${int(result.calls)} calls, ${(result.engineMs / 1000).toFixed(1)} s created -> finished; ` +
      `load average ${loadavg()[0]!.toFixed(1)})`,
  );
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) await run();
