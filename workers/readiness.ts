/**
 * Whether a process on the queue engine can do its work now, for `/readyz`: Redis
 * answers a read of riskscreen's own keys within a second, and (for a worker) its BullMQ
 * workers have started and are not closing. A load balancer or an orchestrator stops
 * sending work to a process that is not ready; /healthz (alive at all) is what restarts it.
 *
 * The read is `EXISTS <prefix>:batches`, not a PING: a command with a key goes to the
 * node that holds the key's slot, so on a Redis Cluster it asks the master that holds
 * every riskscreen key (one hash tag), where a PING would ask any node. On one Redis
 * the two cost the same.
 */
import type { Readiness } from '../src/metrics/ops-server.js';
import type { RedisConnection } from '../src/shared/redis-url.js';

/** How long the read may take before Redis counts as not answering. */
export const READY_PING_MS = 1_000;

/** The key /readyz reads (whether it exists does not matter): in the prefix's hash slot. */
export function readinessKey(prefix: string): string {
  return `${prefix}:batches`;
}

export async function redisReadiness(redis: RedisConnection, prefix: string, timeoutMs = READY_PING_MS): Promise<Readiness> {
  // Not sent while disconnected: it would wait in the client's offline queue (one per
  // probe, for as long as Redis is away) instead of failing.
  if (redis.status !== 'ready') return { ready: false, reason: `Redis is not connected (the connection is ${redis.status}); riskscreen keeps trying to reconnect` };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.exists(readinessKey(prefix)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return { ready: true };
  } catch (err) {
    return (err as Error).message === 'timeout'
      ? { ready: false, reason: `Redis did not answer a read of riskscreen's keys within ${timeoutMs} ms` }
      : { ready: false, reason: `Redis answered a read of riskscreen's keys with an error: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Where a worker process is in its life: its BullMQ workers started (heartbeat written), or closing. */
export interface WorkerLife {
  started: boolean;
  closing: boolean;
}

export function workerReadiness(redis: RedisConnection, prefix: string, life: Readonly<WorkerLife>): () => Promise<Readiness> {
  return async () => {
    if (life.closing) return { ready: false, reason: 'the worker is stopping: it takes no new jobs and finishes the calls in flight' };
    if (!life.started) return { ready: false, reason: 'the worker is starting: its queues are not worked yet' };
    return redisReadiness(redis, prefix);
  };
}
