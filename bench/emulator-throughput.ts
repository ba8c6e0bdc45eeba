/**
 * How many requests a second the Juhe emulator serves on one core, at 0 ms latency.
 *
 * The emulator runs alone in a forked child process (one JavaScript thread: "one
 * core" is honest), on 127.0.0.1 and a free port; this process drives it with an
 * undici Pool and many concurrent requests, bounded by count and by time, and asks
 * the child for its CPU time so the figure can be read per core. Three runs:
 * plain forms, AES forms (the 5,000 req/s target is for these two) and RSA (OAEP
 * private decryption, about a millisecond a call, reported separately).
 *
 *   node --import tsx bench/emulator-throughput.ts
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { aesKeyFromOpenid, encodeMobile, type EndpointId } from '../src/juhe/index.js';
import { ENDPOINTS } from '../src/juhe/catalogue.js';
import { createPublicKey } from 'node:crypto';

const CHILD_FLAG = '--emulator-child';
/** The target for plain and AES forms. */
export const TARGET_REQUESTS_PER_SECOND = 5_000;
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
}

export async function run(): Promise<void> {
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
        const target = phase.name === 'RSA' ? '' : perSecond >= TARGET_REQUESTS_PER_SECOND ? '  (meets 5,000 req/s)' : '  (BELOW 5,000 req/s)';
        console.log(
          `  ${phase.name.padEnd(5)} ${result.sent} requests in ${seconds.toFixed(2)} s: ${Math.round(perSecond)} req/s${target}; ` +
            `emulator CPU ${(cpuShare * 100).toFixed(0)}% of one core (${Math.round(perCoreSecond)} req per CPU-second); ` +
            `codes ${formatCodes(result.codes)}; ledger +${after.calls - before.calls} calls`,
        );
      }
      child.send({ type: 'usage' });
      const final = await nextMessage<ChildUsage>(child, 'usage', 10_000);
      console.log(`  ledger: ${final.calls} calls, ${final.billed} billed, ${final.duplicateBilled} pairs billed twice`);
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

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain && process.argv.includes(CHILD_FLAG)) {
  await runChild();
} else if (isMain) {
  await run();
}
