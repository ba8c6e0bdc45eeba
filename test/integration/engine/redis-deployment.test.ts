/**
 * The Redis a deployment gives riskscreen, each a real server this test starts on
 * 127.0.0.1: a 3-master Redis Cluster (two worker processes screen a batch through it,
 * every key in one slot, no question billed twice), a Redis that evicts keys (workers
 * refuse to start), and Redis over TLS with a private CA (rediss:// and
 * REDIS_TLS_CA_FILE).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { APIS, ENDPOINTS, type EndpointId } from '../../../src/juhe/catalogue.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { LedgerEntry } from '../../../src/emulator/index.js';
import { redisStores } from '../../../src/engine/redis-store.js';
import { connectRedis } from '../../../workers/connection.js';
import { checkRedisForWorkers, RedisEvictsError } from '../../../workers/redis-policy.js';
import { startRedisCluster, type TestCluster } from '../../support/redis-cluster.js';
import { freePort, spawnRedisServer, type RedisServerProcess } from '../../support/redis-server.js';
import { startHarness, writeNumberList, type EngineHarness } from './harness.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TLS_DIR = join(ROOT, 'test/fixtures/tls');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function questionOf(entry: LedgerEntry): string {
  const api = ENDPOINTS[entry.endpoint as EndpointId].api;
  return `${api}|${entry.mobile ?? entry.hash}|${APIS[api].needsDate ? entry.date : ''}`;
}

/** A private redis-server with these extra flags, and a temporary dir for it. */
async function privateRedis(args: string[]): Promise<RedisServerProcess & { port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'riskscreen-redis-policy-'));
  const port = await freePort();
  const server = await spawnRedisServer(port, dir, args);
  cleanups.push(async () => {
    await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return { ...server, port };
}

/** `riskscreen worker` with this environment, until it exits or is stopped after `ms`. */
function runWorker(env: Record<string, string>, ms: number): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', JUHE_KEY: 'k'.repeat(32), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGTERM'), ms);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    }),
  );
}

describe('Redis Cluster', () => {
  let cluster: TestCluster | undefined;
  let harness: EngineHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    await cluster?.stop();
    harness = undefined;
    cluster = undefined;
  });

  it('two workers screen a batch through a 3-master cluster: the result is whole, every question billed once, every key in one slot', async () => {
    cluster = await startRedisCluster(3);
    harness = await startHarness({}, {}, cluster.url);
    expect(harness.redis.client).toBeInstanceOf(Cluster);
    const list = writeNumberList(harness.dir, 'cluster.csv', 400);
    await Promise.all([harness.startWorker(['--concurrency', '8']), harness.startWorker(['--concurrency', '8'])]);
    const id = await harness.submit({ file: list.path, profile: 'standard' });
    const view = await harness.waitFor(id, 90_000);

    expect(view.status).toBe('done');
    expect(view.counts.rows).toBe(400);
    expect(view.counts.rowsScreened).toBe(400);
    expect(view.counts.failed).toBe(0);
    const rows = readFileSync(view.resultPath!, 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(rows).toHaveLength(401);
    expect(rows.slice(1).map((row) => row.split(',')[0])).toEqual(list.numbers);

    // The ledger: each question billed once, and the batch counted what was billed.
    const entries = [...harness.emulator.ledger.entries()];
    const billed = entries.filter((entry) => entry.billed).map(questionOf);
    expect(billed.length).toBeGreaterThan(400);
    expect(new Set(billed).size).toBe(billed.length);
    expect(view.counts.billed).toBe(billed.length);
    // The running total of billed calls (the quota gauge's reading), kept by the scripts and MULTIs the cluster ran.
    const totals = await redisStores(harness.redis.client, harness.options.engine.prefix).batches.billedTotals();
    expect(Object.values(totals).reduce((sum, api) => sum + api.billed, 0)).toBe(billed.length);

    // One hash tag: every key of this test lives on the one master that owns its slot.
    const client = harness.redis.client as Cluster;
    const slot = Number(await client.cluster('KEYSLOT', `${harness.options.engine.prefix}:batches`));
    const perNode = await Promise.all(client.nodes('master').map(async (node) => (await node.keys(`*${harness!.redis.prefix}*`)).length));
    expect(perNode.filter((n) => n > 0)).toHaveLength(1);
    const owner = client.nodes('master')[perNode.findIndex((n) => n > 0)]!;
    const keys = await owner.keys(`*${harness.redis.prefix}*`);
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys.slice(0, 50)) expect(Number(await owner.cluster('KEYSLOT', key))).toBe(slot);

    // The workers said they were alive through the cluster too (heartbeats).
    expect(await owner.zcard(`${harness.options.engine.prefix}:workers`)).toBe(2);
  }, 150_000);

  it("the eviction check reads every node: one master that evicts is refused by name; a node named as a single server is refused", async () => {
    cluster = await startRedisCluster(3);
    const client = connectRedis(cluster.url, silentLogger, 'check');
    const single = connectRedis(`redis://127.0.0.1:${cluster.ports[0]}`, silentLogger, 'check-single');
    try {
      await client.ping();
      const settings = await checkRedisForWorkers(client, cluster.url, silentLogger);
      expect(settings.map((node) => node.node).sort()).toEqual(cluster.ports.map((port) => `127.0.0.1:${port}`).sort());
      expect(settings.every((node) => node.maxmemoryPolicy === 'noeviction' && node.clusterEnabled === true)).toBe(true);

      // A node of the cluster reached as one server would answer MOVED for most keys.
      await expect(checkRedisForWorkers(single, `redis://127.0.0.1:${cluster.ports[0]}`, silentLogger)).rejects.toMatchObject({
        code: 'RISKSCREEN_REDIS_IS_CLUSTER',
        message: expect.stringContaining('redis+cluster://'),
      });

      await single.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const refused = await checkRedisForWorkers(client, cluster.url, silentLogger).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(RedisEvictsError);
      expect((refused as RedisEvictsError).nodes).toEqual([expect.objectContaining({ node: `127.0.0.1:${cluster.ports[0]}`, maxmemoryPolicy: 'allkeys-lru' })]);
      expect((refused as Error).message).toContain(`the Redis Cluster at ${cluster.url}`);
      expect((refused as Error).message).toContain(`127.0.0.1:${cluster.ports[0]} allkeys-lru`);
    } finally {
      client.disconnect();
      single.disconnect();
    }
  }, 60_000);

  it('a worker refuses a cluster prefix that is not one hash tag, before connecting', async () => {
    const result = await runWorker({ REDIS_URL: 'redis+cluster://127.0.0.1:1,127.0.0.1:2', RISKSCREEN_PREFIX: 'riskscreen' }, 20_000);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/RISKSCREEN_PREFIX.*must be one \{hash tag\}/);
  }, 30_000);
});

