/**
 * The console on the queue engine (a real Redis, each test under its own prefix):
 * batches and sessions live in Redis and survive a restart of the web process, and the
 * admins' queue dashboard (bull-board) is behind the console's login, read-only, and
 * shows no phone number in any job.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isolatedRedis, type TestRedis } from '../../support/redis.js';
import { login, multipart, startTestConsole, waitForResult, type TestConsole } from '../../support/console.js';

/** The sample list's first 400 rows: enough to see the engine work, quick to screen. */
const SAMPLE = Buffer.from(readFileSync(new URL('../../../examples/sample-list.csv', import.meta.url), 'utf8').split('\n').slice(0, 401).join('\n'));
const FULL_NUMBER = /(?<![\dA-Za-z])1[3-9]\d{9}(?![\dA-Za-z])/;

let redis: TestRedis;
const consoles: TestConsole[] = [];

beforeEach(async () => {
  redis = await isolatedRedis();
});

afterEach(async () => {
  for (const running of consoles.splice(0)) await running.close().catch(() => undefined);
  await redis.cleanup();
});

async function start(env: Record<string, string> = {}, work = true): Promise<TestConsole> {
  const running = await startTestConsole({ env: { REDIS_URL: redis.url, RISKSCREEN_PREFIX: redis.prefix, RISKSCREEN_SHUTDOWN_TIMEOUT_MS: '1000', ...env }, work });
  consoles.push(running);
  return running;
}

describe('the console on the queue engine', () => {
  it('a batch is worked by the workers in the web process, and it and the session survive a restart of the web process', async () => {
    const first = await start();
    const operator = await login(first.app, 'otto');
    expect((await operator.request({ url: '/api/session' })).json()).toMatchObject({ engine: { kind: 'queue', durable: true } });
    const started = await operator.request({ method: 'POST', url: '/api/batches', ...multipart({ name: 'queue.csv', body: SAMPLE }, { profile: 'basic' }) });
    expect(started.statusCode, started.body).toBe(201);
    const { id } = started.json();
    const done = await waitForResult(operator, id);
    expect(done).toMatchObject({ status: 'done', submittedBy: 'otto', result: { rows: { total: 400 } } });
    await first.close();
    consoles.splice(consoles.indexOf(first), 1);

    const second = await start();
    // The same cookie: the session is in Redis, not in the process that made it.
    const again = await second.app.inject({ url: '/api/batches', headers: { cookie: operator.cookie } });
    expect(again.statusCode).toBe(200);
    expect(again.json().batches.map((batch: { id: string }) => batch.id)).toContain(id);
    const file = await second.app.inject({ url: `/api/batches/${id}/files/result`, headers: { cookie: operator.cookie } });
    expect(file.statusCode).toBe(200);
    // A logout in one process ends the session for every process.
    await second.app.inject({ method: 'POST', url: '/api/logout', headers: { cookie: operator.cookie, 'x-csrf-token': operator.csrf } });
    expect((await second.app.inject({ url: '/api/batches', headers: { cookie: operator.cookie } })).statusCode).toBe(401);
  });

  it('the queue dashboard: admins only, read-only, its own style rule, and no phone number in any job it shows', async () => {
    // Slow rates: the API jobs wait in their queues, where the dashboard shows them.
    const running = await start({ RISKSCREEN_RATES: 'status=1,tenure=1,tenureCmcc=1,resale=1,callDuration=1' });
    const operator = await login(running.app, 'otto');
    const admin = await login(running.app, 'ada');
    const started = await operator.request({ method: 'POST', url: '/api/batches', ...multipart({ name: 'waiting.csv', body: SAMPLE }, { profile: 'basic' }) });
    const { id } = started.json();
    // Wait until the list is read and its questions queued.
    for (let i = 0; i < 100; i++) {
      const detail = (await operator.request({ url: `/api/batches/${id}` })).json();
      if (detail.counts.ingestDone) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await operator.request({ url: '/admin/queues' })).statusCode).toBe(403);
    expect((await operator.request({ url: '/admin/queues/api/queues' })).statusCode).toBe(403);

    const page = await admin.request({ url: '/admin/queues' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(String(page.headers['content-security-policy'])).toContain("style-src 'self' 'unsafe-inline'");
    expect(String(page.headers['content-security-policy'])).toContain("frame-ancestors 'none'");

    const jobs = await admin.request({ url: '/admin/queues/api/queues?activeQueue=api-status&status=waiting&page=1&jobsPerPage=50' });
    expect(jobs.statusCode, jobs.body.slice(0, 300)).toBe(200);
    const queue = (jobs.json().queues as Array<{ name: string; jobs: Array<{ data: Record<string, unknown> }> }>).find((q) => q.name === 'api-status');
    expect(queue?.jobs.length).toBeGreaterThan(0);
    const data = queue!.jobs[0]!.data;
    expect(data).toMatchObject({ batchId: id, api: 'status', sealed: '[sealed]' });
    expect(String(data.hash)).toMatch(/…$/);
    expect(jobs.body).not.toMatch(FULL_NUMBER);

    const job = await admin.request({ url: `/admin/queues/api/queues/api-status/${encodeURIComponent(String((queue!.jobs[0] as { id?: string }).id))}` });
    expect(job.body).not.toMatch(FULL_NUMBER);
    const logs = await admin.request({ url: `/admin/queues/api/queues/api-status/${encodeURIComponent(String((queue!.jobs[0] as { id?: string }).id))}/logs` });
    expect(logs.statusCode).toBe(403);
    const pause = await admin.request({ method: 'PUT', url: '/admin/queues/api/queues/api-status/pause' });
    expect(pause.statusCode).toBe(403);

    await operator.request({ method: 'POST', url: `/api/batches/${id}/cancel` });
  });
});
