/**
 * How many requests a second the Juhe emulator serves on one core, at 0 ms latency,
 * and how much memory a million billed calls take.
 *
 * The emulator runs alone in a forked child process (one JavaScript thread: "one
 * core" is honest), on 127.0.0.1 and a free port; this process drives it with an
 * undici Pool and many concurrent requests, bounded by count and by time, and asks
 * the child for its CPU time so the figure can be read per core. Three runs:
 * plain forms, AES forms (the 5,000 req/s target is for these two) and RSA (OAEP
 * private decryption, about 0.37 ms a call, reported separately).
 *
 * Then a second, fresh child answers 1,000,000 billed calls on distinct numbers
 * in-process (no HTTP, which holds nothing per call): plain, AES, and sha256 and md5
 * forms reversed through a million known numbers (`--numbers FILE`), with 20%
 * injected errors retried, and reports its resident memory.
 *
 * `run()` throws (so the process exits non-zero) when plain forms are below 5,000
 * requests a second, when any question was billed twice (by endpoint or by API), or
 * when the memory run's peak RSS reaches 300 MB.
 *
 *   node --import tsx bench/emulator-throughput.ts
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { aesKeyFromOpenid, encodeMobile, type EndpointId } from '../src/juhe/index.js';
import { ENDPOINTS } from '../src/juhe/catalogue.js';

const CHILD_FLAG = '--emulator-child';
const MEMORY_CHILD_FLAG = '--emulator-memory-child';
/** The target for plain and AES forms; below it for plain, the bench fails. */
export const TARGET_REQUESTS_PER_SECOND = 5_000;
/** Billed calls on distinct numbers in the memory run. */
export const MEMORY_BILLED_CALLS = 1_000_000;
/** The memory run fails at this peak resident size. */
export const MEMORY_LIMIT_MB = 300;
const CONCURRENCY = 64;

interface Phase {
  name: string;
  /** Requests sent at most. */
  count: number;
  /** Stop sending after this long even if `count` is not reached. */
  maxMs: number;
  requests: ReadonlyArray<{ path: string; body: string }>;
}

interface ChildReady {
  type: 'ready';
  url: string;
  key: string;
  openid: string;
  rsaPublicKeyPem: string;
}
interface ChildUsage {
  type: 'usage';
  cpuMicros: number;
  calls: number;
  billed: number;
  duplicateBilled: number;
  duplicateBilledByApi: number;
}
interface MemoryReport {
  type: 'memory';
  calls: number;
  billed: number;
  injected: number;
  duplicateBilled: number;
  duplicateBilledByApi: number;
  knownNumbers: number;
  seconds: number;
  rssMb: number;
  peakRssMb: number;
  heapUsedMb: number;
  arrayBuffersMb: number;
  /** Bytes held by the emulator's own arrays: ledger, reverse index, attempt counts. */
  ledgerMb: number;
  indexMb: number;
  attemptsMb: number;
}

/** What the bench measured, for {@link benchFailures}. */
export interface BenchFigures {
  plainRequestsPerSecond: number;
  duplicateBilled: number;
  duplicateBilledByApi: number;
  memoryPeakRssMb?: number;
  memoryDuplicates?: number;
}

/** Why the bench fails, if it does: an empty list is a pass. */
export function benchFailures(figures: BenchFigures): string[] {
  const failures: string[] = [];
  if (!(figures.plainRequestsPerSecond >= TARGET_REQUESTS_PER_SECOND)) {
    failures.push(`plain forms served ${Math.round(figures.plainRequestsPerSecond)} requests a second, below the target of ${TARGET_REQUESTS_PER_SECOND}`);
  }
  if (figures.duplicateBilled > 0 || figures.duplicateBilledByApi > 0) {
    failures.push(`questions billed twice: ${figures.duplicateBilled} by endpoint, ${figures.duplicateBilledByApi} by API (every request asked a new number)`);
  }
  if (figures.memoryPeakRssMb !== undefined && figures.memoryPeakRssMb >= MEMORY_LIMIT_MB) {
    failures.push(`the memory run peaked at ${figures.memoryPeakRssMb.toFixed(0)} MB resident, at or over ${MEMORY_LIMIT_MB} MB`);
  }
  if (figures.memoryDuplicates !== undefined && figures.memoryDuplicates > 0) {
    failures.push(`the memory run billed ${figures.memoryDuplicates} questions twice`);
  }
  return failures;
}