describe("Redis's eviction policy", () => {
  it('a worker refuses to start on a Redis that evicts keys, says why in plain words, and takes no job', async () => {
    const redis = await privateRedis(['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no']);
    const result = await runWorker({ REDIS_URL: redis.url, RISKSCREEN_PREFIX: '{policy-test}' }, 20_000);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('maxmemory-policy allkeys-lru');
    expect(result.stderr).toContain('Set maxmemory-policy to noeviction');
    expect(result.stderr).not.toContain('SIGTERM or Ctrl-C to stop');
    // Nothing was run: no heartbeat, no rates, no queue limiter (only BullMQ's queue meta keys, made when the queues were opened).
    const client = connectRedis(redis.url, silentLogger, 'check');
    try {
      expect((await client.keys('{policy-test}*')).filter((key) => !key.endsWith(':meta'))).toEqual([]);
    } finally {
      client.disconnect();
    }
  }, 30_000);

  it('noeviction passes; AOF off is a warning naming the fix; any other policy is refused', async () => {
    const redis = await privateRedis(['--maxmemory-policy', 'noeviction', '--appendonly', 'no']);
    const client = connectRedis(redis.url, silentLogger, 'check');
    const warnings: string[] = [];
    const logger = silentLogger.child({});
    logger.warn = ((_obj: unknown, message: string) => void warnings.push(message)) as typeof logger.warn;
    try {
      const settings = await checkRedisForWorkers(client, redis.url, logger);
      expect(settings).toEqual([{ node: 'redis', maxmemoryPolicy: 'noeviction', aof: false, clusterEnabled: false }]);
      expect(warnings.join('\n')).toMatch(/AOF off.*appendonly yes/);

      await client.config('SET', 'appendonly', 'yes');
      warnings.length = 0;
      expect(await checkRedisForWorkers(client, redis.url, logger)).toEqual([{ node: 'redis', maxmemoryPolicy: 'noeviction', aof: true, clusterEnabled: false }]);
      expect(warnings).toEqual([]);

      await client.config('SET', 'maxmemory-policy', 'volatile-ttl');
      const refused = await checkRedisForWorkers(client, redis.url, logger).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(RedisEvictsError);
      expect((refused as RedisEvictsError).code).toBe('RISKSCREEN_REDIS_EVICTS');
      expect((refused as Error).message).toContain('volatile-ttl');
    } finally {
      client.disconnect();
    }
  }, 30_000);
});

describe('Redis over TLS', () => {
  it('rediss:// with REDIS_TLS_CA_FILE: the stores work over TLS; without the CA the certificate is refused', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'riskscreen-redis-tls-'));
    const server = await spawnRedisServer(port, dir, [
      '--tls-port', String(await freePort()),
      '--tls-cert-file', join(TLS_DIR, 'cert.pem'),
      '--tls-key-file', join(TLS_DIR, 'key.pem'),
      '--tls-ca-cert-file', join(TLS_DIR, 'cert.pem'),
      '--tls-auth-clients', 'no',
    ]);
    cleanups.push(async () => {
      await server.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    const plain = connectRedis(server.url, silentLogger, 'tls-port');
    const tlsPort = await plain
      .config('GET', 'tls-port')
      .then((reply) => Number((reply as string[])[1]))
      .finally(() => plain.disconnect());
    const url = `rediss://127.0.0.1:${tlsPort}`;

    const trusted = connectRedis({ url, tlsCaFile: join(TLS_DIR, 'cert.pem') }, silentLogger, 'tls');
    try {
      const stores = redisStores(trusted, '{tls-test}');
      await stores.cache.set('status', 'abc', 'answer', 60);
      expect(await stores.cache.get('status', 'abc')).toBe('answer');
      await trusted.del('{tls-test}:cache:status:abc');
    } finally {
      trusted.disconnect();
    }

    const untrusted = connectRedis(url, silentLogger, 'tls-untrusted');
    const failure = new Promise<Error>((resolve) => untrusted.once('error', resolve));
    try {
      expect((await failure).message).toMatch(/self[- ]signed|certificate/i);
    } finally {
      untrusted.disconnect();
    }
  }, 30_000);
});
