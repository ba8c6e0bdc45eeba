/**
 * Gauges of shared state (queues, batches, workers), read when Prometheus scrapes, not
 * kept up to date in between: nothing runs when nobody asks. Every process that has a
 * registry exports the same cluster-wide values, so dashboards and alerts take max()
 * over instances, never sum().
 *
 * /metrics answers anyone who can reach it, so a reading is not made for every request:
 * each reading serves the scrapes of the next READINGS_MAX_AGE_MS (5 s) from its start,
 * and scrapes that come while one is under way share it. A value is at most that old
 * (Prometheus scrapes every 15 s: normally fresh), and Redis or the store is read at
 * most once per gauge in that time, however often /metrics is asked.
 *
 * A reading that fails or takes too long (Redis down) does not fail the scrape: that
 * gauge is left without a value for this scrape (its series vanish, and an alert on
 * `absent()` can see it) and riskscreen_metrics_collect_errors_total counts it.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { BATCH_STATUSES } from '../engine/batch.js';
import type { BilledTotals } from '../engine/store.js';

/** What the runner can read for the gauges; a process leaves out what it cannot read (the local engine has no queues). */
export interface ClusterReadings {
  /** Jobs per queue name and BullMQ state (`waiting`, `active`, `delayed`, `failed`, ...). */
  queueJobs?(): Promise<Record<string, Record<string, number>>>;
  /** Batches by status, and how many of them are stuck (see batchesRead for the bound). */
  batches?(): Promise<{ byStatus: Partial<Record<string, number>>; stuck: number }>;
  /** Worker processes whose heartbeat is alive. */
  workersAlive?(): Promise<number>;
  /** The store's running totals of billed and maybe-billed calls per API (BatchStore.billedTotals). */
  billedTotals?(): Promise<BilledTotals>;
}

/** One reading may take this long; past it the scrape goes on without it. */
export const COLLECT_TIMEOUT_MS = 3_000;
/** A reading that succeeded serves the scrapes of this long from its start. */
export const READINGS_MAX_AGE_MS = 5_000;

export interface ClusterGaugeSettings {
  /** Where failed readings are logged (once per outage). */
  logger?: Logger | null;
  /** COLLECT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** READINGS_MAX_AGE_MS; 0: every scrape reads (those under way together still share one reading). */
  maxAgeMs?: number;
}

