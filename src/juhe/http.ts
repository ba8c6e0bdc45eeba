/**
 * HTTP for the API layer: `undici.request` on one keep-alive Pool per origin, explicit
 * connect, headers, body and whole-call timeouts (undici's own defaults are 300 s),
 * and always POST with a form body so the key and the number stay out of URLs and
 * proxy logs. Failures are sorted by whether the request may have reached the service.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { Pool } from 'undici';
import type { JuheOptions } from './options.js';
import type { TransportFailure } from './error-policy.js';

/** The HTTP options of the API layer (documented in ./options.ts). */
export const TRANSPORT_OPTIONS = [
  'connectTimeoutMs',
  'headersTimeoutMs',
  'bodyTimeoutMs',
  'requestTimeoutMs',
  'connections',
  'keepAliveTimeoutMs',
] as const;
export type TransportSettings = Pick<JuheOptions, (typeof TRANSPORT_OPTIONS)[number]>;

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
  /**
   * At most `connections` calls in flight, so none waits inside undici's queue: the
   * whole-call timer starts when a call gets a connection, and a call that times out
   * was really sent (and may have been billed), never just queued.
   */
  private readonly slots: LimitFunction;
  private closed = false;

  constructor(private readonly settings: TransportSettings) {
    this.slots = pLimit(settings.connections);
  }

  /**
   * POST `form` to `url`. Resolves with any HTTP answer (the caller reads status and
   * body); rejects with a TransportError when none arrived. When `signal` aborts before
   * the call was sent, rejects with the signal's reason (nothing was sent); after, with
   * a TransportError `aborted` (it may have been billed).
   */
  postForm(url: URL, form: URLSearchParams, signal?: AbortSignal): Promise<HttpAnswer> {
    return this.slots(() => this.send(url, form, signal));
  }

  private async send(url: URL, form: URLSearchParams, signal?: AbortSignal): Promise<HttpAnswer> {
    if (this.closed) throw new Error('HttpTransport is closed');
    signal?.throwIfAborted();
    // One controller per call, with our own timer and listener removed in `finally`:
    // AbortSignal.any() on a long-lived caller signal leaks on Node 20 (nodejs/node#54614).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no answer within ${this.settings.requestTimeoutMs} ms`));
    }, this.settings.requestTimeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await this.poolFor(url.origin).request({
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: controller.signal,
      });
      const header = response.headers['content-type'];
      const contentType = Array.isArray(header) ? (header[0] ?? '') : (header ?? '');
      const body = decodeBody(await readCapped(response.body), contentType);
      return { status: response.statusCode, contentType, body };
    } catch (err) {
      if (signal?.aborted && !timedOut) {
        throw new TransportError('aborted', `interrupted: ${describe(signal.reason)}`, { cause: signal.reason });
      }
      throw toTransportError(err, timedOut, this.settings.requestTimeoutMs);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
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
        headersTimeout: this.settings.headersTimeoutMs,
        bodyTimeout: this.settings.bodyTimeoutMs,
        connect: { timeout: this.settings.connectTimeoutMs },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

async function readCapped(body: AsyncIterable<Buffer | string> & { destroy?: (err?: Error) => void }): Promise<Buffer> {
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
  return Buffer.concat(chunks);
}

/** Text in the charset the server names (Chinese servers sometimes answer in GBK); UTF-8 otherwise. */
function decodeBody(bytes: Buffer, contentType: string): string {
  const charset = /charset\s*=\s*"?([\w-]+)/i.exec(contentType)?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      // an unknown charset name: fall through to UTF-8
    }
  }
  return bytes.toString('utf8');
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
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
