/**
 * What the engine benchmarks share: a Redis (REDIS_URL, or a private `redis-server` on a
 * free port, the same way test/integration/global-setup.ts gets one), the Juhe emulator
 * in a child process (`riskscreen sim --port 0`, one core of its own), `riskscreen`
 * child processes, a phone-list generator, peak-RSS and Redis-memory samplers, and
 * removal of every key under a bench's own prefix. Nothing here talks to anything but
 * 127.0.0.1 servers it started (or REDIS_URL, when set).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { allPrefixes } from '../src/phone/prefixes.js';
import type { Carrier } from '../src/phone/carrier.js';
import { FINAL_STATUSES, type BatchView } from '../src/engine/batch.js';
import { RedisBatchStore } from '../src/engine/redis-store.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO_ROOT, 'src', 'cli', 'main.ts');

// ---- Redis: the same starter as the integration tests -------------------------------

export { freePort, HOW_TO_GET_REDIS, pingRedis, useRedis, type PrivateOrGivenRedis as BenchRedis } from '../test/support/redis-server.js';

/** A key prefix of this run only: a Redis Cluster hash tag like the default `{riskscreen}`. */
export function uniquePrefix(bench: string): string {
  return `{rsbench-${bench}-${randomBytes(3).toString('hex')}}`;
}

/** Delete every key under `prefix`; returns how many. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** `used_memory` of INFO memory, in bytes. */
export async function redisUsedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
}

// ---- child processes ----------------------------------------------------------------

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** The last 4 KiB written to stderr. */
  stderrTail(): string;
  exited: Promise<number | null>;
}

/** `node --import tsx src/cli/main.ts <args>` with `env` (on top of PATH and HOME only). */
export function spawnCli(args: readonly string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err = (err + chunk).slice(-4096);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (child.pid === undefined) throw new Error(`could not start riskscreen ${args.join(' ')}`);
  return { child, pid: child.pid, stdout: () => out, stderrTail: () => err, exited };
}

/** Run a CLI command to its end; throws with its stderr when it fails. */
export async function runCli(args: readonly string[], env: Record<string, string>, timeoutMs = 600_000): Promise<string> {
  const proc = spawnCli(args, env);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`riskscreen ${args[0]} exited ${code}: ${proc.stderrTail().trim()}`);
  return proc.stdout();
}

/** Ask a child to stop and wait for it; SIGKILL after `timeoutMs`. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

// ---- the emulator in a child process ------------------------------------------------

export interface SimProcess {
  url: string;
  pid: number;
  /** JUHE_BASE_URL, JUHE_KEY, JUHE_OPENID, JUHE_RSA_PUBLIC_KEY_FILE. */
  env: Record<string, string>;
  stats(): Promise<{ calls: number; billed: number; duplicateBilled: number; byCode: Record<string, number> }>;
  /** When each call of the ledger arrived (ms since the epoch), in order. */
  callTimes(): Promise<number[]>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** `riskscreen sim --port 0 <args>`: the emulator alone on one core; its exports read from the banner. */