export function registerClusterGauges(registry: Registry, readings: ClusterReadings, settings: ClusterGaugeSettings = {}): void {
  const { logger = null, timeoutMs = COLLECT_TIMEOUT_MS, maxAgeMs = READINGS_MAX_AGE_MS } = settings;
  const registers = [registry];
  /** Gauges whose last reading failed: each outage is logged once, and its end. */
  const failing = new Set<string>();
  /** The readings of the scrape under way: the error counter (registered last, so collected last) waits for them. */
  const inflight = new Set<Promise<void>>();
  /** Clears the gauge, then fills it from `read` within the deadline; a failure is counted and leaves it without a value. */
  const collect = <T>(what: string, read: () => Promise<T>, apply: (value: T) => void, reset: () => void): Promise<void> => {
    const reading = fill(what, read, apply, reset);
    inflight.add(reading);
    return reading.finally(() => inflight.delete(reading));
  };
  const fill = async <T>(what: string, read: () => Promise<T>, apply: (value: T) => void, reset: () => void): Promise<void> => {
    reset();
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      apply(value);
      if (failing.delete(what)) logger?.info({ gauge: what }, 'a metrics reading works again');
    } catch (err) {
      errors.inc();
      // Once per outage, not at every scrape.
      if (!failing.has(what)) logger?.warn({ gauge: what, err: { message: (err as Error).message } }, 'a metrics reading failed; the gauge is left out of the scrapes until it works again');
      failing.add(what);
    } finally {
      clearTimeout(timer);
    }
  };

  const kept = { giveUpMs: timeoutMs };
  const queueJobs = readings.queueJobs && keptReading(readings.queueJobs, maxAgeMs, kept);
  const workersAlive = readings.workersAlive && keptReading(readings.workersAlive, maxAgeMs, kept);
  if (queueJobs) {
    const gauge: Gauge<'queue' | 'state'> = new Gauge({
      name: 'riskscreen_queue_jobs',
      help: 'Jobs in each BullMQ queue by state (waiting, active, delayed, prioritized, failed, completed, paused, waiting-children), read from Redis at the scrape.',
      labelNames: ['queue', 'state'] as const,
      registers,
      collect: () =>
        collect(
          'riskscreen_queue_jobs',
          queueJobs,
          (byQueue) => {
            for (const [queue, states] of Object.entries(byQueue)) for (const [state, n] of Object.entries(states)) gauge.labels(queue, state).set(n);
          },
          () => gauge.reset(),
        ),
    });
  }
  if (readings.batches) {
    // One reading for both of its gauges.
    const read = keptReading(readings.batches, maxAgeMs, kept);
    const byStatus: Gauge<'status'> = new Gauge({
      name: 'riskscreen_batches',
      help: 'Batches by status among the newest 1,000, read at the scrape.',
      labelNames: ['status'] as const,
      registers,
      collect: () =>
        collect(
          'riskscreen_batches',
          read,
          (batches) => {
            for (const status of BATCH_STATUSES) byStatus.labels(status).set(batches.byStatus[status] ?? 0);
          },
          () => byStatus.reset(),
        ),
    });
    const stuck = new Gauge({
      name: 'riskscreen_batches_stuck',
      help: 'Batches among the newest 1,000 that have not ended and made no progress for RISKSCREEN_STUCK_AFTER (what riskscreen status flags STUCK).',
      registers,
      collect: () =>
        collect(
          'riskscreen_batches_stuck',
          read,
          (batches) => stuck.set(batches.stuck),
          () => unset(stuck),
        ),
    });
  }
  if (workersAlive) {
    const gauge = new Gauge({
      name: 'riskscreen_workers_alive',
      help: 'riskscreen worker processes (and web processes working batches) whose heartbeat in Redis is alive.',
      registers,
      collect: () =>
        collect(
          'riskscreen_workers_alive',
          workersAlive,
          (n) => gauge.set(n),
          () => unset(gauge),
        ),
    });
  }
  if (readings.billedTotals) {
    // Gauges, not counters: a total kept in the store, the same in every process that
    // reads it (take max(), never sum()), not what this process counted since it started.
    const read = keptReading(readings.billedTotals, maxAgeMs, kept);
    const totalGauge = (name: string, help: string, field: 'billed' | 'maybeBilled') => {
      const gauge: Gauge<'api'> = new Gauge({
        name,
        help,
        labelNames: ['api'] as const,
        registers,
        collect: () =>
          collect(
            name,
            read,
            (totals) => {
              for (const [api, total] of Object.entries(totals)) gauge.labels(api).set(total[field]);
            },
            () => gauge.reset(),
          ),
      });
    };
    totalGauge(
      'riskscreen_juhe_recorded_billed_calls',
      'Billed calls per API recorded by every batch since riskscreen began keeping the total, read from the store (Redis, or the local store) at the scrape; compare with riskscreen_juhe_quota_calls.',
      'billed',
    );
    totalGauge(
      'riskscreen_juhe_recorded_maybe_billed_calls',
      'Calls per API that may have been billed with their answer lost, recorded by every batch since riskscreen began keeping the total, read from the store at the scrape.',
      'maybeBilled',
    );
  }
  // Last: prom-client starts every metric's collect in registration order, so this one
  // sees the gauges' readings under way and counts their failures in the same scrape.
  const errors = new Counter({
    name: 'riskscreen_metrics_collect_errors_total',
    help: 'Gauge readings that failed or timed out at a scrape (Redis down or slow); that gauge had no value in that scrape.',
    registers,
    collect: async () => {
      await Promise.allSettled([...inflight]);
    },
  });
}

/** No value at all (reset() alone leaves an unlabelled gauge at 0, which would read as "no worker alive"). */
function unset(gauge: Gauge): void {
  gauge.reset();
  gauge.remove({});
}

/**
 * A reading shared by whoever asks while it is under way (the batches gauge and the
 * stuck gauge of one scrape, scrapes that come together) and, once it has succeeded,
 * given again to whoever asks within `maxAgeMs` of its start. A failed reading is not
 * kept: the next scrape reads again (a disconnected Redis fails at once, at no cost).
 * A reading under way for `giveUpMs` (the scrape's deadline) is no longer shared: the
 * scrape that waited for it has gone on without it, and one that never ends (a command
 * lost on a connection) must not hold every later scrape.
 */
export function keptReading<T>(
  read: () => Promise<T>,
  maxAgeMs: number,
  options: { giveUpMs?: number; now?: () => number } = {},
): () => Promise<T> {
  const { giveUpMs = COLLECT_TIMEOUT_MS, now = () => performance.now() } = options;
  let pending: { reading: Promise<T>; at: number } | null = null;
  let kept: { value: T; at: number } | null = null;
  return () => {
    const at = now();
    if (pending && at - pending.at < giveUpMs) return pending.reading;
    if (kept && at - kept.at < maxAgeMs) return Promise.resolve(kept.value);
    const reading = read();
    const mine = { reading, at };
    pending = mine;
    reading.then(
      (value) => {
        // A newer reading's value is not overwritten by an older one that ended late.
        if (!kept || kept.at < at) kept = { value, at };
        if (pending === mine) pending = null;
      },
      () => {
        if (pending === mine) pending = null;
      },
    );
    return reading;
  };
}
