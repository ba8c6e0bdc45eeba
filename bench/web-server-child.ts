/**
 * The web process of bench/web.ts: `riskscreen web` as `startConsole` starts it (the
 * local engine, working its batches in this process), alone in a process forked by the
 * bench so that its peak RSS and CPU time are the console's own and not the bench's.
 *
 * Everything comes from the environment the bench gives it (JUHE_* of the emulator,
 * RISKSCREEN_DATA_DIR, RISKSCREEN_RATES, RISKSCREEN_CONFIG naming an empty config file,
 * no REDIS_URL) plus one operator account: RISKSCREEN_BENCH_WEB_USER and
 * RISKSCREEN_BENCH_WEB_HASH (a `hashPassword` hash). It listens on 127.0.0.1, a free port.
 *
 * Over IPC: sends `{ type: 'ready', url }` once listening; answers `{ type: 'usage' }`
 * with its peak RSS (process.resourceUsage().maxRSS, KiB), current RSS and CPU time
 * (process.cpuUsage(), µs); on `{ type: 'stop' }`, or when the bench goes away, closes
 * the console and exits.
 */
import { loadOptions } from '../src/config/load.js';
import { startConsole, type RunningConsole } from '../src/cli/web.js';

export interface WebChildReady {
  type: 'ready';
  url: string;
}

export interface WebChildUsage {
  type: 'usage';
  /** Peak resident set size of this process so far, KiB. */
  maxRssKb: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** CPU time of this process so far, µs. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
}

export interface WebChildFailed {
  type: 'failed';
  message: string;
}

function usage(): WebChildUsage {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return {
    type: 'usage',
    maxRssKb: process.resourceUsage().maxRSS,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
  };
}

async function main(): Promise<void> {
  const name = process.env.RISKSCREEN_BENCH_WEB_USER;
  const hash = process.env.RISKSCREEN_BENCH_WEB_HASH;
  if (!name || !hash || !process.send) throw new Error('web-server-child: forked by bench/web.ts only (IPC, RISKSCREEN_BENCH_WEB_USER, RISKSCREEN_BENCH_WEB_HASH)');
  if (process.env.REDIS_URL) throw new Error('web-server-child: REDIS_URL is set; the bench measures the local engine');
  const options = loadOptions();
  options.web.host = '127.0.0.1';
  options.web.port = 0;
  options.web.users = [{ name, role: 'operator', hash }];
  let running: RunningConsole | null = null;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await running?.close();
    } finally {
      process.exit(code);
    }
  };
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'usage') process.send?.(usage());
    else if (message?.type === 'stop') void stop(0);
  });
  // The bench went away (finished, failed or killed): do not linger.
  process.on('disconnect', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  running = await startConsole(options, { work: true, fixedAccounts: true });
  process.send({ type: 'ready', url: running.url } satisfies WebChildReady);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (process.send) process.send({ type: 'failed', message } satisfies WebChildFailed, () => process.exit(1));
  else {
    console.error(message);
    process.exit(1);
  }
});
