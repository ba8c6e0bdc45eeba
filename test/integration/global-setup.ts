/**
 * Integration-test Redis: REDIS_URL when set, otherwise a private `redis-server` on a
 * free port for this run, stopped afterwards (test/support/redis-server.ts). With no
 * Redis at all the run fails with a message saying how to get one; it never skips.
 */
import type { TestProject } from 'vitest/node';
import { useRedis } from '../support/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await useRedis();
  project.provide('redisUrl', redis.url);
  return redis.stop;
}