export async function run(): Promise<void> {
  const figures = await throughput();
  const memory = await memoryRun();
  const failures = benchFailures({
    ...figures,
    memoryPeakRssMb: memory.peakRssMb,
    memoryDuplicates: memory.duplicateBilled + memory.duplicateBilledByApi,
  });
  if (failures.length > 0) throw new Error(`emulator bench failed: ${failures.join('; ')}`);
  console.log('  all targets met');
}

async function throughput(): Promise<Pick<BenchFigures, 'plainRequestsPerSecond' | 'duplicateBilled' | 'duplicateBilledByApi'>> {
  let plainRequestsPerSecond = 0;
  let final: ChildUsage | undefined;
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await nextMessage<ChildReady>(child, 'ready', 60_000);
    const pool = new Pool(ready.url, { connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 30_000 });
    try {
      const accounts = { aesKey: aesKeyFromOpenid(ready.openid), rsaPublicKey: createPublicKey(ready.rsaPublicKeyPem) };
      // Every request asks about a number not asked before on that endpoint, so the ledger must end with no pair billed twice.
      const numbers = makeNumbers(80_000);
      const body = (endpoint: EndpointId, mobile: string, form: Parameters<typeof encodeMobile>[1], date?: string): { path: string; body: string } => {
        const params = new URLSearchParams({ key: ready.key, mobile: encodeMobile(mobile, form, accounts) });
        if (date) params.set('date', date);
        return { path: ENDPOINTS[endpoint].path, body: params.toString() };
      };

      const plainEndpoints: Array<[EndpointId, string | undefined]> = [
        ['mobile_status/query', undefined],
        ['mobileOnline/query', undefined],
        ['twoSellTel/query', '20200101'],
        ['ctccCallduration/query', undefined],
      ];
      const plain = numbers.slice(0, 40_000).map((mobile, i) => {
        const [endpoint, date] = plainEndpoints[i % plainEndpoints.length]!;
        return body(endpoint, mobile, 'plain', date);
      });
      const aesForms: Array<[EndpointId, Parameters<typeof encodeMobile>[1], string | undefined]> = [
        ['mobile_status/queryEncry', 'aes', undefined],
        ['mobileOnline/queryEncry', 'aes', undefined],
        ['twoSellTel/queryEncry', 'sha256+aes', '20200101'],
        ['twoSellTel/queryEncry', 'md5+aes', '20200101'],
      ];
      const aes = numbers.slice(40_000, 70_000).map((mobile, i) => {
        const [endpoint, form, date] = aesForms[i % aesForms.length]!;
        return body(endpoint, mobile, form, date);
      });
      const rsa = numbers.slice(70_000, 74_000).map((mobile) => body('mobile_status/queryRV2', mobile, 'rsa'));

      // Warm up the JIT and the connections; not measured.
      const warmUp = numbers.slice(74_000, 78_000).map((mobile) => body('mobile_status/query', mobile, 'plain'));
      await drive(pool, { name: 'warm-up', count: warmUp.length, maxMs: 10_000, requests: warmUp });

      const phases: Phase[] = [
        { name: 'plain', count: plain.length, maxMs: 15_000, requests: plain },
        { name: 'AES', count: aes.length, maxMs: 15_000, requests: aes },
        { name: 'RSA', count: rsa.length, maxMs: 15_000, requests: rsa },
      ];
      console.log(`Juhe emulator throughput, 0 ms latency, emulator alone in one child process, ${CONCURRENCY} concurrent requests`);
      for (const phase of phases) {
        child.send({ type: 'usage' });
        const before = await nextMessage<ChildUsage>(child, 'usage', 10_000);
        const result = await drive(pool, phase);
        child.send({ type: 'usage' });
        const after = await nextMessage<ChildUsage>(child, 'usage', 10_000);
        const seconds = result.elapsedMs / 1000;
        const perSecond = result.sent / seconds;
        const cpuShare = (after.cpuMicros - before.cpuMicros) / 1000 / result.elapsedMs;
        const perCoreSecond = result.sent / ((after.cpuMicros - before.cpuMicros) / 1e6);
        if (phase.name === 'plain') plainRequestsPerSecond = perSecond;
        const target = phase.name === 'RSA' ? '' : perSecond >= TARGET_REQUESTS_PER_SECOND ? '  (meets 5,000 req/s)' : '  (BELOW 5,000 req/s)';
        console.log(
          `  ${phase.name.padEnd(5)} ${result.sent} requests in ${seconds.toFixed(2)} s: ${Math.round(perSecond)} req/s${target}; ` +
            `emulator CPU ${(cpuShare * 100).toFixed(0)}% of one core (${Math.round(perCoreSecond)} req per CPU-second); ` +
            `codes ${formatCodes(result.codes)}; ledger +${after.calls - before.calls} calls`,
        );
      }
      child.send({ type: 'usage' });
      final = await nextMessage<ChildUsage>(child, 'usage', 10_000);
      console.log(
        `  ledger: ${final.calls} calls, ${final.billed} billed, ${final.duplicateBilled} (endpoint, number) pairs and ` +
          `${final.duplicateBilledByApi} (API, number) questions billed twice`,
      );
    } finally {
      await pool.close();
    }
  } finally {
    child.send({ type: 'stop' });
    const exited = once(child, 'exit');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (!final) throw new Error('the emulator child reported no final usage');
  return { plainRequestsPerSecond, duplicateBilled: final.duplicateBilled, duplicateBilledByApi: final.duplicateBilledByApi };
}

