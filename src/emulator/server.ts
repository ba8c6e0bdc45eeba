/**
 * The emulator over HTTP (`node:http`): every documented Juhe path on one origin, GET
 * query strings and POST `application/x-www-form-urlencoded` bodies, plus the ledger
 * and the known numbers under `/__sim/`. Every response carries
 * `x-riskscreen-emulator: 1` so it can never be taken for the real service.
 *
 * `startEmulator(options)` resolves once it listens and returns where, the account it
 * accepts, the RSA public key, the ledger, `reset()` and `close()`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { endpointByPath, type EndpointSpec } from '../juhe/catalogue.js';
import { loadFixturesFile, parseFixtures, type PinnedFacts } from './fixtures.js';
import { KnownNumbersError, loadKnownNumbers, parseNumberArray, parseNumbersBody } from './known-numbers.js';
import type { Ledger } from './ledger.js';
import { resolveEmulatorOptions, type EmulatorOptions, type ResolvedEmulatorOptions } from './options.js';
import { prepareRsaKeys } from './rsa-keys.js';
import { EmulatedService } from './service.js';
import { World } from './world.js';

export const EMULATOR_HEADER = 'x-riskscreen-emulator';
/** A Juhe request is a key, a number and a date; anything larger is not one. */
const MAX_BODY_BYTES = 64 * 1024;
/** `POST /__sim/numbers`: room for about five million numbers a request. */
const MAX_NUMBERS_BODY_BYTES = 64 * 1024 * 1024;
/** Ledger lines written per chunk of `GET /__sim/calls`. */
const CALLS_BATCH = 2_000;

export interface RunningEmulator {
  /** `http://host:port`, the value for `JUHE_BASE_URL`. */
  url: string;
  host: string;
  port: number;
  /** The only key accepted. */
  key: string;
  /** The openid whose AES key the emulator decrypts with. */
  openid: string;
  rsaPublicKeyPem: string;
  /** The public key written out, the value for `JUHE_RSA_PUBLIC_KEY_FILE`. */
  rsaPublicKeyFile: string;
  /** What to export so riskscreen talks to this emulator. */
  env: { JUHE_BASE_URL: string; JUHE_KEY: string; JUHE_OPENID: string; JUHE_RSA_PUBLIC_KEY_FILE: string };
  /** The resolved options, without the logger; `knownNumbers` is the file path, or how many numbers were given. */
  options: PrintableOptions;
  /** Every call so far (same data as `GET /__sim/calls` and `/__sim/stats`). */
  ledger: Ledger;
  /** How many numbers the emulator knows (fixtures, `knownNumbers`, `POST /__sim/numbers`). */
  readonly knownNumbers: number;
  /** Same as `POST /__sim/numbers` with a JSON array: checks every number first, returns how many were new. */
  addKnownNumbers(numbers: readonly string[]): number;
  /** Same as `POST /__sim/reset`. */
  reset(): void;
  /** Stop listening, drop connections and pending answers, remove the temporary key file. */
  close(): Promise<void>;
}

export type PrintableOptions = Omit<ResolvedEmulatorOptions, 'logger' | 'knownNumbers'> & { knownNumbers: string | number | undefined };

