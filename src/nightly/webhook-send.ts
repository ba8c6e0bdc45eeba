/**
 * One attempt at delivering a webhook, and nothing more: the outbox decides when to try
 * again, this file only tries once and says in plain words what happened ("HTTP 500",
 * "timed out after 10 s", "connection refused"), so that every attempt can be recorded
 * and shown. It never throws for what the network or the receiver did.
 *
 * Why it looks the way it does: undici's own timeouts are 300 s, so the dispatcher made
 * here sets connect, headers and body timeouts, and each attempt also has a deadline
 * for the whole exchange. Redirects are not followed (a receiver that moved must be
 * reconfigured, not chased: the signed body would go wherever a Location points). The
 * answer's body is always consumed or destroyed, at most 64 KiB of it read, so a
 * receiver cannot hold a connection or memory. The URL may carry a token in its query
 * string, so logs and records get `safeWebhookUrl`, never the URL itself.
 */
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { ConfigError } from '../shared/config-error.js';
import { signatureHeader } from './webhook-signature.js';

/** Header names (HTTP header names are case-insensitive; Node gives them in lower case). */
export const EVENT_HEADER = 'x-riskscreen-event';
export const DELIVERY_HEADER = 'x-riskscreen-delivery';
export const ATTEMPT_HEADER = 'x-riskscreen-attempt';
export const WEBHOOK_USER_AGENT = 'riskscreen-webhook/1';

/** At most this much of an answer's body is read; the rest is dropped with the connection. */
const MAX_RESPONSE_BYTES = 64 * 1024;
/** The excerpt of an answer's body kept with an attempt. */
const EXCERPT_CHARS = 200;

export interface WebhookRequest {
  url: string;
  /** The signing secret; it goes into the HMAC only, never onto the wire or into a message. */
  secret: string;
  /** The JSON text to send, exactly as signed. */
  body: string;
  /** `batch.done`, `webhook.test`, ... */
  event: string;
  /** The same on every attempt at one delivery, so receivers can drop repeats. */
  deliveryId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The whole attempt's deadline (connect, send, answer). */
  timeoutMs: number;
  /** From createWebhookAgent, shared by the attempts of one process. */
  dispatcher: Dispatcher;
  /** The clock, in milliseconds: the signature's timestamp and the attempt's duration. */
  now?: () => number;
}

export interface WebhookAttemptOutcome {
  /** A 2xx answer. */
  ok: boolean;
  /** The answer's HTTP status, or null when none came. */
  status: number | null;
  /** Plain words when not ok: "timed out after 10 s", "connection refused", "HTTP 500", "redirect (HTTP 302) not followed". */
  error: string | null;
  /** How long the attempt took. */
  ms: number;
  /** The first 200 characters of the answer's body, control characters removed ('' when none). */
  responseExcerpt: string;
}

/** The dispatcher for webhook attempts: connect, headers and body timeouts all `timeoutMs`; no redirects. */
export function createWebhookAgent(options: { timeoutMs: number }): Agent {
  return new Agent({
    connect: { timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
}

/** POSTs the body once, signed now. Resolves with what happened; never rejects for a network error. */
export async function sendWebhook(request: WebhookRequest): Promise<WebhookAttemptOutcome> {
  const now = request.now ?? Date.now;
  const started = now();
  const elapsed = () => Math.max(0, Math.round(now() - started));
  const deadline = AbortSignal.timeout(request.timeoutMs);
  try {
    const response = await undiciRequest(request.url, {
      method: 'POST',
      dispatcher: request.dispatcher,
      signal: deadline,
      headers: {
        'content-type': 'application/json',
        'user-agent': WEBHOOK_USER_AGENT,
        'x-riskscreen-signature': signatureHeader(request.secret, request.body, Math.floor(started / 1000)),
        [EVENT_HEADER]: request.event,
        [DELIVERY_HEADER]: request.deliveryId,
        [ATTEMPT_HEADER]: String(request.attempt),
      },
      body: request.body,
    });
    const status = response.statusCode;
    // The receiver has answered: its status decides, whatever happens to the rest of its body.
    const bytes = await readCapped(response.body);
    const ok = status >= 200 && status < 300;
    return { ok, status, error: ok ? null : statusWords(status), ms: elapsed(), responseExcerpt: excerptOf(bytes) };
  } catch (error) {
    return { ok: false, status: null, error: failureWords(error, request.timeoutMs, deadline), ms: elapsed(), responseExcerpt: '' };
  }
}

/** The URL for logs and records: origin and path, never the query string or a user:password. */
export function safeWebhookUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(not a URL)';
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? `${parsed.origin}${parsed.pathname}` : `${parsed.protocol}(not http)`;
}

/**
 * A webhook URL as configured under `option` (`--webhook`, `nightly.webhook.url`):
 * http or https, with a host and no user:password (the signing secret is how a
 * receiver knows us). Returns the normalized href (the #fragment, never sent, dropped);
 * throws a ConfigError whose message does not repeat the URL (it may hold a token).
 */
export function checkWebhookUrl(option: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new ConfigError(option, 'is not a URL; expected one like https://example.com/hooks/riskscreen');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(option, `must be an http:// or https:// URL, not ${parsed.protocol}`);
  }
  if (parsed.hostname === '') throw new ConfigError(option, 'has no host name');
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError(option, 'must not contain a user name or password (they would end up in logs); receivers check the signature instead');
  }
  parsed.hash = '';
  return parsed.href;
}

