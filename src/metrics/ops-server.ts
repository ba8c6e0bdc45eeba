/**
 * The worker's small ops listener (node:http, no framework): `GET /metrics` (Prometheus
 * text exposition), `GET /healthz` (the process is alive: 200 while it can answer at
 * all) and `GET /readyz` (200 when the process can do its work now, else 503 with the
 * reason in plain words). Anything else is 404, a method other than GET or HEAD 405, a
 * request with a body 413. It takes no input, so it holds nothing worth attacking, but
 * it is still bounded: short timeouts, few connections, small headers. It listens on
 * loopback unless told otherwise (ops.metricsHost): Prometheus in a container network
 * needs 0.0.0.0, which the compose file sets.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Metrics } from './registry.js';

/** Whether the process can do its work now; when not, why, in plain words (never a secret). */
export type Readiness = { ready: true } | { ready: false; reason: string };

export interface OpsServerSettings {
  host: string;
  port: number;
  metrics: Metrics;
  readiness: () => Promise<Readiness>;
  /** What /healthz says besides `ok` (e.g. the role). */
  health?: Record<string, string | number | boolean>;
  logger: Logger;
}

export interface OpsServer {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A request (headers and all) must arrive within this; a scrape's answer is sent well within Prometheus's 10 s timeout. */
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 64;

export async function startOpsServer(settings: OpsServerSettings): Promise<OpsServer> {
  const log = settings.logger.child({ component: 'ops-server' });
  const server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: 5_000, maxHeaderSize: 8_192 }, (request, response) => {
    handle(request, response, settings).catch((err: unknown) => {
      log.error({ err: { message: (err as Error).message }, path: pathOf(request) }, 'ops request failed');
      if (!response.headersSent) send(response, 500, { code: 'RISKSCREEN_INTERNAL', message: 'the answer could not be made; see the log' });
      else response.destroy();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(new OpsListenError(settings.host, settings.port, err));
    server.once('error', failed);
    server.listen(settings.port, settings.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err: { message: err.message } }, 'ops listener error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would hold close() open until it timed out.
        server.closeAllConnections();
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, settings: OpsServerSettings): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return send(response, 405, { code: 'RISKSCREEN_METHOD', message: 'only GET and HEAD are answered here' });
  }
  const length = request.headers['content-length'];
  if ((length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined) {
    // Not read: the connection is closed after the answer, with whatever was sent.
    response.setHeader('connection', 'close');
    return send(response, 413, { code: 'RISKSCREEN_BODY', message: 'requests here take no body' });
  }
  switch (pathOf(request)) {
    case '/metrics': {
      const text = await settings.metrics.exposition();
      response.writeHead(200, { 'content-type': settings.metrics.contentType, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : text);
      return;
    }
    case '/healthz':
      return send(response, 200, { ok: true, ...settings.health });
    case '/readyz': {
      const readiness = await settings.readiness();
      return readiness.ready ? send(response, 200, { ready: true }) : send(response, 503, { ready: false, reason: readiness.reason });
    }
    default:
      return send(response, 404, { code: 'RISKSCREEN_NOT_FOUND', message: 'nothing here: /metrics, /healthz and /readyz are' });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  response.end(response.req.method === 'HEAD' ? undefined : text);
}

/** The path only: a query string is ignored (and never logged). */
function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?')[0]!;
}

/** The listener could not be opened (the port is taken, the address is not this machine's). */
export class OpsListenError extends Error {
  readonly code = 'RISKSCREEN_METRICS_LISTEN';
  readonly kind = 'config';
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    const why = cause.code === 'EADDRINUSE' ? 'the port is in use' : cause.code === 'EADDRNOTAVAIL' ? 'the address is not one of this machine\'s' : (cause.code ?? cause.message);
    super(`ops.metricsPort: cannot listen on ${host}:${port} for /metrics, /healthz and /readyz (${why}); choose another with --metrics-port or RISKSCREEN_METRICS_PORT (RISKSCREEN_METRICS_HOST for the address)`, { cause });
    this.name = 'OpsListenError';
  }
}
