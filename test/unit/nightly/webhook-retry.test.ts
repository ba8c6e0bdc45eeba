import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runWebhookDelivery } from '../../../jobs/webhook-delivery.js';
import type { NightlyContext, WebhookJobData } from '../../../jobs/nightly-context.js';
import { GiveUp, RetryLater } from '../../../src/engine/control.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { NightlyStore, WebhookAttemptRecord } from '../../../src/nightly/nightly-store.js';
import { NIGHTLY_DEFAULTS, WEBHOOK_RETRY_CAP_MS, webhookRetryDelay, type NightlyOptions } from '../../../src/nightly/options.js';
import { createWebhookAgent } from '../../../src/nightly/webhook-send.js';
import { verifySignature } from '../../../src/nightly/webhook-signature.js';
import { startScriptedServer, type ReceivedRequest, type ScriptedServer } from '../../support/http-server.js';

const SECRET = 'schedule-secret-0123456789';
const OPTIONS: NightlyOptions = { webhookTimeoutMs: 500, webhookRetryMs: 100, webhookGiveUpMs: 10_000 };

describe('webhookRetryDelay', () => {
  it('doubles from the first wait: 10 s, 20 s, 40 s, ... up to an hour', () => {
    const first = NIGHTLY_DEFAULTS.webhookRetryMs;
    expect(first).toBe(10_000);
    expect([1, 2, 3, 4, 5].map((retry) => webhookRetryDelay(retry, first))).toEqual([10_000, 20_000, 40_000, 80_000, 160_000]);
    expect(webhookRetryDelay(9, first)).toBe(2_560_000);
    expect(webhookRetryDelay(10, first)).toBe(3_600_000);
    expect(webhookRetryDelay(1_000, first)).toBe(3_600_000);
    expect(WEBHOOK_RETRY_CAP_MS).toBe(3_600_000);
  });

  it('treats retry 0 (or less) as the first', () => {
    expect(webhookRetryDelay(0, 10_000)).toBe(10_000);
    expect(webhookRetryDelay(-3, 10_000)).toBe(10_000);
  });

  it('never exceeds the cap, even from a first wait above it', () => {
    expect(webhookRetryDelay(1, 7_200_000)).toBe(3_600_000);
  });
});