function statusWords(status: number): string {
  if (status === 301 || status === 302 || status === 303 || status === 307 || status === 308) {
    return `redirect (HTTP ${status}) not followed`;
  }
  return `HTTP ${status}`;
}

/** Up to 64 KiB of the body; the stream is then destroyed (or was ended). A body that fails midway gives what was read. */
async function readCapped(body: Dispatcher.ResponseData['body']): Promise<Buffer> {
  // Destroying an unfinished body emits an error; nobody else listens for it here.
  body.on('error', () => {});
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      const room = MAX_RESPONSE_BYTES - size;
      chunks.push(buffer.length > room ? buffer.subarray(0, room) : buffer);
      size += Math.min(buffer.length, room);
      if (size >= MAX_RESPONSE_BYTES) break;
    }
  } catch {
    // timed out or cut off while reading: the status is what counts
  } finally {
    if (!body.destroyed) body.destroy();
  }
  return Buffer.concat(chunks);
}

/** Whitespace controls become spaces, other control and bidi-override characters go, then the first 200 characters. */
function excerptOf(bytes: Buffer): string {
  const text = bytes
    .toString('utf8')
    .replace(/[\t\n\r\v\f]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '')
    .trim();
  return Array.from(text).slice(0, EXCERPT_CHARS).join('');
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

const CONNECT_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (EAI_AGAIN)',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed before an answer',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_ABORTED', 'ABORT_ERR']);

/** What a request that got no answer ran into, in plain words. */
function failureWords(error: unknown, timeoutMs: number, deadline: AbortSignal): string {
  const { codes, names } = errorMarks(error);
  const timedOut = `timed out after ${seconds(timeoutMs)}`;
  if (codes.includes('UND_ERR_CONNECT_TIMEOUT') || codes.includes('ETIMEDOUT')) return `${timedOut} while connecting`;
  for (const code of codes) {
    const words = CONNECT_WORDS[code];
    if (words) return words;
  }
  if (deadline.aborted || codes.some((code) => TIMEOUT_CODES.has(code)) || names.includes('AbortError') || names.includes('TimeoutError')) {
    return timedOut;
  }
  const tls = codes.find((code) => /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(code));
  if (tls) return `TLS certificate not accepted (${tls})`;
  if (codes.includes('EPROTO')) return 'TLS handshake failed (EPROTO)';
  if (codes.includes('ERR_INVALID_URL') || codes.includes('UND_ERR_INVALID_ARG')) return `invalid request (${codes[0]})`;
  if (codes[0]) return `request failed (${codes[0]})`;
  const message = error instanceof Error ? error.message : String(error);
  return `request failed: ${excerptOf(Buffer.from(message)).slice(0, 120)}`;
}

/** The codes and names on an error, its causes and (for a connection tried on several addresses) its errors. */
function errorMarks(error: unknown): { codes: string[]; names: string[] } {
  const codes: string[] = [];
  const names: string[] = [];
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < 12; seen++) {
    const current = queue.shift();
    if (!current || typeof current !== 'object') continue;
    const { code, name, cause, errors } = current as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && !codes.includes(code)) codes.push(code);
    if (typeof name === 'string' && !names.includes(name)) names.push(name);
    if (cause) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return { codes, names };
}
