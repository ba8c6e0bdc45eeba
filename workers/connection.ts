/**
 * Redis connections for BullMQ: `maxRetriesPerRequest: null` as BullMQ requires for
 * workers (a blocking command must wait out a reconnect, not fail), an error listener so
 * a dropped connection is logged instead of crashing the process, and the URL's
 * password never logged.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export function connectRedis(url: string, logger: Logger, name: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: `riskscreen-${name}`,
  });
  let warned = false;
  redis.on('error', (err: Error) => {
    if (!warned) logger.warn({ err: { message: err.message }, redis: safeUrl(url) }, 'Redis connection error; retrying');
    warned = true;
  });
  redis.on('ready', () => {
    warned = false;
  });
  return redis;
}

/**
 * Ping with a deadline, for commands that should say so when Redis is not there. The
 * deadline is long enough to ride out a restart (a few seconds, longer with a large AOF
 * to load): the ping waits in ioredis's offline queue and goes once Redis is back.
 */
export async function assertRedisReachable(redis: Redis, url: string, timeoutMs = 15_000): Promise<void> {
  const timer = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new RedisUnavailableError(url)), timeoutMs).unref(),
  );
  await Promise.race([redis.ping(), timer]);
}

export class RedisUnavailableError extends Error {
  readonly code = 'RISKSCREEN_REDIS_UNAVAILABLE';
  readonly kind = 'unavailable';
  constructor(url: string) {
    super(`Redis at ${safeUrl(url)} does not answer; start it (docker compose up -d redis) or unset REDIS_URL to use the local engine`);
    this.name = 'RedisUnavailableError';
  }
}

export function safeUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
