/**
 * Redis connections for BullMQ and the stores, from REDIS_URL in any of its forms (one
 * server or a Redis Cluster, plain or TLS: src/shared/redis-url.ts). Each has
 * `maxRetriesPerRequest: null` as BullMQ requires for workers (a blocking command must
 * wait out a reconnect, not fail), an error listener so a dropped connection is logged
 * instead of crashing the process, and the URL's password is never logged.
 *
 * A cluster is an ioredis `Cluster`, which follows MOVED and ASK replies; a client made
 * from one node's URL would not. Every riskscreen key is under one hash tag (the
 * prefix, `{riskscreen}`), so all of them live in one slot: a cluster gives failover,
 * not more throughput (one Redis serves far more than Juhe's rates allow anyway).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { parseRedisUrl, safeRedisUrl, type RedisConnection, type RedisTarget } from '../src/shared/redis-url.js';

export type { RedisConnection } from '../src/shared/redis-url.js';

/** What a connection is made from: REDIS_URL and, for TLS with a private CA, the CA's PEM file. */
export interface RedisSettings {
  url: string;
  tlsCaFile?: string | undefined;
}

export function connectRedis(settings: RedisSettings | string, logger: Logger, name: string): RedisConnection {
  const { url, tlsCaFile } = typeof settings === 'string' ? { url: settings, tlsCaFile: undefined } : settings;
  const target = parseRedisUrl(url);
  const common: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: `riskscreen-${name}`,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
  };
  const redis: RedisConnection = target.cluster
    ? new Cluster(
        target.nodes.map((node) => ({ host: node.host, port: node.port })),
        {
          // One TLS setting for every node: no SNI name, so each node's certificate is
          // checked against the host that node is reached by, not the first seed's.
          redisOptions: { ...common, ...(target.tls ? { tls: tlsOptions(undefined, tlsCaFile) } : {}) },
          enableReadyCheck: true,
          // Over TLS, the nodes' announced host names are connected to as they are (no
          // lookup to an address first), so the certificate check compares names with names.
          ...(target.tls ? { dnsLookup: (address: string, callback: (err: Error | null, address: string) => void) => callback(null, address) } : {}),
        },
      )
    : new Redis({
        ...common,
        host: target.nodes[0]!.host,
        port: target.nodes[0]!.port,
        ...(target.db !== undefined ? { db: target.db } : {}),
        ...(target.tls ? { tls: tlsOptions(target.nodes[0]!.host, tlsCaFile) } : {}),
      });
  let warned = false;
  redis.on('error', (err: Error) => {
    if (!warned) logger.warn({ err: { message: err.message }, redis: safeRedisUrl(url) }, 'Redis connection error; retrying');
    warned = true;
  });
  redis.on('ready', () => {
    warned = false;
  });
  // A cluster reports a node it cannot reach as 'node error', not 'error'.
  if (redis instanceof Cluster) {
    redis.on('node error', (err: Error, node: string) => {
      if (!warned) logger.warn({ err: { message: err.message }, node, redis: safeRedisUrl(url) }, 'Redis Cluster node error; retrying');
      warned = true;
    });
  }
  return redis;
}

/** Node's TLS options: the system CAs unless a CA file is named; SNI with a host name (not an address), for one server. */
function tlsOptions(host: string | undefined, caFile: string | undefined): ConnectionOptions {
  const options: ConnectionOptions = {};
  if (host !== undefined && isIP(host) === 0) options.servername = host;
  if (caFile) {
    try {
      options.ca = readFileSync(caFile);
    } catch (err) {
      throw new RedisTlsCaError(caFile, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
  }
  return options;
}

/** The target of a REDIS_URL, for messages (`a Redis Cluster of 3 seed nodes`). */
export function describeRedis(url: string): string {
  const target: RedisTarget = parseRedisUrl(url);
  const tls = target.tls ? ' over TLS' : '';
  return target.cluster ? `the Redis Cluster at ${safeRedisUrl(url)}${tls}` : `Redis at ${safeRedisUrl(url)}${tls}`;
}

/**
 * Ping with a deadline, for commands that should say so when Redis is not there. The
 * deadline is long enough to ride out a restart (a few seconds, longer with a large AOF
 * to load): the ping waits in ioredis's offline queue and goes once Redis is back.
 */
export async function assertRedisReachable(redis: RedisConnection, url: string, timeoutMs = 15_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailableError(url)), timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([redis.ping(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export class RedisUnavailableError extends Error {
  readonly code = 'RISKSCREEN_REDIS_UNAVAILABLE';
  readonly kind = 'unavailable';
  constructor(url: string) {
    super(`${describeRedis(url)} does not answer; start it (docker compose up -d redis) or unset REDIS_URL to use the local engine`);
    this.name = 'RedisUnavailableError';
  }
}

/** REDIS_TLS_CA_FILE cannot be read. */
export class RedisTlsCaError extends Error {
  readonly code = 'RISKSCREEN_REDIS_TLS_CA';
  readonly kind = 'config';
  constructor(
    readonly file: string,
    why: string,
  ) {
    super(`REDIS_TLS_CA_FILE: cannot read ${file} (${why}); name a PEM file of the CA that signed Redis's certificate, or unset it to trust the system's CAs`);
    this.name = 'RedisTlsCaError';
  }
}

export const safeUrl = safeRedisUrl;
