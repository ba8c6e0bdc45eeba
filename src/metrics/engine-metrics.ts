/**
 * The engine's counters and histograms, fed by job code through the EngineObserver
 * (src/engine/observer.ts): what this process asked the Juhe service, what it was
 * billed, the attempts that could not connect, how long calls and rate-gate waits took,
 * the holds the service asked for, cache hits and result rows written. Each process
 * counts its own; Prometheus sums them.
 *
 * Labels are only `api`, `form`, `code`, `status` and `level`, each from a fixed set:
 * never a number, a key or a batch id (a label value per batch would also make a new
 * series for every batch), and a Juhe code the documents do not list is `other`.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { CallObservation, EngineObserver } from '../engine/observer.js';
import { API_IDS } from '../juhe/catalogue.js';
import { CODE_POLICIES } from '../juhe/error-policy.js';
import { LEVELS_AND_UNSCORED } from '../report/manifest.js';
import { ROW_STATUSES } from '../report/result-row.js';

/** Call latency from a fast emulator (tens of ms) to the client's whole-call timeout (90 s by default). */
export const CALL_SECONDS_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Rate-gate waits: none at a free gate, up to minutes behind a long queue or a 10011 hold. */
export const RATE_WAIT_SECONDS_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The holds the service asks for: whole API (10011), one number (224924), a gateway's HTTP 429. */
const HOLD_CODES = ['10011', '224924', 'http_429'];

/** The codes without a Juhe code (error-code.ts): the API layer's failures. */
const FAILURE_CODES = new Set(['juhe_transient', 'juhe_aborted', 'juhe_unknown']);

/**
 * The `code` label of a call: the code the batch counts it under (callCodeOf), except
 * that a Juhe code the documents do not list (src/juhe/error-policy.ts) is `other`, so
 * whatever the service sends makes no new series. The batch's errors by code keep the
 * real code. HTTP statuses (`http_502`) are three digits: a bounded set as they are.
 */
export function metricCodeOf(code: string): string {
  if (/^-?\d+$/.test(code)) return CODE_POLICIES.has(Number(code)) ? code : 'other';
  return /^http_\d{3}$/.test(code) || FAILURE_CODES.has(code) ? code : 'other';
}

export function registerEngineMetrics(registry: Registry): EngineObserver {
  const registers = [registry];
  /** A counter by API, every API's series there from 0. */
  const perApi = (name: string, help: string): Counter<'api'> => {
    const counter = new Counter({ name, help, labelNames: ['api'] as const, registers });
    for (const api of API_IDS) counter.labels(api).inc(0);
    return counter;
  };
  /** A histogram by API, every API's series there from 0. */
  const perApiHistogram = (name: string, help: string, buckets: number[]): Histogram<'api'> => {
    const histogram = new Histogram({ name, help, labelNames: ['api'] as const, buckets, registers });
    for (const api of API_IDS) histogram.zero({ api });
    return histogram;
  };
  const calls = new Counter({
    name: 'riskscreen_juhe_calls_total',
    help: 'Calls that left for the Juhe service and ended (each retry is a call; an attempt that could not connect is not: riskscreen_juhe_connect_failures_total), by API, form sent and code: the Juhe error_code ("0" answered and billed; other for a code the documents do not list), or http_<status>, juhe_transient (connection failed or timed out after sending), juhe_aborted (interrupted at shutdown), juhe_unknown (unreadable answer).',
    labelNames: ['api', 'form', 'code'] as const,
    registers,
  });
  const billed = perApi(
    'riskscreen_juhe_billed_calls_total',
    'Calls the Juhe service billed (error_code 0, including an answer billed whose result could not be read), by API.',
  );
  const maybeBilled = perApi(
    'riskscreen_juhe_maybe_billed_calls_total',
    'Calls that may have been billed and are not counted as billed: the answer was lost (a timeout or reset after the request was sent, an interrupted call, an HTTP 5xx from a gateway, an unreadable 2xx body), by API. Billed plus maybe billed is the most the calls can have cost.',
  );
  const connectFailures = perApi(
    'riskscreen_juhe_connect_failures_total',
    'Attempts that could not connect to the Juhe service (refused, DNS, connect timeout, TLS certificate refused): the request never left, so they are not calls and are not timed; retried like transient failures. By API.',
  );
  const duration = perApiHistogram(
    'riskscreen_juhe_call_duration_seconds',
    'Time from a call leaving to its answer or failure (calls only: not an attempt that could not connect), by API.',
    CALL_SECONDS_BUCKETS,
  );
  const rateWait = perApiHistogram(
    'riskscreen_rate_gate_wait_seconds',
    'How long a call waited at the rate gate for its slot at the API\'s shared calls-per-second (RISKSCREEN_RATES), in all, observed once just before it left (an attempt that then could not connect included), by API.',
    RATE_WAIT_SECONDS_BUCKETS,
  );
  const holds = new Counter({
    name: 'riskscreen_juhe_holds_total',
    help: 'Times the service said slow down, by API and code: 10011 holds the whole API, 224924 one number, http_429 a gateway\'s.',
    labelNames: ['api', 'code'] as const,
    registers,
  });
  const cacheHits = perApi(
    'riskscreen_cache_hits_total',
    'Questions answered from the shared answer cache (no call, nothing billed), by API.',
  );
  const rows = new Counter({
    name: 'riskscreen_result_rows_total',
    help: 'Rows written to batches\' result files, by row status (screened, partial, invalid, not_screened: the batch\'s rowsScreened is status="screened") and risk level (unscored: rows without a score).',
    labelNames: ['status', 'level'] as const,
    registers,
  });

  // Every series that can be known in advance starts at 0, so rate() and increase() see its first rise.
  for (const api of API_IDS) for (const code of HOLD_CODES) holds.labels(api, code).inc(0);
  for (const status of ROW_STATUSES) for (const level of LEVELS_AND_UNSCORED) rows.labels(status, level).inc(0);

  return {
    called(call: CallObservation) {
      calls.labels(call.api, call.form, metricCodeOf(call.code)).inc();
      if (call.billed) billed.labels(call.api).inc();
      // Never both: a billed call is not also "maybe" billed.
      else if (call.maybeBilled) maybeBilled.labels(call.api).inc();
      duration.labels(call.api).observe(call.seconds);
    },
    connectFailed(api) {
      connectFailures.labels(api).inc();
    },
    rateWait(api, seconds) {
      rateWait.labels(api).observe(seconds);
    },
    hold(api, code) {
      holds.labels(api, metricCodeOf(code)).inc();
    },
    cacheHit(api) {
      cacheHits.labels(api).inc();
    },
    rowsReported(byStatusAndLevel) {
      for (const [status, byLevel] of Object.entries(byStatusAndLevel)) {
        for (const [level, count] of Object.entries(byLevel)) if (count > 0) rows.labels(status, level).inc(count);
      }
    },
  };
}
