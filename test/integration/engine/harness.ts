/**
 * What the engine's integration tests share: an emulator on 127.0.0.1, an isolated key
 * prefix on the test Redis, worker processes (`riskscreen worker`) spawned as the
 * README says to run them, a producer in the test process, and clean-up that leaves no
 * worker running and no key behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOptions } from '../../../src/config/load.js';
import type { Options } from '../../../src/config/options.js';
import { FINAL_STATUSES, type BatchView } from '../../../src/engine/batch.js';
import { redisStores } from '../../../src/engine/redis-store.js';
import { submitBatch, type SubmitRequest } from '../../../src/engine/submit.js';
import { startEmulator, type LedgerEntry, type RunningEmulator, type EmulatorOptions } from '../../../src/emulator/index.js';
import { silentLogger } from '../../../src/log/logger.js';
import { allPrefixes } from '../../../src/phone/prefixes.js';
import { BullmqQueues } from '../../../workers/bullmq-queues.js';
import { isolatedRedis, type TestRedis } from '../../support/redis.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface EngineHarness {
  emulator: RunningEmulator;
  redis: TestRedis;
  dir: string;
  /** Environment for worker processes and for loadOptions in the test. */
  env: Record<string, string>;
  options: Options;
  queues: BullmqQueues;
  stores: ReturnType<typeof redisStores>;
  workers: Set<ChildProcess>;
  startWorker(args?: string[]): Promise<ChildProcess>;
  /** What a worker started here has written to stderr so far. */
  stderrOf(child: ChildProcess): string;
  submit(request: Omit<SubmitRequest, 'input'> & { input?: SubmitRequest['input'] }): Promise<string>;
  waitFor(batchId: string, timeoutMs: number, until?: (view: BatchView) => boolean): Promise<BatchView>;
  close(): Promise<void>;
}

export async function startHarness(emulatorOptions: EmulatorOptions, env: Record<string, string> = {}, redisUrl?: string): Promise<EngineHarness> {
  const emulator = await startEmulator({ port: 0, seed: 'engine-tests', ...emulatorOptions });
  const redis = await isolatedRedis(redisUrl);
  const dir = mkdtempSync(join(tmpdir(), 'riskscreen-engine-'));
  const fullEnv: Record<string, string> = {
    ...emulator.env,
    REDIS_URL: redis.url,
    RISKSCREEN_PREFIX: `{${redis.prefix}}`,
    RISKSCREEN_DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'warn',
    RISKSCREEN_RATES: 'status=5000,tenure=5000,tenureCmcc=5000,resale=5000,callDuration=5000',
    ...env,
  };
  const options = loadOptions({ env: fullEnv, cwd: dir });
  const stores = redisStores(redis.client, options.engine.prefix);
  const queues = new BullmqQueues(redis.client, options.engine.prefix);
  await queues.setRates(options.engine.rates);
  const workers = new Set<ChildProcess>();
  const stderrs = new WeakMap<ChildProcess, () => string>();

  const harness: EngineHarness = {
    emulator,
    redis,
    dir,
    env: fullEnv,
    options,
    queues,
    stores,
    workers,
    async startWorker(args = []) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', ...args], {
        cwd: ROOT,
        env: { ...process.env, ...fullEnv },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      stderrs.set(child, () => stderr);
      workers.add(child);
      child.once('exit', () => workers.delete(child));
      // Ready when it says so on stderr.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker did not start: ${stderr}`)), 30_000);
        const check = () => {
          if (stderr.includes('SIGTERM or Ctrl-C to stop')) {
            clearTimeout(timer);
            child.stderr!.off('data', check);
            resolve();
          }
        };
        child.stderr!.on('data', check);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`worker exited with ${code}: ${stderr}`));
        });
      });
      return child;
    },
    stderrOf(child) {
      return stderrs.get(child)?.() ?? '';
    },
    async submit(request) {
      const { meta } = await submitBatch(stores.batches, options.engine.dataDir, { input: {}, ...request });
      await queues.addIngestJob(meta.id);
      return meta.id;
    },
    async waitFor(batchId, timeoutMs, until = (view) => FINAL_STATUSES.has(view.status) && (view.resultPath !== null || view.status === 'failed')) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const view = await stores.batches.get(batchId);
        if (view && until(view)) return view;
        if (Date.now() > deadline) throw new Error(`batch ${batchId} not there after ${timeoutMs} ms: ${JSON.stringify(view?.status)} ${JSON.stringify(view?.counts)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async close() {
      await Promise.all([...workers].map((child) => stopProcess(child)));
      await queues.close();
      await emulator.close();
      await redis.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

export interface EmulatorProcess {
  env: Record<string, string>;
  pid: number;
  /** The ledger, read over HTTP. */
  calls(): Promise<LedgerEntry[]>;
  stop(): Promise<void>;
}

/**
 * `riskscreen sim` in a process of its own, as a real service would be: timestamps
 * taken there are not disturbed by whatever the test process is doing.
 */
export async function startEmulatorProcess(args: string[]): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const env = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sim did not start: ${out}`)), 30_000);
    const check = () => {
      const found = Object.fromEntries([...out.matchAll(/export (JUHE_[A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
      if (found.JUHE_BASE_URL && found.JUHE_KEY && found.JUHE_RSA_PUBLIC_KEY_FILE) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`sim exited with ${code}: ${out}`)));
  });
  // Warm the emulator (JIT, the RSA path, connections) and empty its ledger, so its
  // own cold start does not bunch the timestamps a test measures.
  const { JuheClient } = await import('../../../src/juhe/client.js');
  const { resolveJuheConfig } = await import('../../../src/juhe/config.js');
  const warm = new JuheClient({
    config: resolveJuheConfig({ key: env.JUHE_KEY, openid: env.JUHE_OPENID, baseUrl: env.JUHE_BASE_URL, rsaPublicKeyFile: env.JUHE_RSA_PUBLIC_KEY_FILE }),
  });
  for (let i = 0; i < 200; i++) await warm.query({ api: 'status', mobile: `1380013${String(i).padStart(4, '0')}` }).catch(() => undefined);
  await warm.close();
  await fetch(`${env.JUHE_BASE_URL}/__sim/reset`, { method: 'POST' });
  return {
    env,
    pid: child.pid!,
    async calls() {
      const response = await fetch(`${env.JUHE_BASE_URL}/__sim/calls`);
      const text = await response.text();
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LedgerEntry);
    },
    async stop() {
      await stopProcess(child);
    },
  };
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** A CSV of `count` distinct valid numbers, mobile prefixes of every carrier, with an optional date column. */
export function writeNumberList(dir: string, name: string, count: number, options: { dates?: boolean; seed?: number } = {}): { path: string; numbers: string[] } {
  let state = options.seed ?? 7;
  // mulberry32: 32-bit integer arithmetic (a plain LCG in doubles loses precision and cycles).
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const prefixes = allPrefixes().filter((p) => p.kind === 'mobile' && p.prefix.length === 3);
  const seen = new Set<string>();
  const numbers: string[] = [];
  while (numbers.length < count) {
    const prefix = prefixes[Math.floor(random() * prefixes.length)]!.prefix;
    const number = prefix + String(Math.floor(random() * 1e8)).padStart(8, '0');
    if (seen.has(number)) continue;
    seen.add(number);
    numbers.push(number);
  }
  const lines = [options.dates ? 'mobile,reg_date' : 'mobile'];
  numbers.forEach((number, i) => lines.push(options.dates ? `${number},${2015 + (i % 9)}0${1 + (i % 9)}15` : number));
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, numbers };
}
