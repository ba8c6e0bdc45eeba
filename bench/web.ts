/**
 * The ops console over HTTP (docs/http-api.md), against servers this bench starts on
 * 127.0.0.1: the Juhe emulator (`riskscreen sim`, a child process of its own) and
 * `riskscreen web` on the local engine (bench/web-server-child.ts, forked, so that the
 * peak RSS and the CPU time it reports are the web process's own).
 *
 * 1. Upload: a 1,000,000-row CSV (`手机号,姓名,注册日期`, distinct valid mobile numbers)
 *    is generated into a temp dir, then POSTed to /api/uploads as multipart/form-data
 *    streamed from disk (preamble, the file's read stream, closing boundary) with an
 *    undici Pool, after a login (cookie + CSRF token). Figures: upload time, MB/s and
 *    the web process's peak RSS (target < 300 MiB), then the time of
 *    GET /api/uploads/:id/preview of that upload and the peak RSS after it. While each
 *    runs, GET /healthz every 100 ms on a connection of its own: how long the web process
 *    keeps every other request (pages, logins, event streams) waiting.
 * 2. Watchers: one batch of 3,000 rows, `--profile standard`, emulator rates high,
 *    watched through GET /api/batches/:id/events by 1 client, then the same list in a
 *    fresh web process and data dir (so no cached answer makes it cheaper) watched by
 *    50 clients. Figures: the web process's CPU time (user + system) from just before
 *    the batch is started to the last client's `end`, the ratio of the two, and the
 *    `batch` events each client received, how long the slowest waited for its first
 *    one, and whether every client got `end` (and the stream closed after it).
 *
 * Not a test: it prints figures. It throws only when the console does not do what
 * docs/http-api.md says (an error answer, a count that is wrong).
 *
 *   node --import tsx bench/web.ts        (or: npm run bench -- web)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once, setMaxListeners } from 'node:events';
import { createReadStream, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { allPrefixes } from '../src/phone/prefixes.js';
import { hashPassword } from '../src/web/passwords.js';
import { int, machine, mib, PeakSampler, REPO_ROOT, sleep, startSim, type SimProcess } from './support.js';
import type { WebChildFailed, WebChildReady, WebChildUsage } from './web-server-child.js';

const UPLOAD_ROWS = 1_000_000;
/**
 * Small enough for the bench to stay near 2 minutes on a busy 2-core machine, where the
 * local engine asks about 350-850 questions a second (20,000 rows take over a minute).
 */
const WATCH_ROWS = 3_000;
const WATCHERS = 50;
const RATES = 'status=2000,tenure=2000,tenureCmcc=2000,resale=2000,callDuration=2000';
export const TARGET_WEB_RSS_BYTES = 300 * 1024 * 1024;
/** A watched batch taking longer than this is given up on (and said so). */
const BATCH_TIME_BOUND_MS = 60_000;
const CHILD_SCRIPT = fileURLToPath(new URL('./web-server-child.ts', import.meta.url));
const USER = 'bench';

// ---- the web process ----------------------------------------------------------------

/** Every web child alive, killed if this process exits without stopping them. */
const liveChildren = new Set<ChildProcess>();
let exitHookSet = false;