/** The numbers of the memory run: distinct China Mobile numbers (every API answers for them). */
function memoryNumberAt(i: number): string {
  return String(13_800_000_000 + i * 97);
}
const MEMORY_NUMBERS = Math.ceil(MEMORY_BILLED_CALLS * 1.05);

/** The memory run, in a fresh child so nothing of the throughput run counts; this process writes its numbers file. */
async function memoryRun(): Promise<MemoryReport> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-emulator-memory-'));
  const numbersFile = join(dir, 'numbers.txt');
  const lines: string[] = [];
  for (let i = 0; i < MEMORY_NUMBERS; i++) lines.push(memoryNumberAt(i));
  await writeFile(numbersFile, `${lines.join('\n')}\n`);
  const child = fork(fileURLToPath(import.meta.url), [MEMORY_CHILD_FLAG, numbersFile], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const report = await nextMessage<MemoryReport>(child, 'memory', 300_000);
    console.log(
      `  memory: ${report.billed} billed calls on distinct numbers (${report.calls} calls, ${report.injected} injected errors retried; ` +
        `${report.knownNumbers} known numbers) in ${report.seconds.toFixed(1)} s: RSS ${report.rssMb.toFixed(0)} MB, ` +
        `peak ${report.peakRssMb.toFixed(0)} MB (limit ${MEMORY_LIMIT_MB}); heap ${report.heapUsedMb.toFixed(0)} MB, ` +
        `array buffers ${report.arrayBuffersMb.toFixed(0)} MB = ledger ${report.ledgerMb.toFixed(0)} + index ${report.indexMb.toFixed(0)} + ` +
        `attempts ${report.attemptsMb.toFixed(0)} + other; billed twice: ${report.duplicateBilled} by endpoint, ${report.duplicateBilledByApi} by API`,
    );
    return report;
  } finally {
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/** Send the phase's requests with bounded concurrency until all are sent or time is up. */
async function drive(pool: Pool, phase: Phase): Promise<{ sent: number; elapsedMs: number; codes: Map<string, number> }> {
  const started = performance.now();
  const deadline = started + phase.maxMs;
  let next = 0;
  const codes = new Map<string, number>();
  const limit = Math.min(phase.count, phase.requests.length);
  const worker = async (): Promise<void> => {
    while (next < limit && performance.now() < deadline) {
      const request = phase.requests[next++]!;
      const response = await pool.request({
        method: 'POST',
        path: request.path,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: request.body,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const text = await response.body.text();
      const code = response.statusCode === 200 ? (/"error_code":(\d+)/.exec(text)?.[1] ?? 'unreadable') : `HTTP ${response.statusCode}`;
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { sent: next, elapsedMs: performance.now() - started, codes };
}

/** `0: 30000, 232403: 6000` (232403 is call minutes asked for a number that is not China Telecom). */
function formatCodes(codes: Map<string, number>): string {
  return [...codes].sort().map(([code, count]) => `${code}: ${count}`).join(', ');
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type'], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`the emulator child sent no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: { type?: string }): void => {
      if (message?.type !== type) return;
      cleanup();
      resolve(message as T);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`the emulator child exited (${code}) before sending "${type}"`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Distinct allocated numbers over the three big carriers, so every phase meets new numbers. */
function makeNumbers(count: number): string[] {
  const prefixes = ['138', '139', '150', '186', '131', '189', '133', '177', '199', '135'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const prefix = prefixes[i % prefixes.length]!;
    out.push(`${prefix}${String(i * 7_919 + 12_345).padStart(8, '0').slice(-8)}`);
  }
  return out;
}

/** The child: the emulator and nothing else, answering usage questions over IPC. */
async function runChild(): Promise<void> {
  const { startEmulator } = await import('../src/emulator/server.js');
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1', seed: 'bench' });
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'usage') {
      const cpu = process.cpuUsage();
      const stats = emulator.ledger.stats();
      process.send?.({
        type: 'usage',
        cpuMicros: cpu.user + cpu.system,
        calls: stats.calls,
        billed: stats.billed,
        duplicateBilled: stats.duplicateBilled,
        duplicateBilledByApi: stats.duplicateBilledByApi,
      } satisfies ChildUsage);
    } else if (message?.type === 'stop') {
      void emulator.close().then(() => process.exit(0));
    }
  });
  // If the parent dies, do not linger.
  process.on('disconnect', () => void emulator.close().then(() => process.exit(0)));
  process.send?.({
    type: 'ready',
    url: emulator.url,
    key: emulator.key,
    openid: emulator.openid,
    rsaPublicKeyPem: emulator.rsaPublicKeyPem,
  } satisfies ChildReady);
}

/**
 * The memory child: the emulator's service and nothing else, a million known numbers
 * from a file, and calls until a million are billed, each on a number not asked
 * before; injected errors (20% on tenure and resale) are asked again.
 */
async function runMemoryChild(): Promise<void> {
  const { resolveEmulatorOptions } = await import('../src/emulator/options.js');
  const { EmulatedService } = await import('../src/emulator/service.js');
  const { World } = await import('../src/emulator/world.js');
  const { loadKnownNumbers } = await import('../src/emulator/known-numbers.js');
  const { prepareRsaKeys } = await import('../src/emulator/rsa-keys.js');
  const { md5Hex, sha256Hex } = await import('../src/emulator/digests.js');
  const numbersFile = process.argv[process.argv.indexOf(MEMORY_CHILD_FLAG) + 1]!;
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-emulator-memory-'));
  try {
    const options = resolveEmulatorOptions({ seed: 'bench-memory', errorRates: '224805=0.2,232701=0.2', knownNumbers: numbersFile });
    const rsa = await prepareRsaKeys({ publicKeyFile: join(dir, 'public.pem') });
    const service = new EmulatedService(options, new World(options.seed, options.referenceDate), rsa.privateKey);
    service.addKnownNumbers(await loadKnownNumbers(numbersFile));
    const aesKey = aesKeyFromOpenid(options.openid);
    const accounts = { aesKey, rsaPublicKey: createPublicKey(rsa.publicKeyPem) };
    const forms: Array<[EndpointId, (mobile: string) => string, string | undefined]> = [
      ['mobile_status/query', (m) => m, undefined],
      ['mobileOnline/queryEncry', (m) => encodeMobile(m, 'aes', accounts), undefined],
      ['mobile_online_sha256_cmcc/query', (m) => sha256Hex(m), undefined],
      ['twoSellTel/queryEncry', (m) => sha256Hex(m), '20200101'],
      ['twoSellTel/queryEncry', (m) => md5Hex(m), '20200101'],
    ];
    const started = performance.now();
    let calls = 0;
    let injected = 0;
    for (let i = 0; service.ledger.billed < MEMORY_BILLED_CALLS && i < MEMORY_NUMBERS; i++) {
      const [endpoint, encode, date] = forms[i % forms.length]!;
      const params = new URLSearchParams({ key: options.key, mobile: encode(memoryNumberAt(i)) });
      if (date) params.set('date', date);
      for (;;) {
        const { errorCode } = service.handle(ENDPOINTS[endpoint], params);
        calls++;
        if (errorCode !== 224805 && errorCode !== 232701) break;
        injected++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const memory = process.memoryUsage();
    const stats = service.ledger.stats();
    const mb = (bytes: number): number => bytes / 1024 / 1024;
    await rsa.cleanup();
    const report: MemoryReport = {
      type: 'memory',
      calls,
      billed: stats.billed,
      injected,
      duplicateBilled: stats.duplicateBilled,
      duplicateBilledByApi: stats.duplicateBilledByApi,
      knownNumbers: service.index.size,
      seconds,
      rssMb: mb(memory.rss),
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      heapUsedMb: mb(memory.heapUsed),
      arrayBuffersMb: mb(memory.arrayBuffers),
      ledgerMb: mb(service.ledger.bytes),
      indexMb: mb(service.index.bytes),
      attemptsMb: mb(service.attempts.bytes),
    };
    // Forked by run(): report over IPC. Run alone (`--emulator-memory-child FILE`): print it.
    if (process.send) await new Promise<void>((resolve) => process.send!(report, () => resolve()));
    else console.log(JSON.stringify(report));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain && process.argv.includes(CHILD_FLAG)) {
  await runChild();
} else if (isMain && process.argv.includes(MEMORY_CHILD_FLAG)) {
  await runMemoryChild();
  process.disconnect?.();
} else if (isMain) {
  await run();
}
