/**
 * For tests of the ops console: the emulator, then the console on the local engine (or
 * the queue engine, given a Redis prefix) with accounts of each role and an API token,
 * its log captured line by line; helpers to log in, send multipart uploads and read
 * server-sent events. Accounts use a cheap scrypt cost: the cost is in the hash.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadOptions } from '../../src/config/load.js';
import type { Options, WebRole } from '../../src/config/options.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/log/logger.js';
import { openConsoleEngine, type ConsoleEngine } from '../../src/web/console-engine.js';
import type { LoginThrottle } from '../../src/web/login-throttle.js';
import { hashPassword, newToken, tokenDigest } from '../../src/web/passwords.js';
import { buildConsoleServer, type ConsoleServer } from '../../src/web/server.js';

export const PASSWORD = 'correct horse battery';

export const ACCOUNTS: Array<{ name: string; role: WebRole }> = [
  { name: 'vera', role: 'viewer' },
  { name: 'otto', role: 'operator' },
  { name: 'ada', role: 'admin' },
];

let hashes: Promise<string[]> | null = null;
function accountHashes(): Promise<string[]> {
  return (hashes ??= Promise.all(ACCOUNTS.map(() => hashPassword(PASSWORD, 10))));
}

export interface TestConsole {
  emulator: RunningEmulator;
  engine: ConsoleEngine;
  server: ConsoleServer;
  app: FastifyInstance;
  options: Options;
  /** Bearer tokens by role. */
  tokens: Record<WebRole, string>;
  /** Every log line so far, parsed. */
  logs(): Array<Record<string, unknown>>;
  /** Every log line so far, as written. */
  logText(): string;
  close(): Promise<void>;
}

export interface TestConsoleSettings {
  env?: Record<string, string>;
  emulator?: Partial<EmulatorOptions>;
  throttle?: LoginThrottle;
  /** Other web options, as a config file would give them. */
  web?: Partial<Options['web']>;
  /** Workers in the console's process (queue engine); default true. */
  work?: boolean;
}

export async function startTestConsole(settings: TestConsoleSettings = {}): Promise<TestConsole> {
  const emulator = await startEmulator({ port: 0, seed: 'console-test', ...settings.emulator });
  const env: NodeJS.ProcessEnv = {
    ...emulator.env,
    RISKSCREEN_DATA_DIR: process.env.RISKSCREEN_DATA_DIR!,
    RISKSCREEN_RATES: 'status=2000,tenure=2000,tenureCmcc=2000,resale=2000,callDuration=2000',
    LOG_LEVEL: 'info',
    ...settings.env,
  };
  const options = loadOptions({ env, cwd: process.env.RISKSCREEN_DATA_DIR! });
  const tokens = {} as Record<WebRole, string>;
  options.web = {
    ...options.web,
    ...settings.web,
    // The same hashes for every console of the run, as one config file would give them
    // (a session is bound to the hash it was made with).
    users: (await accountHashes()).map((hash, i) => ({ ...ACCOUNTS[i]!, hash })),
    tokens: ACCOUNTS.map((account) => {
      tokens[account.role] = newToken();
      return { name: `${account.name}-system`, role: account.role, sha256: tokenDigest(tokens[account.role]) };
    }),
  };
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  const engine = await openConsoleEngine(options, logger, { work: settings.work ?? true });
  const server = await buildConsoleServer({
    options,
    engine,
    logger,
    accountsFile: null,
    reloadAccounts: () => options.web,
    ...(settings.throttle ? { throttle: settings.throttle } : {}),
  });
  await server.app.ready();
  return {
    emulator,
    engine,
    server,
    app: server.app,
    options,
    tokens,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    logText: () => lines.join('\n'),
    async close() {
      await server.close();
      await engine.close();
      await emulator.close();
    },
  };
}

/** A logged-in browser: its cookie and CSRF token, sent with every request. */
export interface Browser {
  cookie: string;
  csrf: string;
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function login(app: FastifyInstance, name: string, password = PASSWORD): Promise<Browser> {
  const response = await app.inject({ method: 'POST', url: '/api/login', payload: { name, password } });
  if (response.statusCode !== 200) throw new Error(`login of ${name} answered ${response.statusCode}: ${response.body}`);
  const cookie = String(response.headers['set-cookie']).split(';')[0]!;
  const csrf = (response.json() as { csrfToken: string }).csrfToken;
  return {
    cookie,
    csrf,
    request: (options) =>
      app.inject({ ...options, headers: { cookie, 'x-csrf-token': csrf, ...(options.headers as Record<string, string> | undefined) } }),
  };
}

/** A multipart/form-data body: fields first, then the file (as the API wants). */
export function multipart(file: { name: string; body: Buffer | string; field?: string }, fields: Record<string, string> = {}): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----riskscreen${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n`));
  parts.push(Buffer.isBuffer(file.body) ? file.body : Buffer.from(file.body));
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** The events of a text/event-stream body. */
export function parseEvents(text: string): Array<{ event: string; data: string }> {
  return text
    .split('\n\n')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return event && data !== undefined ? { event, data } : null;
    })
    .filter((entry): entry is { event: string; data: string } => entry !== null);
}

/** Waits until the batch's result is written (or it failed); answers its detail. */
export async function waitForResult(browser: Pick<Browser, 'request'>, id: string, timeoutMs = 45_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const detail = (await browser.request({ method: 'GET', url: `/api/batches/${id}` })).json() as Record<string, any>;
    if (detail.result || detail.status === 'failed') return detail;
    if (Date.now() > deadline) throw new Error(`batch ${id} did not finish in ${timeoutMs} ms: ${JSON.stringify(detail).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