interface WebProcess {
  url: string;
  pid: number;
  usage(): Promise<WebChildUsage>;
  stop(): Promise<void>;
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type'], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, message?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    };
    const onMessage = (message: { type?: string; message?: string }) => {
      if (message?.type === type) done(null, message as T);
      else if (message?.type === 'failed') done(new Error(`the web process failed: ${(message as WebChildFailed).message}`));
    };
    const onExit = (code: number | null, signal: string | null) => done(new Error(`the web process exited (${signal ?? code}) while the bench waited for "${type}"`));
    const timer = setTimeout(() => done(new Error(`the web process sent no "${type}" within ${timeoutMs / 1000} s`)), timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function startWeb(env: Record<string, string>): Promise<WebProcess> {
  if (!exitHookSet) {
    exitHookSet = true;
    process.once('exit', () => {
      for (const child of liveChildren) child.kill('SIGKILL');
    });
  }
  const child = fork(CHILD_SCRIPT, [], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    // PATH and HOME only, then the bench's own: no REDIS_URL, no config of the shell.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  try {
    const ready = await nextMessage<WebChildReady>(child, 'ready', 60_000);
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(ready.url)) throw new Error(`the web process listens on ${ready.url}, not 127.0.0.1`);
    return {
      url: ready.url,
      pid: child.pid!,
      async usage() {
        const answer = nextMessage<WebChildUsage>(child, 'usage', 10_000);
        child.send({ type: 'usage' });
        return answer;
      },
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.send({ type: 'stop' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

function cpuMicros(usage: WebChildUsage): number {
  return usage.cpuUserMicros + usage.cpuSystemMicros;
}

// ---- the API, as a script would use it -----------------------------------------------

interface Session {
  pool: Pool;
  cookie: string;
  csrf: string;
}

class ApiError extends Error {}

async function answerOf<T>(what: string, response: { statusCode: number; body: { text(): Promise<string> } }, expected: number): Promise<T> {
  const text = await response.body.text();
  if (response.statusCode !== expected) throw new ApiError(`${what}: HTTP ${response.statusCode} (expected ${expected}): ${text.slice(0, 500)}`);
  return (text === '' ? null : JSON.parse(text)) as T;
}

async function login(url: string, password: string): Promise<Session> {
  const pool = new Pool(url, { connections: 4, pipelining: 1, keepAliveTimeout: 30_000 });
  const response = await pool.request({
    path: '/api/login',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: USER, password }),
  });
  const answer = await answerOf<{ csrfToken: string; user: { role: string } }>('POST /api/login', response, 200);
  const setCookie = response.headers['set-cookie'];
  const cookies = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const session = cookies.map((c) => /^rs_session=([^;]+)/.exec(c)?.[1]).find(Boolean);
  if (!session) throw new ApiError(`POST /api/login set no rs_session cookie (set-cookie: ${cookies.join(' | ')})`);
  if (!answer.csrfToken) throw new ApiError('POST /api/login answered no csrfToken');
  return { pool, cookie: `rs_session=${session}`, csrf: answer.csrfToken };
}

async function api<T>(session: Session, method: 'GET' | 'POST', path: string, body?: unknown, expected = 200): Promise<T> {
  const response = await session.pool.request({
    path,
    method,
    headers: {
      cookie: session.cookie,
      ...(method === 'GET' ? {} : { 'x-csrf-token': session.csrf }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return answerOf<T>(`${method} ${path.split('?')[0]}`, response, expected);
}

interface UploadJson {
  id: string;
  name: string;
  bytes: number;
  sha256: string;
}

/** multipart/form-data with one part `file`, streamed from disk: preamble, the file, closing boundary. */
async function upload(session: Session, file: string, name: string, bytes: number): Promise<UploadJson> {
  const boundary = `----riskscreen-bench-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n`, 'utf8');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  async function* parts(): AsyncGenerator<Buffer> {
    yield head;
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
    yield tail;
  }
  const response = await session.pool.request({
    path: '/api/uploads',
    method: 'POST',
    headers: {
      cookie: session.cookie,
      'x-csrf-token': session.csrf,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + bytes + tail.length),
    },
    body: Readable.from(parts(), { objectMode: false }),
  });
  return (await answerOf<{ upload: UploadJson }>('POST /api/uploads', response, 201)).upload;
}

interface Responsiveness {
  probes: number;
  maxMs: number;
  medianMs: number;
  failures: number;
}

/**
 * GET /healthz every 100 ms on a connection of its own until stopped: how long the web
 * process keeps another request waiting while it works on an upload or a preview.
 */
function probeResponsiveness(url: string): { stop(): Promise<Responsiveness> } {
  const pool = new Pool(url, { connections: 1, pipelining: 1, keepAliveTimeout: 30_000 });
  const times: number[] = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await pool.request({ path: '/healthz', method: 'GET' });
        await response.body.text();
        if (response.statusCode === 200) times.push(performance.now() - started);
        else failures++;
      } catch {
        failures++;
      }
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await pool.close();
      const sorted = [...times].sort((a, b) => a - b);
      return { probes: times.length, maxMs: sorted.at(-1) ?? 0, medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0, failures };
    },
  };
}

// ---- server-sent events --------------------------------------------------------------

interface WatchResult {
  batchEvents: number;
  /** Bytes of the event stream received. */
  bytes: number;
  /** ms from asking for the stream to its first `batch` event. */
  firstEventMs: number | null;
  ended: boolean;
  /** ms from the batch's start to this client's `end` (or to giving up). */
  endMs: number;
  /** The last `batch` event's status and whether it had the result. */
  lastStatus: string | null;
  lastHasResult: boolean;
  notJson: number;
  error: string | null;
}

/** One EventSource-like client: reads `event:`/`data:` blocks until the stream ends. */
async function watchEvents(pool: Pool, session: Session, id: string, startedAt: number, signal: AbortSignal): Promise<WatchResult> {
  const result: WatchResult = { batchEvents: 0, bytes: 0, firstEventMs: null, ended: false, endMs: 0, lastStatus: null, lastHasResult: false, notJson: 0, error: null };
  const asked = performance.now();
  try {
    const response = await pool.request({
      path: `/api/batches/${id}/events`,
      method: 'GET',
      headers: { cookie: session.cookie, accept: 'text/event-stream' },
      signal,
    });
    if (response.statusCode !== 200) {
      result.error = `HTTP ${response.statusCode}: ${(await response.body.text()).slice(0, 200)}`;
      return result;
    }
    const type = String(response.headers['content-type'] ?? '');
    if (!type.startsWith('text/event-stream')) result.error = `content-type ${type}`;
    response.body.setEncoding('utf8');
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += chunk as string;
      result.bytes += Buffer.byteLength(chunk as string);
      for (let at = buffer.indexOf('\n\n'); at >= 0; at = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length === 0) continue; // a comment or `retry:`
        if (event === 'batch') {
          result.batchEvents++;
          result.firstEventMs ??= performance.now() - asked;
          try {
            const view = JSON.parse(data.join('\n')) as { status?: string; result?: unknown };
            result.lastStatus = view.status ?? null;
            result.lastHasResult = view.result !== null && view.result !== undefined;
          } catch {
            result.notJson++;
          }
        } else if (event === 'end') {
          result.ended = true;
        }
      }
    }
  } catch (err) {
    result.error = signal.aborted ? `gave up after ${BATCH_TIME_BOUND_MS / 1000} s` : (err as Error).message;
  }
  result.endMs = performance.now() - startedAt;
  return result;
}

// ---- the lists -----------------------------------------------------------------------

const MOBILE_PREFIXES = allPrefixes().filter((p) => p.kind === 'mobile' && p.prefix.length === 3);
const SURNAMES = ['张', '王', '李', '刘', '陈', '杨', '赵', '黄', '周', '吴'];

/**
 * `rows` distinct valid mobile numbers over every carrier's ordinary 3-digit prefixes
 * (the same numbers as support.ts's writeNumbersCsv), under `手机号,姓名,注册日期`, with
 * the file's size and sha256 as written.
 */
async function writeListCsv(file: string, rows: number): Promise<{ bytes: number; sha256: string }> {
  const handle = await open(file, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  const flush = async (text: string) => {
    const buffer = Buffer.from(text, 'utf8');
    hash.update(buffer);
    bytes += buffer.length;
    await handle.write(buffer);
  };
  try {
    let chunk = '手机号,姓名,注册日期\n';
    for (let i = 0; i < rows; i++) {
      const prefix = MOBILE_PREFIXES[i % MOBILE_PREFIXES.length]!.prefix;
      const k = Math.floor(i / MOBILE_PREFIXES.length);
      // 7,919 is prime and coprime with 10^8: distinct k give distinct suffixes.
      const suffix = String((k * 7_919 + 12_345) % 100_000_000).padStart(8, '0');
      const month = 1 + (i % 12);
      const day = 1 + (i % 28);
      chunk += `${prefix}${suffix},${SURNAMES[i % SURNAMES.length]}客户${i},${2015 + (i % 10)}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}\n`;
      if (chunk.length > 1 << 16) {
        await flush(chunk);
        chunk = '';
      }
    }
    await flush(chunk);
  } finally {
    await handle.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}

// ---- the bench -----------------------------------------------------------------------

interface Setting {
  dir: string;
  sim: SimProcess;
  password: string;
  hash: string;
}

function webEnv(setting: Setting, dataDir: string): Record<string, string> {
  return {
    ...setting.sim.env,
    RISKSCREEN_DATA_DIR: dataDir,
    RISKSCREEN_CONFIG: join(setting.dir, 'riskscreen.config.json'),
    RISKSCREEN_SECRET: 'riskscreen-bench-secret',
    RISKSCREEN_RATES: RATES,
    LOG_LEVEL: 'warn',
    RISKSCREEN_BENCH_WEB_USER: USER,
    RISKSCREEN_BENCH_WEB_HASH: setting.hash,
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const againstTarget = (bytes: number) => (bytes < TARGET_WEB_RSS_BYTES ? '< 300 MiB' : 'OVER 300 MiB');

interface UploadFigures {
  fileBytes: number;
  uploadMs: number;
  previewMs: number;
  idleMaxRss: number;
  uploadMaxRss: number;
  uploadSampledPeak: number;
  previewMaxRss: number;
  previewSampledPeak: number;
  uploadProbe: Responsiveness;
  previewProbe: Responsiveness;
  problems: string[];
}

async function uploadPhase(setting: Setting): Promise<UploadFigures> {
  const file = join(setting.dir, 'list-1m.csv');
  const generatedAt = performance.now();
  const list = await writeListCsv(file, UPLOAD_ROWS);
  console.log(`  generated ${int(UPLOAD_ROWS)} rows, ${(list.bytes / 1e6).toFixed(1)} MB, in ${seconds(performance.now() - generatedAt)}`);
  const web = await startWeb(webEnv(setting, join(setting.dir, 'data-upload')));
  const sampler = new PeakSampler(null, 100);
  try {
    const session = await login(web.url, setting.password);
    const idle = await web.usage();
    const problems: string[] = [];
    const name = '名单-100万.csv';

    sampler.track('web', web.pid);
    sampler.start();
    const uploadProbe = probeResponsiveness(web.url);
    const uploadStarted = performance.now();
    const uploaded = await upload(session, file, name, list.bytes);
    const uploadMs = performance.now() - uploadStarted;
    await sampler.stop();
    const uploadResponsiveness = await uploadProbe.stop();
    const afterUpload = await web.usage();
    if (uploaded.bytes !== list.bytes) problems.push(`the upload answered ${uploaded.bytes} bytes, the file has ${list.bytes}`);
    if (uploaded.sha256 !== list.sha256) problems.push('the upload answered another sha256 than the file\'s');
    if (uploaded.name !== name) problems.push(`the upload answered the name ${JSON.stringify(uploaded.name)}, sent ${JSON.stringify(name)}`);

    const previewSampler = new PeakSampler(null, 100);
    previewSampler.track('web', web.pid);
    previewSampler.start();
    const previewProbe = probeResponsiveness(web.url);
    const previewStarted = performance.now();
    const preview = await api<{ counts: { rows: number; valid: number; unique: number; invalid: number } }>(session, 'GET', `/api/uploads/${uploaded.id}/preview`);
    const previewMs = performance.now() - previewStarted;
    await previewSampler.stop();
    const previewResponsiveness = await previewProbe.stop();
    const afterPreview = await web.usage();
    const c = preview.counts;
    if (c.rows !== UPLOAD_ROWS || c.valid !== UPLOAD_ROWS || c.unique !== UPLOAD_ROWS) {
      problems.push(`the preview counted rows ${c.rows}, valid ${c.valid}, unique ${c.unique} (the list has ${UPLOAD_ROWS} distinct valid numbers)`);
    }
    await session.pool.close();
    return {
      fileBytes: list.bytes,
      uploadMs,
      previewMs,
      idleMaxRss: idle.maxRssKb * 1024,
      uploadMaxRss: afterUpload.maxRssKb * 1024,
      uploadSampledPeak: sampler.rssPeak('web'),
      previewMaxRss: afterPreview.maxRssKb * 1024,
      previewSampledPeak: previewSampler.rssPeak('web'),
      uploadProbe: uploadResponsiveness,
      previewProbe: previewResponsiveness,
      problems,
    };
  } finally {
    await sampler.stop();
    await web.stop();
    await rm(file, { force: true });
  }
}

interface WatchFigures {
  watchers: number;
  wallMs: number;
  cpuMs: number;
  maxRss: number;
  batchStatus: string;
  calls: number;
  events: { min: number; max: number; mean: number };
  /** Mean bytes of event stream a client received. */
  bytesPerClient: number;
  /** The slowest client's wait for its first event, ms. */
  firstEventMaxMs: number;
  ended: number;
  /** Spread of the clients' `end`s, ms. */
  endSpreadMs: number;
  problems: string[];
}

async function watchPhase(setting: Setting, file: string, bytes: number, watchers: number): Promise<WatchFigures> {
  const web = await startWeb(webEnv(setting, join(setting.dir, `data-watch-${watchers}`)));
  const eventsPool = new Pool(web.url, { connections: watchers, pipelining: 1, keepAliveTimeout: 30_000 });
  try {
    const session = await login(web.url, setting.password);
    const uploaded = await upload(session, file, 'watched-list.csv', bytes);
    await setting.sim.reset();
    const before = await web.usage();
    const started = performance.now();
    const { id } = await api<{ id: string }>(session, 'POST', '/api/batches', { uploadId: uploaded.id, profile: 'standard' }, 201);
    const signal = AbortSignal.timeout(BATCH_TIME_BOUND_MS);
    setMaxListeners(watchers + 10, signal);
    const results = await Promise.all(Array.from({ length: watchers }, () => watchEvents(eventsPool, session, id, started, signal)));
    const wallMs = performance.now() - started;
    const after = await web.usage();
    const final = await api<{ status: string; counts: { rows: number }; result: unknown }>(session, 'GET', `/api/batches/${id}`);
    const stats = await setting.sim.stats();
    const problems: string[] = [];
    const errors = results.filter((r) => r.error).map((r) => r.error!);
    if (errors.length > 0) problems.push(`${errors.length} clients: ${[...new Set(errors)].slice(0, 3).join('; ')}`);
    const notJson = results.reduce((n, r) => n + r.notJson, 0);
    if (notJson > 0) problems.push(`${notJson} batch events whose data is not JSON`);
    const lastWithoutResult = results.filter((r) => r.ended && !r.lastHasResult).length;
    if (lastWithoutResult > 0) problems.push(`${lastWithoutResult} clients got end after a last batch event without the result`);
    if (final.counts.rows !== WATCH_ROWS) problems.push(`the batch counted ${final.counts.rows} rows of ${WATCH_ROWS}`);
    const counts = results.map((r) => r.batchEvents);
    const ends = results.filter((r) => r.ended).map((r) => r.endMs);
    await session.pool.close();
    return {
      watchers,
      wallMs,
      cpuMs: (cpuMicros(after) - cpuMicros(before)) / 1000,
      maxRss: after.maxRssKb * 1024,
      batchStatus: final.status,
      calls: stats.calls,
      events: { min: Math.min(...counts), max: Math.max(...counts), mean: counts.reduce((a, b) => a + b, 0) / counts.length },
      bytesPerClient: results.reduce((n, r) => n + r.bytes, 0) / results.length,
      firstEventMaxMs: Math.max(...results.map((r) => r.firstEventMs ?? Infinity)),
      ended: ends.length,
      endSpreadMs: ends.length > 0 ? Math.max(...ends) - Math.min(...ends) : 0,
      problems,
    };
  } finally {
    await eventsPool.close().catch(() => undefined);
    await web.stop();
  }
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-bench-web-'));
  let sim: SimProcess | null = null;
  // Interrupted (Ctrl-C, a kill): the children and the temp dir go too.
  const onSignal = (signal: NodeJS.Signals) => {
    for (const child of liveChildren) child.kill('SIGKILL');
    if (sim) process.kill(sim.pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await writeFile(join(dir, 'riskscreen.config.json'), '{}\n');
    await mkdir(join(dir, 'lists'));
    const password = randomBytes(12).toString('base64url');
    const hash = await hashPassword(password, 10);
    sim = await startSim(['--latency-ms', '0']);
    const setting: Setting = { dir, sim, password, hash };
    console.log(`web: ${machine()}`);
    console.log(`  riskscreen web on the local engine in a child process; the emulator (0 ms latency) in another; both on 127.0.0.1`);

    // 1. the upload and its preview
    const up = await uploadPhase(setting);
    const mbPerSecond = up.fileBytes / 1e6 / (up.uploadMs / 1000);

    // 2. one batch watched by 1 client, then by 50 (each in a fresh web process and data dir)
    const watchFile = join(dir, 'lists', 'list-20k.csv');
    const watchList = await writeListCsv(watchFile, WATCH_ROWS);
    console.log(`  watched batch: ${int(WATCH_ROWS)} rows, --profile standard, RISKSCREEN_RATES=${RATES}`);
    const one = await watchPhase(setting, watchFile, watchList.bytes, 1);
    const many = await watchPhase(setting, watchFile, watchList.bytes, WATCHERS);

    console.log('');
    console.log(`  upload of ${int(UPLOAD_ROWS)} rows (${(up.fileBytes / 1e6).toFixed(1)} MB) over HTTP, multipart streamed from disk`);
    const probe = (p: Responsiveness) => `${p.maxMs.toFixed(0)} / ${p.medianMs.toFixed(0)} ms (${p.probes}${p.failures ? `, ${p.failures} FAILED` : ''})`;
    console.log(`    step         time    MB/s  web peak RSS (maxRSS)    sampled peak in step  /healthz wait max / median (probes)`);
    console.log(`    idle            -       -  ${mib(up.idleMaxRss).padStart(8)}`);
    console.log(
      `    upload   ${seconds(up.uploadMs).padStart(8)}  ${mbPerSecond.toFixed(1).padStart(6)}  ${mib(up.uploadMaxRss).padStart(8)} (${againstTarget(up.uploadMaxRss)})  ${mib(up.uploadSampledPeak).padStart(20)}  ${probe(up.uploadProbe)}`,
    );
    console.log(
      `    preview  ${seconds(up.previewMs).padStart(8)}  ${(up.fileBytes / 1e6 / (up.previewMs / 1000)).toFixed(1).padStart(6)}  ${mib(up.previewMaxRss).padStart(8)} (${againstTarget(up.previewMaxRss)})  ${mib(up.previewSampledPeak).padStart(20)}  ${probe(up.previewProbe)}`,
    );
    console.log('');
    console.log(`  one batch of ${int(WATCH_ROWS)} rows watched through /api/batches/:id/events (web CPU from the start of the batch to the last end)`);
    console.log(`    watchers  batch wall  status  emulator calls  web CPU   CPU/wall  events/client min-mean-max  KB/client  1st event  got end  end spread  web peak RSS`);
    for (const w of [one, many]) {
      console.log(
        `    ${String(w.watchers).padStart(8)}  ${seconds(w.wallMs).padStart(10)}  ${w.batchStatus.padEnd(6)}  ${int(w.calls).padStart(14)}  ${seconds(w.cpuMs).padStart(7)}  ${`${((w.cpuMs / w.wallMs) * 100).toFixed(0)}%`.padStart(8)}  ` +
          `${`${w.events.min}-${w.events.mean.toFixed(1)}-${w.events.max}`.padStart(28)}  ${(w.bytesPerClient / 1024).toFixed(0).padStart(9)}  ${`${w.firstEventMaxMs.toFixed(0)} ms`.padStart(9)}  ${`${w.ended}/${w.watchers}`.padStart(7)}  ${`${w.endSpreadMs.toFixed(0)} ms`.padStart(10)}  ${mib(w.maxRss).padStart(12)}`,
      );
    }
    const ratio = many.cpuMs / one.cpuMs;
    console.log(
      `    CPU with ${WATCHERS} watchers / CPU with 1: ${ratio.toFixed(2)}x (${many.cpuMs - one.cpuMs >= 0 ? '+' : ''}${((many.cpuMs - one.cpuMs) / 1000).toFixed(2)} s for ${WATCHERS - 1} more watchers; ` +
        `the batch's own work is most of both)`,
    );

    const problems = [...up.problems, ...one.problems.map((p) => `1 watcher: ${p}`), ...many.problems.map((p) => `${WATCHERS} watchers: ${p}`)];
    const missed: string[] = [];
    if (up.uploadMaxRss >= TARGET_WEB_RSS_BYTES) missed.push('upload peak RSS');
    if (up.previewMaxRss >= TARGET_WEB_RSS_BYTES) missed.push('preview peak RSS');
    for (const w of [one, many]) if (w.ended < w.watchers) missed.push(`${w.watchers - w.ended} of ${w.watchers} watchers got no end`);
    console.log(`  ${missed.length === 0 ? 'targets met (peak RSS < 300 MiB, every watcher got end)' : `target MISSED: ${missed.join(', ')}`}`);
    if (problems.length > 0) throw new Error(`web bench: the console did not answer as docs/http-api.md says: ${problems.join('; ')}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await sim?.stop();
    for (const child of liveChildren) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  await run().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
