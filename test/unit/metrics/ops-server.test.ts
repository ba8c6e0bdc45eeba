/**
 * The worker's ops listener over real HTTP on 127.0.0.1: /metrics in the Prometheus
 * text format, /healthz, /readyz following the readiness it is given (200, or 503 with
 * the reason), 404 elsewhere, 405 for other methods, 413 for a body; it refuses a port
 * in use with a config error naming the option, and closes with a scraper's keep-alive
 * connection still open.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log/logger.js';
import { OpsListenError, startOpsServer, type OpsServer, type Readiness } from '../../../src/metrics/ops-server.js';
import { createMetrics } from '../../../src/metrics/registry.js';

const servers: OpsServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(readiness: () => Promise<Readiness> = async () => ({ ready: true })): Promise<OpsServer> {
  const metrics = createMetrics();
  metrics.observer.cacheHit('status');
  const server = await startOpsServer({ host: '127.0.0.1', port: 0, metrics, readiness, health: { role: 'worker' }, logger: silentLogger });
  servers.push(server);
  return server;
}

describe('the ops listener', () => {
  it('serves /metrics, /healthz and /readyz; 404 elsewhere; a query string is ignored', async () => {
    let readiness: Readiness = { ready: true };
    const server = await start(async () => readiness);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const metrics = await fetch(`${server.url}/metrics?x=1`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await metrics.text();
    expect(text).toContain('# TYPE riskscreen_cache_hits_total counter');
    expect(text).toContain('riskscreen_cache_hits_total{api="status"} 1');

    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, role: 'worker' });

    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    readiness = { ready: false, reason: "Redis did not answer a read of riskscreen's keys within 1000 ms" };
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, reason: "Redis did not answer a read of riskscreen's keys within 1000 ms" });

    const missing = await fetch(`${server.url}/api/batches`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('RISKSCREEN_NOT_FOUND');
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers only GET and HEAD, takes no body', async () => {
    const server = await start();
    const post = await fetch(`${server.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const withBody = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${server.url}/metrics`, { method: 'GET', headers: { 'content-length': '5' } }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      request.on('error', reject);
      request.end('hello');
    });
    expect(withBody).toBe(413);
  });

  it('a readiness check that throws is a 500 with a stable code, and the listener goes on', async () => {
    const server = await start(async () => {
      throw new Error('boom');
    });
    const broken = await fetch(`${server.url}/readyz`);
    expect(broken.status).toBe(500);
    expect(((await broken.json()) as { code: string }).code).toBe('RISKSCREEN_INTERNAL');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('a port in use is a config error that names the option; close() does not wait for a keep-alive scraper', async () => {
    const server = await start();
    const error = await startOpsServer({ host: '127.0.0.1', port: server.port, metrics: createMetrics(), readiness: async () => ({ ready: true }), logger: silentLogger }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(OpsListenError);
    expect(error).toMatchObject({ code: 'RISKSCREEN_METRICS_LISTEN', kind: 'config' });
    expect((error as Error).message).toMatch(/ops\.metricsPort: cannot listen on 127\.0\.0\.1:\d+ .*the port is in use.*--metrics-port/);

    // A keep-alive connection left open, as Prometheus keeps one.
    await fetch(`${server.url}/metrics`, { keepalive: true });
    const started = Date.now();
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
