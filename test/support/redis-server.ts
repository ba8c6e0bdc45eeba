/**
 * Redis for the integration tests and the benchmarks: REDIS_URL when it is set (and
 * answers), otherwise a private `redis-server` on a free port of 127.0.0.1, stopped by
 * `stop()`. With no Redis at all it fails with a message saying how to get one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export const HOW_TO_GET_REDIS =
  'riskscreen tests and benchmarks need Redis. Either set REDIS_URL=redis://127.0.0.1:6379 to use a running server, ' +
  'or install redis-server so they can start their own (Debian/Ubuntu: apt-get install -y redis-server; ' +
  'macOS: brew install redis).';

export interface PrivateOrGivenRedis {
  url: string;
  /** The private server's pid, or null when REDIS_URL was given. */
  pid: number | null;
  stop(): Promise<void>;
}

export async function pingRedis(url: string, timeoutMs: number): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

export async function useRedis(): Promise<PrivateOrGivenRedis> {
  const given = process.env.REDIS_URL;
  if (given) {
    try {
      await pingRedis(given, 2_000);
    } catch (err) {
      throw new Error(`REDIS_URL=${given.replace(/\/\/[^@/]*@/, '//***@')} does not answer (${(err as Error).message}). ${HOW_TO_GET_REDIS}`);
    }
    return { url: given, pid: null, stop: async () => {} };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'riskscreen-redis-'));
  let server: RedisServerProcess;
  try {
    server = await spawnRedisServer(port, dir, ['--appendonly', 'no']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: server.url,
    pid: server.pid,
    async stop() {
      await server.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisServerProcess {
  url: string;
  pid: number | null;
  /** Stop it: SIGTERM shuts down cleanly (AOF flushed), SIGKILL as a crash would. Resolves when it is gone. */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

/**
 * `redis-server` on 127.0.0.1:`port` with its files in `dir` (no RDB snapshots), plus
 * `args`; resolves once it answers. Started again on the same port and dir it reloads
 * its AOF, as a restarted production server would.
 */
export async function spawnRedisServer(port: number, dir: string, args: readonly string[] = []): Promise<RedisServerProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, ...args], {
    stdio: 'ignore',
  });
  await new Promise<void>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error(`redis-server was not found on PATH. ${HOW_TO_GET_REDIS}`) : err),
    );
    child.once('spawn', () => resolve());
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await pingRedis(url, 500);
      break;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not start: ${(err as Error).message}. ${HOW_TO_GET_REDIS}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    pid: child.pid ?? null,
    async stop(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
