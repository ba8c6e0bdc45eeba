/**
 * Options of the ops endpoints and metrics, with their defaults. Composed into
 * riskscreen's one options object (src/config/options.ts), which loads and checks them.
 */
import type { ApiId } from '../juhe/catalogue.js';

export interface OpsOptions {
  /**
   * Port of `riskscreen worker`'s ops listener (/metrics, /healthz, /readyz); unset: no
   * listener; 0: a free port, printed at start. Env `RISKSCREEN_METRICS_PORT`, flag `--metrics-port`.
   * (`riskscreen web` serves the same paths on its own port.)
   */
  metricsPort: number | undefined;
  /** Address of that listener: loopback by default; `0.0.0.0` in a container Prometheus scrapes. Env `RISKSCREEN_METRICS_HOST`. */
  metricsHost: string;
  /**
   * Billed calls bought for the Juhe key, per API (`status=1000000,tenure=500000`), in
   * all since riskscreen began recording billed calls (raise it by what you buy).
   * Exported as `riskscreen_juhe_quota_calls`, so an alert can compare it with the
   * store's running total (`riskscreen_juhe_recorded_billed_calls`) and say the quota
   * is nearly spent. Env `RISKSCREEN_QUOTA_CALLS`. APIs left out export nothing.
   */
  quotaCalls: Partial<Record<ApiId, number>>;
}

export const OPS_DEFAULTS: OpsOptions = {
  metricsPort: undefined,
  metricsHost: '127.0.0.1',
  quotaCalls: {},
};
