/**
 * What the nightly tests share: the engine harness (emulator, isolated Redis prefix,
 * `riskscreen worker` processes), the command line run in this process with the
 * harness's environment, runners in this process (for crash points), an independent
 * webhook receiver (the docs' example verifier, on 127.0.0.1), and waiting.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../../../src/shared/redis-url.js';
import { verifyRiskscreenSignature } from '../../../docs/examples/verify-webhook.mjs';
import { main } from '../../../src/cli/main.js';
import { silentLogger } from '../../../src/log/logger.js';
import { NightlyStore } from '../../../src/nightly/nightly-store.js';
import type { WebhookPayload } from '../../../src/nightly/webhook-event.js';
import { startBullmqRunner, type RunningWorkers } from '../../../workers/bullmq-runner.js';
import { connectRedis } from '../../../workers/connection.js';
import { buildEngineParts } from '../../../workers/engine-parts.js';
import type { NightlyContext } from '../../../jobs/nightly-context.js';
import { captureIo } from '../../support/capture-io.js';
import { startHarness, type EngineHarness } from '../engine/harness.js';

export const SECRET = 'a-webhook-secret-for-tests-0123456789';

export interface NightlyHarness extends EngineHarness {
  inbox: string;
  outbox: string;
  store: NightlyStore;
  /** `riskscreen <args>` in this process, with the harness's environment. */
  cli(args: string[]): Promise<{ code: number; out: string; err: string }>;
  /** BullMQ workers in this process (closed with the harness). */
  startRunner(options?: { faults?: NightlyContext['faults']; only?: string[] }): TestRunner;
}

export interface TestRunner {
  runner: RunningWorkers;
  /**
   * As if its process died: every Redis connection of its workers is cut, so nothing of
   * it is heard again (no lock renewed, no job finished). Its jobs come back elsewhere
   * once their locks lapse.
   */
  kill(): void;
}

export async function startNightly(env: Record<string, string> = {}, emulator: Parameters<typeof startHarness>[0] = {}): Promise<NightlyHarness> {
  const harness = await startHarness(
    emulator,
    { RISKSCREEN_STALL_CHECK_MS: '2000', RISKSCREEN_WEBHOOK_RETRY_MS: '200', RISKSCREEN_WEBHOOK_TIMEOUT_MS: '1000', RISKSCREEN_WEBHOOK_SECRET: SECRET, ...env },
  );
  const inbox = join(harness.dir, 'inbox');
  const outbox = join(harness.dir, 'outbox');
  mkdirSync(inbox, { recursive: true });
  const runners: RunningWorkers[] = [];
  const close = harness.close.bind(harness);
  return Object.assign(harness, {
    inbox,
    outbox,
    store: new NightlyStore(harness.redis.client, harness.options.engine.prefix),
    async cli(args: string[]) {
      const saved = { ...process.env };
      Object.assign(process.env, harness.env);
      try {
        const io = captureIo();
        const code = await main(args, io);
        return { code, out: io.out(), err: io.err() };
      } finally {
        for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
        Object.assign(process.env, saved);
      }
    },
    startRunner(options: { faults?: NightlyContext['faults']; only?: string[] } = {}): TestRunner {
      const parts = buildEngineParts(harness.options, harness.stores, silentLogger);
      const connections: RedisConnection[] = [];
      const runner = startBullmqRunner({
        context: parts.context,
        queues: harness.queues,
        connect: (name) => {
          const connection = connectRedis(harness.redis.url, silentLogger, name);
          connections.push(connection);
          return connection;
        },
        concurrency: 4,
        logger: silentLogger,
        nightly: harness.options.nightly,
        ...(options.only ? { only: options.only } : {}),
        ...(options.faults ? { nightlyFaults: options.faults } : {}),
      });
      const closeRunner = runner.close.bind(runner);
      runner.close = async (ms) => {
        const result = await closeRunner(ms);
        await parts.client.close();
        return result;
      };
      runners.push(runner);
      return {
        runner,
        kill() {
          runners.splice(runners.indexOf(runner), 1);
          for (const connection of connections) connection.disconnect();
          void parts.client.close();
        },
      };
    },
    async close() {
      await Promise.all(runners.map((runner) => runner.close(1_000).catch(() => undefined)));
      await close();
    },
  });
}

export interface Delivery {
  headers: IncomingMessage['headers'];
  body: string;
  payload: WebhookPayload;
  verified: boolean;
  at: number;
}

export interface Receiver {
  url: string;
  /** Every request, verified or not, in arrival order. */
  deliveries: Delivery[];
  /** How to answer the next requests, in order (then 204): a status, or 'hang' (never answer). */
  script: (number | 'hang')[];
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1 that checks signatures with the docs' example, not with riskscreen's code. */
export async function startReceiver(secret = SECRET): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const script: (number | 'hang')[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      deliveries.push({
        headers: req.headers,
        body,
        payload: JSON.parse(body) as WebhookPayload,
        verified: verifyRiskscreenSignature(req.headers['x-riskscreen-signature'] as string | undefined, raw, secret),
        at: Date.now(),
      });
      const next = script.shift() ?? 204;
      if (next === 'hang') return; // the client times out
      res.writeHead(next).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/riskscreen?token=abc`,
    deliveries,
    script,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
