#!/usr/bin/env node
// The container's HEALTHCHECK: GET a readiness URL and exit 0 on a 2xx answer, 1 on
// anything else (Docker's meaning of the two). The slim image has no curl or wget, and
// this needs nothing but Node: no dependency, nothing of riskscreen loaded, so it stays
// cheap at one run every few seconds. The URL: the first argument, else
// RISKSCREEN_HEALTH_URL, else the worker's metrics port (RISKSCREEN_METRICS_PORT, 9464).
const TIMEOUT_MS = 3_000;
const url = process.argv[2] || process.env.RISKSCREEN_HEALTH_URL || `http://127.0.0.1:${process.env.RISKSCREEN_METRICS_PORT || 9464}/readyz`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
  // The body is not needed; reading it to the end would only cost time.
  await response.body?.cancel();
  if (response.status >= 200 && response.status < 300) process.exit(0);
  process.stderr.write(`riskscreen healthcheck: ${url} answered ${response.status}\n`);
} catch (err) {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
  process.stderr.write(`riskscreen healthcheck: ${url}: ${err instanceof Error ? err.message : String(err)}${cause ? ` (${cause})` : ''}\n`);
}
process.exit(1);
