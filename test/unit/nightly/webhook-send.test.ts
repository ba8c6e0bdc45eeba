import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyRiskscreenSignature } from '../../../docs/examples/verify-webhook.mjs';
import { ConfigError } from '../../../src/shared/config-error.js';
import { checkWebhookUrl, createWebhookAgent, safeWebhookUrl, sendWebhook, type WebhookRequest } from '../../../src/nightly/webhook-send.js';
import { verifySignature } from '../../../src/nightly/webhook-signature.js';
import { closedPort, startScriptedServer, type ReceivedRequest, type ScriptedServer } from '../../support/http-server.js';

const SECRET = 'test-webhook-secret';
const BODY = JSON.stringify({ event: 'batch.done', batch: { id: 'b-20260101-1' }, rows: 3000 });
const EXAMPLE = fileURLToPath(new URL('../../../docs/examples/verify-webhook.mjs', import.meta.url));

interface TestServer {
  url: string;
  received: ReceivedRequest[];
}

const servers: ScriptedServer[] = [];
let agent: Agent;

beforeAll(() => {
  agent = createWebhookAgent({ timeoutMs: 5_000 });
});
afterAll(async () => {
  await agent.close();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** An HTTP server on 127.0.0.1 that records each request (with its whole body) before `answer` runs. */
async function startServer(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const server = await startScriptedServer();
  servers.push(server);
  server.handle((req, res) => answer(req, res));
  return { url: `${server.url}/hooks/riskscreen`, received: server.received };
}

function attempt(url: string, overrides: Partial<WebhookRequest> = {}): Promise<Awaited<ReturnType<typeof sendWebhook>>> {
  return sendWebhook({
    url,
    secret: SECRET,
    body: BODY,
    event: 'batch.done',
    deliveryId: 'dlv-7f3a',
    attempt: 1,
    timeoutMs: 5_000,
    dispatcher: agent,
    ...overrides,
  });
}

describe('sendWebhook', () => {
  it('POSTs the body with the signed headers; a 204 is ok, and the docs example verifies the signature', async () => {
    const server = await startServer((_req, res) => res.writeHead(204).end());
    const outcome = await attempt(`${server.url}?token=abc`);
    expect(outcome).toEqual({ ok: true, status: 204, error: null, ms: expect.any(Number), responseExcerpt: '' });
    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/hooks/riskscreen?token=abc');
    expect(request?.body).toBe(BODY);
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'riskscreen-webhook/1',
      'x-riskscreen-event': 'batch.done',
      'x-riskscreen-delivery': 'dlv-7f3a',
      'x-riskscreen-attempt': '1',
    });
    const signature = request?.headers['x-riskscreen-signature'] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyRiskscreenSignature(signature, Buffer.from(request?.body ?? ''), SECRET)).toBe(true);
    expect(verifyRiskscreenSignature(signature, Buffer.from(request?.body ?? ''), 'another secret')).toBe(false);
    expect(verifySignature(signature, request?.body ?? '', SECRET).ok).toBe(true);
  });

  it('signs each attempt at its own moment, keeping the delivery id and counting attempts', async () => {
    const server = await startServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks'));
    const first = 1_780_000_000_000;
    let clock = first;
    const now = () => clock;
    expect(await attempt(server.url, { now })).toMatchObject({ ok: true, status: 200, responseExcerpt: 'thanks', ms: 0 });
    clock = first + 20_500;
    await attempt(server.url, { now, attempt: 2 });
    const [one, two] = server.received;
    expect(one?.headers['x-riskscreen-signature']).toMatch(/^t=1780000000,/);
    expect(two?.headers['x-riskscreen-signature']).toMatch(/^t=1780000020,/);
    expect([one?.headers['x-riskscreen-delivery'], two?.headers['x-riskscreen-delivery']]).toEqual(['dlv-7f3a', 'dlv-7f3a']);
    expect([one?.headers['x-riskscreen-attempt'], two?.headers['x-riskscreen-attempt']]).toEqual(['1', '2']);
    expect(verifyRiskscreenSignature(two?.headers['x-riskscreen-signature'] as string, BODY, SECRET, { now: 1_780_000_021 })).toBe(true);
  });

  it('a 500 is not ok: "HTTP 500", with the start of the answer, control characters removed', async () => {
    const server = await startServer((_req, res) => res.writeHead(500).end('Internal\r\nerror\u0007\u001b[31m here'));
    const outcome = await attempt(server.url);
    expect(outcome).toMatchObject({ ok: false, status: 500, error: 'HTTP 500', responseExcerpt: 'Internal error[31m here' });
  });

  it('keeps at most 200 characters of a long answer, and reads no more than it must', async () => {
    const big = `${'说'.repeat(150)}${'x'.repeat(2 * 1024 * 1024)}`;
    const server = await startServer((_req, res) => res.writeHead(200).end(big));
    const outcome = await attempt(server.url);
    expect(outcome.ok).toBe(true);
    expect(outcome.responseExcerpt).toBe(`${'说'.repeat(150)}${'x'.repeat(50)}`);
  });

  it('does not follow a redirect', async () => {
    const target = await startServer((_req, res) => res.writeHead(204).end());
    const server = await startServer((_req, res) => res.writeHead(302, { location: target.url }).end('moved'));
    const outcome = await attempt(server.url);
    expect(outcome).toMatchObject({ ok: false, status: 302, error: 'redirect (HTTP 302) not followed', responseExcerpt: 'moved' });
    expect(target.received).toHaveLength(0);
  });

  it('gives up on a receiver that never answers, within the timeout', async () => {
    const server = await startServer(() => {
      // never answers
    });
    const quick = createWebhookAgent({ timeoutMs: 300 });
    try {
      const outcome = await attempt(server.url, { timeoutMs: 300, dispatcher: quick });
      expect(outcome).toMatchObject({ ok: false, status: null, error: 'timed out after 0.3 s', responseExcerpt: '' });
      expect(outcome.ms).toBeGreaterThanOrEqual(250);
      expect(outcome.ms).toBeLessThan(3_000);
    } finally {
      await quick.destroy();
    }
  });

  it('the whole-attempt deadline holds even when the dispatcher would wait longer', async () => {
    const server = await startServer(() => {
      // never answers
    });
    const started = Date.now();
    const outcome = await attempt(server.url, { timeoutMs: 300 }); // the shared agent waits 5 s for headers
    expect(outcome).toMatchObject({ ok: false, status: null, error: 'timed out after 0.3 s' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a 2xx whose body then stalls is still ok: the status is the answer', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(202, { 'content-type': 'text/plain' });
      res.write('accepted, working');
    });
    const outcome = await attempt(server.url, { timeoutMs: 400 });
    expect(outcome).toMatchObject({ ok: true, status: 202, error: null, responseExcerpt: 'accepted, working' });
  });

  it('says "connection refused" for a closed port, without throwing', async () => {
    const outcome = await attempt(`http://127.0.0.1:${await closedPort()}/hook`);
    expect(outcome).toMatchObject({ ok: false, status: null, error: 'connection refused', responseExcerpt: '' });
  });

  it('says when the connection is cut before an answer', async () => {
    const server = await startServer((req) => req.socket.destroy());
    const outcome = await attempt(server.url);
    expect(outcome.ok).toBe(false);
    expect(outcome.status).toBeNull();
    expect(outcome.error).toMatch(/^connection (reset|closed before an answer)$/);
  });
});

