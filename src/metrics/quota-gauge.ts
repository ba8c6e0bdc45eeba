/**
 * The billed calls bought per API (ops.quotaCalls): every call bought for the key since
 * riskscreen began recording billed calls, raised by what is bought since. A gauge
 * beside the store's running total of billed calls
 * (riskscreen_juhe_recorded_billed_calls, cluster-gauges.ts), so an alert can say when
 * that total nears it: Juhe sells packages of calls spent over time, not a monthly
 * allowance, and does not tell the quota through its API.
 */
import { Gauge, type Registry } from 'prom-client';
import type { ApiId } from '../juhe/catalogue.js';

export function registerQuotaGauge(registry: Registry, quotaCalls: Partial<Record<ApiId, number>>): void {
  const gauge = new Gauge({
    name: 'riskscreen_juhe_quota_calls',
    help: 'Billed calls bought for the Juhe key per API since riskscreen began recording billed calls, as configured (RISKSCREEN_QUOTA_CALLS); absent for APIs not configured.',
    labelNames: ['api'] as const,
    registers: [registry],
  });
  for (const [api, calls] of Object.entries(quotaCalls)) if (calls !== undefined) gauge.labels(api).set(calls);
}