export async function startSim(args: readonly string[] = []): Promise<SimProcess> {
  const proc = spawnCli(['sim', '--port', '0', '--seed', 'bench', ...args], { LOG_LEVEL: 'warn' });
  const deadline = Date.now() + 60_000;
  while (!/Stop with Ctrl-C/.test(proc.stdout())) {
    if (proc.child.exitCode !== null) throw new Error(`riskscreen sim exited ${proc.child.exitCode}: ${proc.stderrTail()}`);
    if (Date.now() > deadline) {
      proc.child.kill('SIGKILL');
      throw new Error('riskscreen sim did not start within 60 s');
    }
    await sleep(50);
  }
  const env = Object.fromEntries([...proc.stdout().matchAll(/^\s*export (JUHE_[A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
  const url = env.JUHE_BASE_URL;
  if (!url || !/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`riskscreen sim printed no 127.0.0.1 URL: ${proc.stdout().slice(0, 400)}`);
  return {
    url,
    pid: proc.pid,
    env,
    async stats() {
      const response = await fetch(`${url}/__sim/stats`);
      return (await response.json()) as Awaited<ReturnType<SimProcess['stats']>>;
    },
    async callTimes() {
      const text = await (await fetch(`${url}/__sim/calls`)).text();
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => Date.parse((JSON.parse(line) as { time: string }).time));
    },
    async reset() {
      await fetch(`${url}/__sim/reset`, { method: 'POST' }).then((r) => r.arrayBuffer());
    },
    stop: () => stopChild(proc.child, 'SIGTERM', 10_000),
  };
}

// ---- phone lists --------------------------------------------------------------------

const MOBILE_PREFIXES = allPrefixes().filter((p) => p.kind === 'mobile' && p.prefix.length === 3);

/**
 * `count` distinct valid mobile numbers over every carrier's ordinary 3-digit prefixes
 * (about 60% China Mobile/Unicom/Telecom mix as the table has them), one per row after a
 * `手机号,序号` header. Deterministic for a given `salt`. With `datedBefore` (yyyymmdd)
 * each row also has a `注册日期` (sign-up date, what the resale question asks with),
 * yyyy-mm-dd, spread evenly over the ten years up to two years before that date: the
 * kind of customer list test/unit/emulator/world.test.ts checks the recycled share of.
 */
export async function writeNumbersCsv(
  file: string,
  count: number,
  salt = 0,
  options: { datedBefore?: string } = {},
): Promise<{ bytes: number; byCarrier: Record<Carrier, number> }> {
  const handle = await open(file, 'w');
  const byCarrier: Record<Carrier, number> = { cmcc: 0, cucc: 0, ctcc: 0, cbn: 0 };
  let bytes = 0;
  const before = options.datedBefore;
  const lastDay = before === undefined ? 0 : Date.UTC(Number(before.slice(0, 4)), Number(before.slice(4, 6)) - 1, Number(before.slice(6, 8))) - 730 * 86_400_000;
  // 193 is coprime with 3,650: consecutive rows land years apart, every day is used.
  const dateOf = (i: number): string => new Date(lastDay - ((i * 193) % 3_650) * 86_400_000).toISOString().slice(0, 10);
  try {
    let chunk = before === undefined ? '手机号,序号\n' : '手机号,序号,注册日期\n';
    for (let i = 0; i < count; i++) {
      const info = MOBILE_PREFIXES[i % MOBILE_PREFIXES.length]!;
      const k = Math.floor(i / MOBILE_PREFIXES.length) + salt * 1_000_003;
      // 7,919 is prime and coprime with 10^8: distinct k give distinct suffixes.
      const suffix = String((k * 7_919 + 12_345) % 100_000_000).padStart(8, '0');
      chunk += before === undefined ? `${info.prefix}${suffix},${i}\n` : `${info.prefix}${suffix},${i},${dateOf(i)}\n`;
      byCarrier[info.carrier]++;
      if (chunk.length > 1 << 16) {
        bytes += Buffer.byteLength(chunk);
        await handle.write(chunk);
        chunk = '';
      }
    }
    bytes += Buffer.byteLength(chunk);
    await handle.write(chunk);
  } finally {
    await handle.close();
  }
  return { bytes, byCarrier };
}

// ---- sampling -----------------------------------------------------------------------

/** Resident set size of a process, from /proc (Linux) or `ps -o rss=`; 0 once it is gone. */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples named processes' RSS and Redis used_memory every `intervalMs`, keeping peaks. */
export class PeakSampler {
  private readonly pids = new Map<string, number>();
  private readonly rssPeaks = new Map<string, number>();
  private redisPeak = 0;
  private redisLast = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis | null,
    private readonly intervalMs = 500,
  ) {}

  track(name: string, pid: number): void {
    this.pids.set(name, pid);
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.sample();
    await this.pending;
  }

  pidOf(name: string): number {
    return this.pids.get(name) ?? 0;
  }

  rssPeak(name: string): number {
    return this.rssPeaks.get(name) ?? 0;
  }

  names(): string[] {
    return [...this.pids.keys()];
  }

  get redisUsedPeak(): number {
    return this.redisPeak;
  }

  get redisUsedLast(): number {
    return this.redisLast;
  }

  private sample(): void {
    for (const [name, pid] of this.pids) {
      const rss = rssOf(pid);
      if (rss > (this.rssPeaks.get(name) ?? 0)) this.rssPeaks.set(name, rss);
    }
    if (this.redis) {
      const redis = this.redis;
      this.pending = this.pending.then(async () => {
        try {
          this.redisLast = await redisUsedMemory(redis);
          if (this.redisLast > this.redisPeak) this.redisPeak = this.redisLast;
        } catch {
          // a sample missed while Redis is busy; the next one counts
        }
      });
    }
  }
}

// ---- small things -------------------------------------------------------------------

/**
 * Runs a bench module again as a child process, with `value` in the environment variable
 * `envName`, and returns the JSON it prints on stdout. A bench measures in a child so
 * the peak RSS it reports is the measured work's own, not the data generator's.
 */
export function runSelfInChild<T>(moduleUrl: string, envName: string, value: string, label: string): Promise<T> {
  const script = fileURLToPath(moduleUrl);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, [envName]: value },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${label}: the child process exited with ${code}`));
      try {
        resolve(JSON.parse(output) as T);
      } catch {
        reject(new Error(`${label}: the child process printed no result: ${output.slice(0, 200)}`));
      }
    });
  });
}

/**
 * The entry of a bench that measures in a child of itself (runSelfInChild): in the child
 * (`envName` set) run `child` with its value, run alone run `run`, imported do nothing.
 */
export function benchEntry(moduleUrl: string, envName: string, child: (value: string) => Promise<void>, run: () => Promise<void>): void {
  const value = process.env[envName];
  const standalone = process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
  if (value) {
    child(value).catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
  } else if (standalone) {
    run().catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(0)} MiB`;
}

export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** One line about the machine, for the figures' context. */
export function machine(): string {
  let cpu = 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  return (
    `${cpu}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
    `load average ${loadavg().map((n) => n.toFixed(2)).join(' ')} (other work on the machine counts)`
  );
}

// ---- one batch on each engine -------------------------------------------------------

export interface EngineRunSettings {
  sim: SimProcess;
  file: string;
  /** A profile name or API list. */
  profile: string;
  /** Calls in flight per API per process (RISKSCREEN_CONCURRENCY). */
  concurrency: number;
  /** RISKSCREEN_RATES / --rate, e.g. `status=100000`. */
  rates: string;
  /** Stop waiting (and stop the processes) after this long. */
  timeoutMs: number;
  /** Where batch files go (a fresh directory per run). */
  dataDir: string;
  /** More environment for every riskscreen process. */
  env?: Record<string, string>;
  /** Tracks every process of the run (`submit`, `worker-1`, ...) while it lives. */
  sampler?: PeakSampler;
}

export interface EngineRunResult {
  view: BatchView | undefined;
  timedOut: boolean;
  /** From starting the first command to seeing the batch finished. */
  wallMs: number;
  /** The batch's own created -> finished (or -> now, when timed out). */
  engineMs: number;
  /** Calls the emulator received during the run. */
  calls: number;
  billed: number;
  duplicateBilled: number;
}

/** What every riskscreen process of a run is given. */
function engineEnv(settings: EngineRunSettings): Record<string, string> {
  return {
    ...settings.sim.env,
    RISKSCREEN_SECRET: 'riskscreen-bench-secret',
    RISKSCREEN_RATES: settings.rates,
    RISKSCREEN_CONCURRENCY: String(settings.concurrency),
    RISKSCREEN_DATA_DIR: settings.dataDir,
    LOG_LEVEL: 'warn',
    ...settings.env,
  };
}

export interface QueueRunSettings extends EngineRunSettings {
  redisUrl: string;
  workers: number;
  /** Sample the batch record this often (ms) and pass it here, e.g. for progress lines. */
  onProgress?: (view: BatchView, elapsedMs: number) => void;
}

/**
 * The queue engine as deployed: `workers` `riskscreen worker` processes and one
 * `riskscreen submit`, all under a fresh key prefix; the batch followed through its
 * record in Redis until it is finished or the time bound passes. Every key of the prefix
 * is deleted afterwards.
 */
export async function runOnQueue(settings: QueueRunSettings): Promise<EngineRunResult & { prefix: string }> {
  const prefix = uniquePrefix('engine');
  const env = { ...engineEnv(settings), REDIS_URL: settings.redisUrl, RISKSCREEN_PREFIX: prefix };
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
  const store = new RedisBatchStore(redis, prefix);
  const workers: CliProcess[] = [];
  // A fresh ledger per run, so "billed twice" is this run's.
  await settings.sim.reset();
  const statsBefore = await settings.sim.stats();
  const started = performance.now();
  let view: BatchView | undefined;
  let timedOut = false;
  try {
    for (let i = 1; i <= settings.workers; i++) {
      const worker = spawnCli(['worker'], env);
      workers.push(worker);
      settings.sampler?.track(`worker-${i}`, worker.pid);
    }
    for (const worker of workers) {
      while (!/riskscreen: worker \d+ on /.test(worker.stderrTail())) {
        if (worker.child.exitCode !== null) throw new Error(`a worker exited ${worker.child.exitCode}: ${worker.stderrTail()}`);
        await sleep(50);
      }
    }
    const submit = spawnCli(['submit', settings.file, '--profile', settings.profile, '--rate', settings.rates], env);
    settings.sampler?.track('submit', submit.pid);
    const code = await submit.exited;
    if (code !== 0) throw new Error(`riskscreen submit exited ${code}: ${submit.stderrTail()}`);
    const id = submit.stdout().trim();
    const deadline = started + settings.timeoutMs;
    let lastProgress = 0;
    for (;;) {
      view = await store.get(id);
      const now = performance.now();
      if (view && FINAL_STATUSES.has(view.status) && (view.resultPath || view.status === 'failed')) break;
      if (now > deadline) {
        timedOut = true;
        break;
      }
      for (const worker of workers) {
        if (worker.child.exitCode !== null) throw new Error(`a worker exited ${worker.child.exitCode} mid-batch: ${worker.stderrTail()}`);
      }
      if (view && settings.onProgress && now - lastProgress >= 30_000) {
        lastProgress = now;
        settings.onProgress(view, now - started);
      }
      await sleep(250);
    }
    const wallMs = performance.now() - started;
    const stats = await settings.sim.stats();
    return {
      prefix,
      view,
      timedOut,
      wallMs,
      engineMs: view ? Date.parse(view.times.finished ?? new Date().toISOString()) - Date.parse(view.times.created) : wallMs,
      calls: stats.calls - statsBefore.calls,
      billed: stats.billed - statsBefore.billed,
      duplicateBilled: stats.duplicateBilled,
    };
  } finally {
    // Timed out: the workers are interrupted (no point finishing calls nobody waits for).
    await Promise.all(workers.map((worker) => stopChild(worker.child, timedOut ? 'SIGKILL' : 'SIGTERM', 30_000)));
    await deleteKeys(redis, prefix);
    await redis.quit();
  }
}

/** The local engine: `riskscreen run --json` without REDIS_URL, one process. */
export async function runLocally(settings: EngineRunSettings): Promise<EngineRunResult> {
  const out = join(settings.dataDir, 'local-result.csv');
  await settings.sim.reset();
  const statsBefore = await settings.sim.stats();
  const started = performance.now();
  const proc = spawnCli(['run', settings.file, '--out', out, '--profile', settings.profile, '--rate', settings.rates, '--json', '--quiet'], engineEnv(settings));
  settings.sampler?.track('run', proc.pid);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.child.kill('SIGKILL');
  }, settings.timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  const wallMs = performance.now() - started;
  const stats = await settings.sim.stats();
  let view: BatchView | undefined;
  if (!timedOut) {
    try {
      view = JSON.parse(proc.stdout()) as BatchView;
    } catch {
      throw new Error(`riskscreen run exited ${code} without a batch record: ${proc.stderrTail()}`);
    }
  }
  return {
    view,
    timedOut,
    wallMs,
    engineMs: view?.times.finished ? Date.parse(view.times.finished) - Date.parse(view.times.created) : wallMs,
    calls: stats.calls - statsBefore.calls,
    billed: stats.billed - statsBefore.billed,
    duplicateBilled: stats.duplicateBilled,
  };
}

/** `rows/s` and `calls/s` of a run over the batch's own time, plus the wall time. */
export function describeRun(label: string, result: EngineRunResult): string {
  const seconds = result.engineMs / 1000;
  const rows = result.view?.counts.rows ?? 0;
  const errors = Object.entries(result.view?.errorsByCode ?? {})
    .map(([code, n]) => `${code}: ${n}`)
    .join(', ');
  const state = result.timedOut ? `TIME BOUND HIT (${result.view?.status ?? 'no record'})` : `${result.view?.status}`;
  return (
    `  ${label}: ${state}; ${int(rows)} rows, ${int(result.calls)} calls (${int(result.billed)} billed) in ${seconds.toFixed(1)} s ` +
    `(wall ${(result.wallMs / 1000).toFixed(1)} s): ${int(rows / seconds)} rows/s, ${int(result.calls / seconds)} calls/s; ` +
    `pairs billed twice ${result.duplicateBilled}; load average ${loadavg()[0]!.toFixed(1)}` +
    (errors ? `; errors by code ${errors}` : '')
  );
}