const servers: ScriptedServer[] = [];
let agent: Agent;
beforeAll(() => {
  agent = createWebhookAgent({ timeoutMs: OPTIONS.webhookTimeoutMs });
});
afterAll(async () => {
  await agent.close();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** A receiver on 127.0.0.1 answering request n (0-based) with `script[n]` (the last one again after that). */
async function receiver(script: Array<(req: IncomingMessage, res: ServerResponse) => void>): Promise<{ url: string; received: ReceivedRequest[] }> {
  const server = await startScriptedServer();
  servers.push(server);
  server.handle((req, res) => script[Math.min(server.received.length - 1, script.length - 1)]!(req, res));
  return { url: `${server.url}/hooks/riskscreen?token=s3cret`, received: server.received };
}

const answer =
  (status: number, body = '') =>
  (_req: IncomingMessage, res: ServerResponse) =>
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);

/** A NightlyContext with only what a delivery uses: the secret, the attempt records, options, logger and dispatcher. */
function context(secrets: Record<string, string> = { 'schedule:nightly': SECRET }) {
  const records: WebhookAttemptRecord[] = [];
  const asked: string[] = [];
  const nightly = {
    async secret(owner: string): Promise<string | null> {
      asked.push(owner);
      return secrets[owner] ?? null;
    },
    async recordAttempt(record: WebhookAttemptRecord): Promise<void> {
      records.push(record);
    },
  };
  const ctx = { nightly: nightly as unknown as NightlyStore, options: OPTIONS, logger: silentLogger, dispatcher: agent } as unknown as NightlyContext;
  return { ctx, records, asked };
}

function job(url: string, overrides: Partial<WebhookJobData> = {}): WebhookJobData {
  return {
    deliveryId: 'b20261206-180001-k3zq.ended',
    event: 'batch.done',
    url,
    secretOwner: 'schedule:nightly',
    body: JSON.stringify({ event: 'batch.done', delivery_id: 'b20261206-180001-k3zq.ended' }),
    ...overrides,
  };
}

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`resolved with ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('runWebhookDelivery', () => {
  it('a 204 resolves, with the body sent signed, and one ok record without the URL’s query string', async () => {
    const server = await receiver([answer(204)]);
    const { ctx, records, asked } = context();
    const data = job(server.url);
    expect(await runWebhookDelivery(ctx, data, { attempt: 1, firstAt: Date.now() })).toEqual({ status: 204, attempt: 1 });
    expect(asked).toEqual(['schedule:nightly']);
    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request?.body).toBe(data.body);
    expect(request?.headers).toMatchObject({ 'x-riskscreen-event': 'batch.done', 'x-riskscreen-delivery': data.deliveryId, 'x-riskscreen-attempt': '1' });
    expect(verifySignature(request?.headers['x-riskscreen-signature'] as string, data.body, SECRET).ok).toBe(true);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      delivery: data.deliveryId,
      event: 'batch.done',
      url: server.url.replace(/\?.*/, ''),
      attempt: 1,
      ok: true,
      status: 204,
      error: null,
      ms: expect.any(Number),
      nextAttempt: null,
      gaveUp: false,
    });
    expect(JSON.stringify(records)).not.toContain('s3cret');
    expect(JSON.stringify(records)).not.toContain(SECRET);
    expect(Math.abs(Date.parse(records[0]!.at) - Date.now())).toBeLessThan(5_000);
  });

  it('a 500 throws RetryLater: 100 ms after attempt 1, 200 ms after attempt 2, each recorded with its next attempt', async () => {
    const server = await receiver([answer(500, 'database down'), answer(500, 'still down'), answer(200, 'ok')]);
    const { ctx, records } = context();
    const data = job(server.url);
    const firstAt = Date.now();

    const before1 = Date.now();
    const first = await thrown(runWebhookDelivery(ctx, data, { attempt: 1, firstAt }));
    expect(first).toBeInstanceOf(RetryLater);
    expect((first as RetryLater).delayMs).toBe(100);
    expect((first as RetryLater).message).toBe(`webhook to ${server.url.replace(/\?.*/, '')}: HTTP 500`);

    const before2 = Date.now();
    const second = await thrown(runWebhookDelivery(ctx, data, { attempt: 2, firstAt }));
    expect(second).toBeInstanceOf(RetryLater);
    expect((second as RetryLater).delayMs).toBe(200);

    expect(await runWebhookDelivery(ctx, data, { attempt: 3, firstAt })).toEqual({ status: 200, attempt: 3 });

    expect(records.map((r) => [r.attempt, r.ok, r.status, r.error, r.gaveUp])).toEqual([
      [1, false, 500, 'HTTP 500', false],
      [2, false, 500, 'HTTP 500', false],
      [3, true, 200, null, false],
    ]);
    const next1 = Date.parse(records[0]!.nextAttempt!);
    const next2 = Date.parse(records[1]!.nextAttempt!);
    expect(next1).toBeGreaterThanOrEqual(before1 + 100);
    expect(next1).toBeLessThan(before1 + 100 + 2_000);
    expect(next2).toBeGreaterThanOrEqual(before2 + 200);
    expect(next2).toBeLessThan(before2 + 200 + 2_000);
    expect(records[2]!.nextAttempt).toBeNull();
    // Every attempt sends the same bytes, signed anew, with its number.
    expect(new Set(server.received.map((r) => r.body))).toEqual(new Set([data.body]));
    expect(server.received.map((r) => r.headers['x-riskscreen-attempt'])).toEqual(['1', '2', '3']);
  });

  it('a receiver that cannot be reached is retried the same way', async () => {
    const server = await receiver([answer(204)]);
    await servers.pop()!.close();
    const { ctx, records } = context();
    const error = await thrown(runWebhookDelivery(ctx, job(server.url), { attempt: 1, firstAt: Date.now() }));
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).delayMs).toBe(100);
    expect(records[0]).toMatchObject({ ok: false, status: null, error: 'connection refused', gaveUp: false, nextAttempt: expect.any(String) });
  });

  it('past the give-up time, a failed attempt throws GiveUp and is recorded as given up', async () => {
    const server = await receiver([answer(503, 'maintenance')]);
    const { ctx, records } = context();
    const error = await thrown(runWebhookDelivery(ctx, job(server.url), { attempt: 12, firstAt: Date.now() - 60_000 }));
    expect(error).toBeInstanceOf(GiveUp);
    expect(error).not.toBeInstanceOf(RetryLater);
    expect((error as GiveUp).message).toBe(`webhook to ${server.url.replace(/\?.*/, '')} given up after 12 attempts: HTTP 503`);
    expect(server.received).toHaveLength(1); // the last attempt was still made
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ attempt: 12, ok: false, status: 503, error: 'HTTP 503', nextAttempt: null, gaveUp: true });
  });

  it('gives up when the next attempt would come after the give-up time, not only once it has passed', async () => {
    const server = await receiver([answer(500)]);
    const { ctx, records } = context();
    // 9.95 s after the first attempt, a retry in 100 ms would be at 10.05 s: past 10 s.
    const error = await thrown(runWebhookDelivery(ctx, job(server.url), { attempt: 1, firstAt: Date.now() - 9_950 }));
    expect(error).toBeInstanceOf(GiveUp);
    expect(records[0]).toMatchObject({ gaveUp: true, nextAttempt: null });
  });

  it('past the give-up time, an attempt that succeeds is still delivered', async () => {
    const server = await receiver([answer(202)]);
    const { ctx, records } = context();
    expect(await runWebhookDelivery(ctx, job(server.url), { attempt: 30, firstAt: Date.now() - 86_400_000 })).toEqual({ status: 202, attempt: 30 });
    expect(records[0]).toMatchObject({ ok: true, gaveUp: false });
  });

  it('without a kept secret, gives up at once and sends nothing unsigned', async () => {
    const server = await receiver([answer(204)]);
    const { ctx, records, asked } = context({});
    const error = await thrown(runWebhookDelivery(ctx, job(server.url, { secretOwner: 'schedule:removed' }), { attempt: 1, firstAt: Date.now() }));
    expect(error).toBeInstanceOf(GiveUp);
    expect((error as GiveUp).message).toMatch(/^no webhook secret is kept for schedule:removed .*not sent unsigned$/);
    expect(asked).toEqual(['schedule:removed']);
    expect(server.received).toHaveLength(0);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ attempt: 1, ok: false, status: null, ms: 0, nextAttempt: null, gaveUp: true, error: expect.stringMatching(/no webhook secret/) });
  });
});
