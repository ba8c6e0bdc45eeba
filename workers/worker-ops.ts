/**
 * A worker process's ops side, when ops.metricsPort is set: its metrics registry (the
 * engine's counters fed through the observer, the gauges of shared state read from
 * Redis at a scrape, at most every 5 s) and the listener serving /metrics, /healthz and /readyz.
 */
import type { Logger } from 'pino';
import type { Options } from '../src/config/options.js';
import type { EngineObserver } from '../src/engine/observer.js';
import { startOpsServer } from '../src/metrics/ops-server.js';
import { createMetrics } from '../src/metrics/registry.js';
import { queueClusterReadings } from './cluster-readings.js';
import { workerReadiness, type WorkerLife } from './readiness.js';
import type { QueueSession } from './sessions.js';

export interface WorkerOps {
  /** For the engine context; unset when no listener was asked for (nothing is counted then). */
  observer: EngineObserver | undefined;
  /** Set by the command as the worker starts and stops: /readyz reads it. */
  life: WorkerLife;
  /** `http://host:port` of the listener, or null. */
  url: string | null;
  close(): Promise<void>;
}

export async function startWorkerOps(session: QueueSession, options: Pick<Options, 'engine' | 'ops'>, logger: Logger): Promise<WorkerOps> {
  const life: WorkerLife = { started: false, closing: false };
  if (options.ops.metricsPort === undefined) return { observer: undefined, life, url: null, close: async () => {} };
  const metrics = createMetrics({ quotaCalls: options.ops.quotaCalls, cluster: queueClusterReadings(session, options.engine), logger });
  const server = await startOpsServer({
    host: options.ops.metricsHost,
    port: options.ops.metricsPort,
    metrics,
    readiness: workerReadiness(session.redis, options.engine.prefix, life),
    health: { role: 'worker', pid: process.pid },
    logger,
  });
  return { observer: metrics.observer, life, url: server.url, close: () => server.close() };
}
