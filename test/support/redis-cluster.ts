/**
 * A real Redis Cluster for tests: three masters (`redis-server --cluster-enabled yes`)
 * on free ports of 127.0.0.1, joined with `redis-cli --cluster create`, and the slots
 * all served before it is handed over. Stopped (and its files removed) by `stop()`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, spawnRedisServer, type RedisServerProcess } from './redis-server.js';

const run = promisify(execFile);

export interface TestCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`, as REDIS_URL takes it. */
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

export async function startRedisCluster(masters = 3): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'riskscreen-cluster-'));
  const servers: RedisServerProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      // The cluster bus port is port + 10000 unless set: a free port of its own instead.
      const busPort = await freePort();
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      servers.push(
        await spawnRedisServer(port, nodeDir, [
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(nodeDir, 'nodes.conf'),
          '--cluster-port', String(busPort),
          '--cluster-node-timeout', '2000',
          '--appendonly', 'no',
          '--maxmemory-policy', 'noeviction',
        ]),
      );
      ports.push(port);
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    await waitForClusterOk(ports);
  } catch (err) {
    await stop();
    throw new Error(`could not start a Redis Cluster: ${(err as Error).message}`);
  }
  return { url: `redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`, ports, stop };
}

/** Every node says cluster_state:ok (all 16384 slots served, the nodes agree). */
async function waitForClusterOk(ports: number[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const states = await Promise.all(
      ports.map(async (port) => {
        const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await client.connect();
          return /cluster_state:ok/.test(await client.cluster('INFO'));
        } catch {
          return false;
        } finally {
          client.disconnect();
        }
      }),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`cluster not ok after 20 s on ports ${ports.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