describe('safeWebhookUrl', () => {
  it('keeps the origin and path, never the query string, fragment or user:password', () => {
    expect(safeWebhookUrl('https://user:pa55@hooks.example.com:8443/in/riskscreen?token=s3cret#x')).toBe('https://hooks.example.com:8443/in/riskscreen');
    expect(safeWebhookUrl('http://127.0.0.1/')).toBe('http://127.0.0.1/');
    expect(safeWebhookUrl('not a url ?token=s3cret')).not.toContain('s3cret');
    expect(safeWebhookUrl('ftp://x:y@example.com/?token=s3cret')).not.toContain('s3cret');
  });
});

describe('checkWebhookUrl', () => {
  it('returns the normalized href of an http or https URL', () => {
    expect(checkWebhookUrl('--webhook', ' HTTPS://Hooks.Example.com/in?token=abc#frag ')).toBe('https://hooks.example.com/in?token=abc');
    expect(checkWebhookUrl('--webhook', 'http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/');
  });

  it('refuses other schemes, no URL and credentials, naming the option and not repeating the URL', () => {
    const cases: Array<[string, RegExp]> = [
      ['ftp://example.com/hook?token=s3cret', /http:\/\/ or https:\/\//],
      ['example.com/hook?token=s3cret', /not a URL/],
      ['https://user:s3cret@example.com/hook', /user name or password/],
      ['https://:s3cret@example.com/hook', /user name or password/],
    ];
    for (const [url, problem] of cases) {
      let caught: unknown;
      try {
        checkWebhookUrl('nightly.webhook.url', url);
      } catch (error) {
        caught = error;
      }
      expect(caught, url).toBeInstanceOf(ConfigError);
      const error = caught as ConfigError;
      expect(error.kind).toBe('config');
      expect(error.option).toBe('nightly.webhook.url');
      expect(error.message).toMatch(/^nightly\.webhook\.url: /);
      expect(error.message).toMatch(problem);
      expect(error.message).not.toContain('s3cret');
    }
  });
});

describe('docs/examples/verify-webhook.mjs as a server', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill();
      await exited;
    }
    child = undefined;
  });

  it('verifies, answers 204, de-duplicates by delivery id, refuses a bad signature with 401, and logs event and batch', async () => {
    child = spawn(process.execPath, [EXAMPLE], {
      env: { PATH: process.env.PATH, RISKSCREEN_WEBHOOK_SECRET: SECRET, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
    const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
      const until = Date.now() + 10_000;
      for (;;) {
        const match = pattern.exec(output);
        if (match) return match;
        if (Date.now() > until || child?.exitCode !== null) throw new Error(`no ${pattern} in the example's output: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const port = Number((await waitFor(/listening on (\d+)/))[1]);
    const url = `http://127.0.0.1:${port}/riskscreen`;

    expect(await attempt(url)).toMatchObject({ ok: true, status: 204 });
    await waitFor(/batch\.done batch b-20260101-1 \(delivery dlv-7f3a\)/);
    expect(await attempt(url, { attempt: 2 })).toMatchObject({ ok: true, status: 204 });
    await waitFor(/delivery dlv-7f3a again/);
    expect(await attempt(url, { secret: 'wrong secret', deliveryId: 'dlv-other' })).toMatchObject({ ok: false, status: 401, error: 'HTTP 401' });
    await waitFor(/bad signature/);
    expect(output.match(/batch\.done batch/g)).toHaveLength(1);
  });

  it('refuses to start without a secret', async () => {
    child = spawn(process.execPath, [EXAMPLE], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const code = await new Promise((resolve) => child?.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/RISKSCREEN_WEBHOOK_SECRET/);
  });
});
