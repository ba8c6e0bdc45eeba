/**
 * What Redis must be set to before anything works on the queues: `maxmemory-policy
 * noeviction`. With any other policy a full Redis deletes keys to make room, and a
 * deleted job, lock or batch record is lost without a trace (BullMQ itself only prints
 * a warning). AOF off is allowed but warned about: a Redis restart then forgets the
 * queued work and the batches since the last snapshot.
 *
 * Read with INFO (allowed on most managed services, unlike CONFIG GET), on every node of
 * a cluster: a replica that is promoted in a failover brings its own settings.
 */
import type { Logger } from 'pino';
import { Cluster } from 'ioredis';
import { safeRedisUrl, type RedisConnection } from '../src/shared/redis-url.js';
import { describeRedis } from './connection.js';

export interface NodeSettings {
  /** `host:port`, or `redis` for a single server. */
  node: string;
  /** `noeviction`, `allkeys-lru`, ...; null when INFO did not say (blocked, an unusual server). */
  maxmemoryPolicy: string | null;
  /** Whether the append-only file is on; null when INFO did not say. */
  aof: boolean | null;
  /** Whether the server is a node of a Redis Cluster; null when INFO did not say. */
  clusterEnabled: boolean | null;
}

/** How long one node's INFO may take: an unreachable replica must not hold a worker's start for ever. */
export const INFO_DEADLINE_MS = 5_000;

/**
 * Reads the settings that matter from INFO of each node (each master and replica of a
 * cluster). A node that does not answer within INFO_DEADLINE_MS fails the reading.
 */
export async function readRedisSettings(redis: RedisConnection, deadlineMs = INFO_DEADLINE_MS): Promise<NodeSettings[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('all').map((node) => ({ name: `${node.options.host}:${node.options.port}`, client: node })) : [{ name: 'redis', client: redis }];
  if (nodes.length === 0) throw new Error('the cluster has told of no node yet');
  return Promise.all(
    nodes.map(async ({ name, client }) => {
      const text = await withDeadline(client.info(), deadlineMs, `${name} did not answer INFO within ${deadlineMs} ms`);
      const info = parseInfo(text);
      const flag = (field: string) => {
        const value = info.get(field);
        return value === undefined ? null : value === '1';
      };
      return { node: name, maxmemoryPolicy: info.get('maxmemory_policy') ?? null, aof: flag('aof_enabled'), clusterEnabled: flag('cluster_enabled') };
    }),
  );
}

async function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** `field:value` lines of an INFO reply. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/**
 * Refuses (throws RedisEvictsError) when a node evicts keys; warns when AOF is off or the
 * settings cannot be read. `url` only names Redis in messages.
 */
export async function checkRedisForWorkers(redis: RedisConnection, url: string, logger: Logger): Promise<NodeSettings[]> {
  let settings: NodeSettings[];
  try {
    settings = await readRedisSettings(redis);
  } catch (err) {
    logger.warn(
      { err: { message: (err as Error).message }, redis: safeRedisUrl(url) },
      "could not read Redis's maxmemory-policy (INFO refused?); make sure it is noeviction, or queued jobs can be evicted and lost",
    );
    return [];
  }
  const evicting = settings.filter((node) => node.maxmemoryPolicy !== null && node.maxmemoryPolicy !== 'noeviction');
  if (evicting.length > 0) throw new RedisEvictsError(url, evicting);
  // A node of a cluster reached as one server answers MOVED for most keys: say so now.
  if (!(redis instanceof Cluster) && settings.some((node) => node.clusterEnabled === true)) throw new RedisIsClusterError(url);
  const unknown = settings.filter((node) => node.maxmemoryPolicy === null).map((node) => node.node);
  if (unknown.length > 0) logger.warn({ nodes: unknown, redis: safeRedisUrl(url) }, "Redis's INFO does not say its maxmemory-policy; make sure it is noeviction");
  const noAof = settings.filter((node) => node.aof === false).map((node) => node.node);
  if (noAof.length > 0) {
    logger.warn(
      { nodes: noAof, redis: safeRedisUrl(url) },
      'Redis has AOF off (appendonly no): a Redis restart forgets queued work and batches since its last snapshot; turn it on (appendonly yes) for production',
    );
  }
  return settings;
}

/** REDIS_URL names one node of a Redis Cluster as if it were a single server. */
export class RedisIsClusterError extends Error {
  readonly code = 'RISKSCREEN_REDIS_IS_CLUSTER';
  readonly kind = 'config';
  constructor(url: string) {
    super(
      `${describeRedis(url)} is a node of a Redis Cluster: REDIS_URL must name it as one, redis+cluster://host1:port1,host2:port2 (rediss+cluster:// over TLS), so that every node is reached. Nothing was run.`,
    );
    this.name = 'RedisIsClusterError';
  }
}

/** Redis would delete keys when full: BullMQ's jobs and riskscreen's batches with them. */
export class RedisEvictsError extends Error {
  readonly code = 'RISKSCREEN_REDIS_EVICTS';
  readonly kind = 'config';
  constructor(
    url: string,
    readonly nodes: readonly NodeSettings[],
  ) {
    const which = nodes.map((node) => (node.node === 'redis' ? node.maxmemoryPolicy : `${node.node} ${node.maxmemoryPolicy}`)).join(', ');
    super(
      `${describeRedis(url)} is set to evict keys when it is full (maxmemory-policy ${which}): queued jobs and batch records could vanish without a trace. ` +
        'Set maxmemory-policy to noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, and in redis.conf so it lasts; ' +
        'on a managed Redis, in its parameter group), then start again. Nothing was run.',
    );
    this.name = 'RedisEvictsError';
  }
}