export async function startEmulator(input: EmulatorOptions = {}): Promise<RunningEmulator> {
  const options = resolveEmulatorOptions(input);
  const pinned = await loadPinned(options.fixtures);
  const knownNumbers = await loadKnownNumbers(options.knownNumbers);
  const rsa = await prepareRsaKeys({
    privateKeyPem: options.rsaPrivateKeyPem,
    privateKeyFile: options.rsaPrivateKeyFile,
    publicKeyFile: options.rsaPublicKeyFile,
  });
  const world = new World(options.seed, options.referenceDate, pinned, { notInService: options.notInService });
  const service = new EmulatedService(options, world, rsa.privateKey, undefined, options.logger);
  service.addKnownNumbers(knownNumbers);
  const pending = new Set<NodeJS.Timeout>();

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    res.setHeader(EMULATOR_HEADER, '1');
    handleRequest(req, res, service, pending, () => info).catch((err: unknown) => {
      options.logger?.error({ err }, 'emulator request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'emulator internal error' });
      else res.destroy();
    });
  });

  try {
    await listen(server, options.port, options.host);
  } catch (err) {
    await rsa.cleanup();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;
  const { logger: _logger, knownNumbers: givenNumbers, ...rest } = options;
  const printable: PrintableOptions = { ...rest, knownNumbers: typeof givenNumbers === 'string' ? givenNumbers : givenNumbers?.length };

  let closing: Promise<void> | undefined;
  const info: RunningEmulator = {
    url,
    host: address.address,
    port: address.port,
    key: options.key,
    openid: options.openid,
    rsaPublicKeyPem: rsa.publicKeyPem,
    rsaPublicKeyFile: rsa.publicKeyFile,
    env: { JUHE_BASE_URL: url, JUHE_KEY: options.key, JUHE_OPENID: options.openid, JUHE_RSA_PUBLIC_KEY_FILE: rsa.publicKeyFile },
    options: printable,
    ledger: service.ledger,
    get knownNumbers() {
      return service.index.size;
    },
    addKnownNumbers: (numbers) => service.addKnownNumbers(parseNumberArray(numbers)),
    reset: () => service.reset(),
    close: () => {
      closing ??= (async () => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await rsa.cleanup();
      })();
      return closing;
    },
  };
  options.logger?.info({ url, seed: options.seed }, 'juhe emulator listening');
  return info;
}

async function loadPinned(fixtures: ResolvedEmulatorOptions['fixtures']): Promise<Map<string, PinnedFacts>> {
  if (fixtures === undefined) return new Map();
  return typeof fixtures === 'string' ? loadFixturesFile(fixtures) : parseFixtures(fixtures);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  service: EmulatedService,
  pending: Set<NodeJS.Timeout>,
  info: () => RunningEmulator,
): Promise<void> {
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = queryAt === -1 ? '' : target.slice(queryAt + 1);

  if (path.startsWith('/__sim/')) return handleSim(req, res, path, new URLSearchParams(query), service, info);

  const endpoint = endpointByPath(path);
  if (!endpoint) return sendJson(res, 404, { error: 'not a documented Juhe path', path });
  if (req.method !== 'GET' && req.method !== 'POST') {
    res.setHeader('allow', 'GET, POST');
    return sendJson(res, 405, { error: 'Juhe endpoints take GET or POST' });
  }
  const params = new URLSearchParams(query);
  if (req.method === 'POST') {
    const body = await readBody(req);
    if (body.kind === 'aborted') return; // nobody to answer, nothing recorded
    if (body.kind === 'too_large') return sendJson(res, 413, { error: `body over ${MAX_BODY_BYTES} bytes` });
    // Only a form body carries parameters; anything else is read as no parameters, like the service.
    const type = req.headers['content-type'] ?? 'application/x-www-form-urlencoded';
    if (type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      for (const [name, value] of new URLSearchParams(body.text)) params.set(name, value);
    }
  }
  answer(res, endpoint, params, service, pending);
}

