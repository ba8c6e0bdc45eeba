/**
 * HTTP for the API layer: `undici.request` on one keep-alive Pool per origin, explicit
 * connect, headers, body and whole-call timeouts (undici's own defaults are 300 s),
 * and always POST with a form body so the key and the number stay out of URLs and
 * proxy logs. Failures are sorted by whether the request may have reached the service.
 */
import { Pool } from 'undici';
import type { TransportFailure } from './error-policy.js';

export interface TransportSettings {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  requestTimeoutMs: number;
  connections: number;
  keepAliveTimeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** A request that produced no HTTP answer, sorted by the error policy's transport failures. */
export class TransportError extends Error {
  readonly code = 'RISKSCREEN_TRANSPORT';
  constructor(
    readonly failure: TransportFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

/** A Juhe answer is a few hundred bytes; anything past this is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Errors raised before the request could have been written: safe to retry, never billed. */
const NOT_SENT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

export class HttpTransport {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(private readonly settings: TransportSettings) {}

  /**
   * POST `form` to `url`. Resolves with any HTTP answer (the caller reads status and
   * body); rejects with a TransportError when none arrived, or with the caller's abort
   * reason when `signal` aborted.
   */
  async postForm(url: URL, form: URLSearchParams, signal?: AbortSignal): Promise<HttpAnswer> {
    if (this.closed) throw new Error('HttpTransport is closed');
    const deadline = AbortSignal.timeout(this.settings.requestTimeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const pool = this.poolFor(url.origin);
    try {
      const response = await pool.request({
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: combined,
      });
      const body = await readCapped(response.body);
      const header = response.headers['content-type'];
      return { status: response.statusCode, contentType: Array.isArray(header) ? (header[0] ?? '') : (header ?? ''), body };
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      throw toTransportError(err, deadline.aborted, this.settings.requestTimeoutMs);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }

  private poolFor(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.settings.connections,
        pipelining: 1,
        keepAliveTimeout: this.settings.keepAliveTimeoutMs,
        keepAliveMaxTimeout: Math.max(this.settings.keepAliveTimeoutMs, 600_000),
        headersTimeout: this.settings.headersTimeoutMs,
        bodyTimeout: this.settings.bodyTimeoutMs,
        connect: { timeout: this.settings.connectTimeoutMs },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

async function readCapped(body: AsyncIterable<Buffer | string> & { destroy?: (err?: Error) => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy?.();
      throw new TransportError('unreadable', `the answer is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toTransportError(err: unknown, timedOut: boolean, requestTimeoutMs: number): TransportError {
  if (err instanceof TransportError) return err;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code && NOT_SENT_CODES.has(code)) {
    return new TransportError('connect', `could not connect (${code}): ${message}`, { cause: err });
  }
  if (timedOut) {
    return new TransportError('response_lost', `no answer within ${requestTimeoutMs} ms`, { cause: err });
  }
  return new TransportError('response_lost', code ? `${code}: ${message}` : message, { cause: err });
}

/** The most specific error code on an error or its causes (undici wraps socket errors). */
function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  let found: string | undefined;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      found = code;
      if (NOT_SENT_CODES.has(code)) return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return found;
}
