/**
 * One metrics registry per process (never prom-client's global one, so tests can build
 * several): the process's own metrics (CPU, memory, event loop lag, GC, with
 * prom-client's standard names: `process_*`, `nodejs_*`), the engine's counters and
 * histograms (engine-metrics.ts) with the observer that feeds them, the quota gauge,
 * and, where the process can read them, the gauges of shared state (cluster-gauges.ts).
 * docs/metrics.md lists every metric.
 */
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { EngineObserver } from '../engine/observer.js';
import type { ApiId } from '../juhe/catalogue.js';
import { registerClusterGauges, type ClusterReadings } from './cluster-gauges.js';
import { registerEngineMetrics } from './engine-metrics.js';
import { registerQuotaGauge } from './quota-gauge.js';

export interface MetricsSettings {
  /** ops.quotaCalls: the billed calls bought per API. */
  quotaCalls?: Partial<Record<ApiId, number>>;
  /** Shared state this process can read at a scrape; none: no such gauges. */
  cluster?: ClusterReadings;
  /** Where failed readings are logged (once per outage). */
  logger?: Logger;
  /** How long a gauge's reading may take (COLLECT_TIMEOUT_MS; tests make it short). */
  collectTimeoutMs?: number;
  /** How long a reading serves later scrapes (READINGS_MAX_AGE_MS, 5 s; tests make it 0). */
  readingsMaxAgeMs?: number;
}

export interface Metrics {
  registry: Registry;
  /** Give it to the engine (EngineContext.observe). */
  observer: EngineObserver;
  /** The Prometheus text exposition (version 0.0.4) of every metric. */
  exposition(): Promise<string>;
  /** Its content type, `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
}

export function createMetrics(settings: MetricsSettings = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const observer = registerEngineMetrics(registry);
  registerQuotaGauge(registry, settings.quotaCalls ?? {});
  // Always registered, so the counter of failed readings is there even before a gauge is added.
  registerClusterGauges(registry, settings.cluster ?? {}, {
    logger: settings.logger?.child({ component: 'metrics' }) ?? null,
    ...(settings.collectTimeoutMs !== undefined ? { timeoutMs: settings.collectTimeoutMs } : {}),
    ...(settings.readingsMaxAgeMs !== undefined ? { maxAgeMs: settings.readingsMaxAgeMs } : {}),
  });
  return {
    registry,
    observer,
    exposition: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