function answer(
  res: ServerResponse,
  endpoint: EndpointSpec,
  params: URLSearchParams,
  service: EmulatedService,
  pending: Set<NodeJS.Timeout>,
): void {
  const { status, body, delayMs } = service.handle(endpoint, params);
  const send = (): void => {
    res.writeHead(status, {
      'content-type': 'application/json;charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  if (delayMs <= 0) return send();
  const timer = setTimeout(() => {
    pending.delete(timer);
    if (!res.destroyed) send();
  }, delayMs);
  pending.add(timer);
  res.once('close', () => {
    // The client gave up (timeout): the call stays billed, the answer is dropped.
    clearTimeout(timer);
    pending.delete(timer);
  });
}

async function handleSim(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  service: EmulatedService,
  info: () => RunningEmulator,
): Promise<void> {
  const route = `${req.method ?? ''} ${path}`;
  switch (route) {
    case 'GET /__sim/calls':
      return streamCalls(res, service.ledger, query);
    case 'GET /__sim/stats':
      return sendJson(res, 200, service.ledger.stats());
    case 'POST /__sim/reset':
      req.resume();
      service.reset();
      return sendJson(res, 200, { reset: true });
    case 'POST /__sim/numbers':
      return addNumbers(req, res, service);
    case 'GET /__sim/info': {
      const running = info();
      return sendJson(res, 200, {
        emulator: true,
        url: running.url,
        key: running.key,
        openid: running.openid,
        rsaPublicKeyFile: running.rsaPublicKeyFile,
        rsaPublicKeyPem: running.rsaPublicKeyPem,
        knownNumbers: service.index.size,
        options: running.options,
      });
    }
    default:
      return sendJson(res, 404, {
        error: 'unknown emulator route',
        routes: ['GET /__sim/calls?from=N&limit=M', 'GET /__sim/stats', 'POST /__sim/reset', 'POST /__sim/numbers', 'GET /__sim/info'],
      });
  }
}

/** `POST /__sim/numbers`: a JSON array or one number a line; all or nothing. */
async function addNumbers(req: IncomingMessage, res: ServerResponse, service: EmulatedService): Promise<void> {
  const body = await readBody(req, MAX_NUMBERS_BODY_BYTES);
  if (body.kind === 'aborted') return;
  if (body.kind === 'too_large') return sendJson(res, 413, { error: `body over ${MAX_NUMBERS_BODY_BYTES} bytes; send the numbers in parts` });
  let numbers: string[];
  try {
    numbers = parseNumbersBody(body.text);
  } catch (err) {
    if (err instanceof KnownNumbersError) return sendJson(res, 400, { error: err.message });
    throw err;
  }
  const added = service.addKnownNumbers(numbers);
  return sendJson(res, 200, { added, known: service.index.size });
}

/**
 * The ledger as JSON lines, written in batches that respect backpressure. The end is
 * fixed when the request arrives (header `x-riskscreen-ledger-rows`), and a reset
 * while it streams ends it there: the rows after it are gone.
 */
async function streamCalls(res: ServerResponse, ledger: Ledger, query: URLSearchParams): Promise<void> {
  const from = wholeNumber(query.get('from')) ?? 0;
  const limit = wholeNumber(query.get('limit')) ?? Number.POSITIVE_INFINITY;
  const end = Math.min(ledger.size, from + limit);
  const epoch = ledger.epoch;
  res.writeHead(200, {
    'content-type': 'application/x-ndjson; charset=utf-8',
    'x-riskscreen-ledger-rows': String(Math.max(0, end - from)),
    'x-riskscreen-ledger-epoch': String(epoch),
  });
  for (let row = from; row < end && !res.destroyed && ledger.epoch === epoch; row += CALLS_BATCH) {
    let text = '';
    for (const entry of ledger.entries(row, Math.min(CALLS_BATCH, end - row))) text += `${JSON.stringify(entry)}\n`;
    if (!res.write(text)) await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    });
  }
  res.end();
}

function wholeNumber(text: string | null): number | undefined {
  return text !== null && /^\d+$/.test(text) ? Number(text) : undefined;
}

type BodyRead = { kind: 'ok'; text: string } | { kind: 'too_large' } | { kind: 'aborted' };

/** The request body as text; nothing is kept past the limit, and a client that leaves mid-body ends the read. */
function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > maxBytes ? { kind: 'too_large' } : { kind: 'ok', text: Buffer.concat(chunks).toString('utf8') }));
    // After 'end' this settles nothing (a promise resolves once); before it, the client is gone.
    req.on('close', () => resolve({ kind: 'aborted' }));
    req.on('error', () => resolve({ kind: 'aborted' }));
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
