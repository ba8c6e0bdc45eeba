/**
 * The console's ops endpoints: /healthz, /readyz and /metrics answer without a login
 * (like a load balancer's and Prometheus's probes), /metrics counts the calls the web
 * process makes itself (the local engine; the queue engine's in-process workers) and
 * the batches it can read, and holds no number, key or batch id; /readyz says 503 with
 * the reason once the console is stopping, and on the queue engine pings Redis.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteBatchStore } from '../../../src/engine/sqlite-store.js';
import { samples, total } from '../../support/metrics-text.js';
import { isolatedRedis, type TestRedis } from '../../support/redis.js';
import { login, multipart, startTestConsole, waitForResult, type TestConsole } from '../../support/console.js';

const SAMPLE_TEXT = readFileSync(new URL('../../../examples/sample-list.csv', import.meta.url), 'utf8').split('\n').slice(0, 201).join('\n');
const SAMPLE = Buffer.from(SAMPLE_TEXT);
const FULL_NUMBER = /(?<![\dA-Za-z])1[3-9]\d{9}(?![\dA-Za-z])/;

const consoles: TestConsole[] = [];
const redises: TestRedis[] = [];
afterEach(async () => {
  for (const running of consoles.splice(0)) await running.close().catch(() => undefined);
  for (const redis of redises.splice(0)) await redis.cleanup();
});

describe('the console\'s /healthz, /readyz and /metrics', () => {
  it('local engine: no login needed; the calls of the batches it works, rows by level and batches by status; no number, key or id', async () => {
    const running = await startTestConsole({ env: { RISKSCREEN_QUOTA_CALLS: 'status=100000' } });
    consoles.push(running);
    const { app } = running;
    const health = await app.inject({ url: '/healthz' });
    expect(health.statusCode).toBe(200);
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true, engine: 'local' });
    // The console's security headers are on these answers too, and none is cached.
    expect(String(ready.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    for (const answer of [health, ready]) expect(answer.headers['cache-control']).toBe('no-store');
    for (const url of ['/healthz', '/readyz']) expect((await app.inject({ method: 'HEAD', url })).statusCode, `HEAD ${url}`).toBe(200);

    const operator = await login(app, 'otto');
    const started = await operator.request({ method: 'POST', url: '/api/batches', ...multipart({ name: 'metrics.csv', body: SAMPLE }, { profile: 'basic' }) });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json() as { id: string };
    const done = await waitForResult(operator, id);
    expect(done.status).toBe('done');

    // No cookie, no token.
    const scrape = await app.inject({ url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = scrape.body;
    expect(text).toContain('# TYPE riskscreen_juhe_calls_total counter\n');
    expect(text).toContain('# TYPE riskscreen_batches gauge\n');
    // The local engine has no queues and no heartbeats.
    expect(text).not.toContain('riskscreen_queue_jobs');
    expect(text).not.toContain('riskscreen_workers_alive');
    const got = samples(text);
    const ledger = running.emulator.ledger.stats();
    expect(ledger.billed).toBeGreaterThan(0);
    expect(total(got, 'riskscreen_juhe_billed_calls_total')).toBe(ledger.billed);
    expect(total(got, 'riskscreen_juhe_calls_total')).toBe(ledger.calls);
    expect(total(got, 'riskscreen_result_rows_total')).toBe(200);
    for (const [status, byLevel] of Object.entries(done.result.rows.by_status_and_level as Record<string, Record<string, number>>)) {
      for (const [level, rows] of Object.entries(byLevel)) expect(got.get(`riskscreen_result_rows_total{status="${status}",level="${level}"}`), `${status} ${level}`).toBe(rows);
    }
    expect(got.get('riskscreen_batches{status="done"}')).toBe(1);
    expect(got.get('riskscreen_batches_stuck')).toBe(0);
    expect(got.get('riskscreen_juhe_quota_calls{api="status"}')).toBe(100_000);
    const head = await app.inject({ method: 'HEAD', url: '/metrics' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['cache-control']).toBe('no-store');
    // The running total of billed calls, read from the local store: what the ledger billed.
    expect(total(got, 'riskscreen_juhe_recorded_billed_calls')).toBe(ledger.billed);
    expect(total(got, 'riskscreen_juhe_recorded_billed_calls')).toBe(done.counts.billed);
    expect(got.has('riskscreen_juhe_recorded_billed_calls{api="status"}')).toBe(true);

    expect(text).not.toMatch(FULL_NUMBER);
    for (const secret of [running.options.juhe.key!, running.options.juhe.openid!, id]) expect(text).not.toContain(secret);
    // A scrape is not an audited or logged request at info level.
    expect(running.logs().some((line) => line.path === '/metrics' && line.level === 30)).toBe(false);
    // As on the worker's listener: GET and HEAD only, 405 with Allow (not 404), before any body is read
    // (logged at info level, as any refused request).
    for (const url of ['/metrics', '/healthz', '/readyz']) {
      for (const method of ['POST', 'PUT', 'DELETE'] as const) {
        const refused = await app.inject({ method, url, payload: { a: 1 } });
        expect(refused.statusCode, `${method} ${url}`).toBe(405);
        expect(refused.headers.allow).toBe('GET, HEAD');
        expect(refused.headers['cache-control']).toBe('no-store');
        expect(refused.json()).toMatchObject({ code: 'RISKSCREEN_METHOD' });
      }
    }

    // A store that cannot be read (a disk error) is not ready, with the reason in plain words.
    const failing = vi.spyOn(SqliteBatchStore.prototype, 'list').mockRejectedValueOnce(new Error('SQLITE_IOERR: disk I/O error'));
    const unreadable = await app.inject({ url: '/readyz' });
    expect(failing).toHaveBeenCalledWith(1);
    failing.mockRestore();
    expect(unreadable.statusCode).toBe(503);
    expect(unreadable.json()).toEqual({ ready: false, engine: 'local', reason: 'the local store in the data dir cannot be read (see the log)' });

    await running.engine.close();
    const stopping = await app.inject({ url: '/readyz' });
    expect(stopping.statusCode).toBe(503);
    expect(stopping.json()).toEqual({ ready: false, engine: 'local', reason: 'the console is stopping' });
    await running.server.close();
    await running.emulator.close();
    consoles.splice(consoles.indexOf(running), 1);
  });

  it('queue engine: ready while Redis answers; the queue, batch and worker gauges', async () => {
    const redis = await isolatedRedis();
    redises.push(redis);
    const running = await startTestConsole({ env: { REDIS_URL: redis.url, RISKSCREEN_PREFIX: redis.prefix, RISKSCREEN_SHUTDOWN_TIMEOUT_MS: '1000' } });
    consoles.push(running);
    const ready = await running.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true, engine: 'queue' });
    // The console's own workers beat once started (a reading serves 5 s: one made before
    // the first beat shows 0 until then).
    let got = new Map<string, number>();
    for (let i = 0; i < 150 && !got.get('riskscreen_workers_alive'); i++) {
      got = samples((await running.app.inject({ url: '/metrics' })).body);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(got.get('riskscreen_workers_alive')).toBe(1);
    expect(got.get('riskscreen_queue_jobs{queue="api-status",state="waiting"}')).toBe(0);
    expect(got.get('riskscreen_batches{status="done"}')).toBe(0);
    expect(got.get('riskscreen_metrics_collect_errors_total')).toBe(0);
  });
});
