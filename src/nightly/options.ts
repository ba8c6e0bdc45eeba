/**
 * Options of nightly runs and webhooks, with their defaults. Composed into riskscreen's
 * one options object (src/config/options.ts), which loads and checks them. A schedule's
 * own settings (cron, inbox, outbox...) are not here: they are given once, to
 * `riskscreen schedule add`, and kept with the schedule in Redis.
 */
export interface NightlyOptions {
  /** One webhook attempt may take this long (connect, headers and body). Env `RISKSCREEN_WEBHOOK_TIMEOUT_MS`. */
  webhookTimeoutMs: number;
  /** The first retry of a failed webhook waits this long; each next one twice as long, up to an hour. Env `RISKSCREEN_WEBHOOK_RETRY_MS`. */
  webhookRetryMs: number;
  /** A webhook is retried until this long after its first attempt, then given up (recorded). Env `RISKSCREEN_WEBHOOK_GIVE_UP_MS`. */
  webhookGiveUpMs: number;
}

export const NIGHTLY_DEFAULTS: NightlyOptions = {
  webhookTimeoutMs: 10_000,
  webhookRetryMs: 10_000,
  webhookGiveUpMs: 24 * 3_600_000,
};

/** The longest wait between two webhook attempts. */
export const WEBHOOK_RETRY_CAP_MS = 3_600_000;

/** The wait before retry number `retry` (1 for the first retry): doubling from `firstMs`, capped at an hour. */
export function webhookRetryDelay(retry: number, firstMs: number): number {
  return Math.min(WEBHOOK_RETRY_CAP_MS, firstMs * 2 ** Math.max(0, retry - 1));
}
