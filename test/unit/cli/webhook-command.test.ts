import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyRiskscreenSignature } from '../../../docs/examples/verify-webhook.mjs';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { main } from '../../../src/cli/main.js';
import { runWebhookCommand, WEBHOOK_HELP } from '../../../src/cli/webhook-command.js';
import { captureIo } from '../../support/capture-io.js';
import { startScriptedServer, type ReceivedRequest, type ScriptedServer } from '../../support/http-server.js';

const SECRET = 'receiver-secret-0123456789abcdef';

const servers: ScriptedServer[] = [];
const saved = { ...process.env };

beforeEach(() => {
  // The command reads its options (and main its secret) from the process's environment.
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('JUHE_') || name.startsWith('RISKSCREEN_') || name === 'REDIS_URL') delete process.env[name];
  }
});
afterEach(async () => {
  process.env = { ...saved };
  for (const server of servers.splice(0)) await server.close();
});

async function receiver(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; received: ReceivedRequest[] }> {
  const server = await startScriptedServer();
  servers.push(server);
  server.handle((req, res) => answer(req, res));
  return { url: `${server.url}/hooks/riskscreen`, received: server.received };
}

describe('riskscreen webhook test', () => {
  it('POSTs a signed webhook.test event; a 204 prints "delivered webhook.test", exit 0', async () => {
    const server = await receiver((_req, res) => res.writeHead(204).end());
    const io = captureIo();
    expect(await runWebhookCommand(['test', `${server.url}?token=s3cret`, '--secret', SECRET], io, {})).toBe(EXIT.ok);
    expect(io.out()).toMatch(new RegExp(`^delivered webhook\\.test test\\.[0-9a-f]{12} to ${server.url.replace(/[.?]/g, '\\$&')}: HTTP 204 in \\d+ ms\\n$`));
    expect(io.err()).toBe('');
    expect(io.out()).not.toContain('s3cret');
    expect(io.out()).not.toContain(SECRET);

    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/hooks/riskscreen?token=s3cret');
    expect(request?.headers['x-riskscreen-event']).toBe('webhook.test');
    expect(request?.headers['x-riskscreen-attempt']).toBe('1');
    const delivery = request?.headers['x-riskscreen-delivery'] as string;
    expect(io.out()).toContain(delivery);
    const signature = request?.headers['x-riskscreen-signature'] as string;
    expect(verifyRiskscreenSignature(signature, Buffer.from(request?.body ?? ''), SECRET)).toBe(true);
    expect(verifyRiskscreenSignature(signature, Buffer.from(request?.body ?? ''), `${SECRET}x`)).toBe(false);
    const payload = JSON.parse(request?.body ?? '');
    expect(payload).toMatchObject({ version: 1, event: 'webhook.test', delivery_id: delivery, batch: null, files: [] });
    expect(request?.body).not.toContain(SECRET);
  });

  it('shows the start of the receiver’s answer', async () => {
    const server = await receiver((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('got it\n'));
    const io = captureIo();
    expect(await runWebhookCommand(['test', server.url, '--secret', SECRET], io, {})).toBe(EXIT.ok);
    expect(io.out()).toMatch(/: HTTP 200 in \d+ ms; it answered: got it\n$/);
  });

  it('a 500 answer is not delivered: exit 1, stderr says so with HTTP 500 and the answer', async () => {
    const server = await receiver((_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('boom'));
    const io = captureIo();
    expect(await runWebhookCommand(['test', server.url, '--secret', SECRET], io, {})).toBe(EXIT.internal);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(new RegExp(`^riskscreen: webhook\\.test to ${server.url.replace(/[.?]/g, '\\$&')} not delivered: HTTP 500 \\(\\d+ ms\\); it answered: boom\\n$`));
    expect(server.received).toHaveLength(1); // not retried
  });

  it('a receiver that is not there: exit 1, "connection refused"', async () => {
    const server = await receiver((_req, res) => res.writeHead(204).end());
    await servers.pop()!.close();
    const io = captureIo();
    expect(await runWebhookCommand(['test', server.url, '--secret', SECRET], io, {})).toBe(EXIT.internal);
    expect(io.err()).toMatch(/not delivered: connection refused \(\d+ ms\)\n$/);
  });

  it('takes the secret from RISKSCREEN_WEBHOOK_SECRET', async () => {
    const server = await receiver((_req, res) => res.writeHead(204).end());
    const io = captureIo();
    expect(await runWebhookCommand(['test', server.url], io, { RISKSCREEN_WEBHOOK_SECRET: SECRET })).toBe(EXIT.ok);
    expect(io.out()).toMatch(/^delivered webhook\.test /);
    const [request] = server.received;
    expect(verifyRiskscreenSignature(request?.headers['x-riskscreen-signature'] as string, request?.body ?? '', SECRET)).toBe(true);
  });

  it('takes the secret from the file RISKSCREEN_WEBHOOK_SECRET_FILE names (a mounted secret), and refuses both forms at once', async () => {
    const server = await receiver((_req, res) => res.writeHead(204).end());
    const dir = mkdtempSync(join(tmpdir(), 'riskscreen-webhook-secret-'));
    try {
      const file = join(dir, 'webhook_secret');
      writeFileSync(file, `${SECRET}\n`);
      const io = captureIo();
      expect(await runWebhookCommand(['test', server.url], io, { RISKSCREEN_WEBHOOK_SECRET_FILE: file })).toBe(EXIT.ok);
      const [request] = server.received;
      expect(verifyRiskscreenSignature(request?.headers['x-riskscreen-signature'] as string, request?.body ?? '', SECRET)).toBe(true);
      await expect(runWebhookCommand(['test', server.url], captureIo(), { RISKSCREEN_WEBHOOK_SECRET_FILE: file, RISKSCREEN_WEBHOOK_SECRET: SECRET })).rejects.toThrow(
        /RISKSCREEN_WEBHOOK_SECRET and RISKSCREEN_WEBHOOK_SECRET_FILE.*both are set/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a secret: exit 2, naming --secret, nothing sent', async () => {
    const server = await receiver((_req, res) => res.writeHead(204).end());
    await expect(runWebhookCommand(['test', server.url], captureIo(), {})).rejects.toThrow(/^--secret: give the secret the receiver checks signatures with/);
    const io = captureIo();
    expect(await main(['webhook', 'test', server.url], io)).toBe(EXIT.usage);
    expect(io.err()).toMatch(/^riskscreen: --secret: give the secret .*RISKSCREEN_WEBHOOK_SECRET/);
    expect(io.err().split('\n')).toHaveLength(2);
    expect(server.received).toHaveLength(0);
  });

  it('a short secret: exit 2, naming where it came from, without showing it', async () => {
    const flag = captureIo();
    process.env.RISKSCREEN_WEBHOOK_SECRET = 'short-env';
    expect(await main(['webhook', 'test', 'http://127.0.0.1:9/hook', '--secret', 'short-flag'], flag)).toBe(EXIT.usage);
    expect(flag.err()).toBe('riskscreen: --secret: must be at least 16 characters (a random one: openssl rand -hex 32)\n');
    const env = captureIo();
    expect(await main(['webhook', 'test', 'http://127.0.0.1:9/hook'], env)).toBe(EXIT.usage);
    expect(env.err()).toBe('riskscreen: RISKSCREEN_WEBHOOK_SECRET: must be at least 16 characters (a random one: openssl rand -hex 32)\n');
    expect(env.err()).not.toContain('short-env');
  });

  it('refuses a URL that is not http(s), and a missing or second URL', async () => {
    const ftp = captureIo();
    expect(await main(['webhook', 'test', 'ftp://example.com/hook?token=s3cret', '--secret', SECRET], ftp)).not.toBe(EXIT.ok);
    expect(ftp.err()).toMatch(/URL: must be an http:\/\/ or https:\/\/ URL, not ftp:/);
    expect(ftp.err()).not.toContain('s3cret');
    const none = captureIo();
    expect(await main(['webhook', 'test', '--secret', SECRET], none)).toBe(EXIT.usage);
    expect(none.err()).toBe('riskscreen: webhook test needs exactly one URL\n');
    const two = captureIo();
    expect(await main(['webhook', 'test', 'http://a.example/', 'http://b.example/', '--secret', SECRET], two)).toBe(EXIT.usage);
    expect(two.err()).toBe('riskscreen: webhook test needs exactly one URL\n');
  });
});

describe('riskscreen webhook (other)', () => {
  it('prints its help: exit 2 without a subcommand, 0 with --help', async () => {
    const io = captureIo();
    expect(await runWebhookCommand([], io, {})).toBe(EXIT.usage);
    expect(io.out()).toBe(WEBHOOK_HELP);
    const help = captureIo();
    expect(await runWebhookCommand(['test', '--help'], help, {})).toBe(EXIT.ok);
    expect(help.out()).toMatch(/^Usage: riskscreen webhook test URL \[--secret S\]/);
  });

  it('refuses an unknown subcommand, exit 2', async () => {
    const io = captureIo();
    expect(await main(['webhook', 'send'], io)).toBe(EXIT.usage);
    expect(io.err()).toBe('riskscreen: unknown webhook subcommand "send"; use test or log (see riskscreen webhook --help)\n');
  });

  it('log checks --limit before it needs Redis, and without REDIS_URL says it needs the queue engine', async () => {
    const bad = captureIo();
    expect(await main(['webhook', 'log', '--limit', '0'], bad)).toBe(EXIT.usage);
    expect(bad.err()).toBe('riskscreen: --limit: must be a whole number from 1 to 2000 (got "0")\n');
    const extra = captureIo();
    expect(await main(['webhook', 'log', 'more'], extra)).toBe(EXIT.usage);
    expect(extra.err()).toBe('riskscreen: webhook log takes no argument\n');
    const noRedis = captureIo();
    expect(await main(['webhook', 'log'], noRedis)).toBe(EXIT.usage);
    expect(noRedis.err()).toMatch(/^riskscreen: this command needs the queue engine: set REDIS_URL/);
  });
});
