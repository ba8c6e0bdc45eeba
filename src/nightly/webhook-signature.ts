/**
 * Signed webhooks: a receiver must be able to tell that a POST came from this
 * installation and is not an old one played again. Each attempt carries
 * `X-Riskscreen-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`:
 * the timestamp is inside the signed text, so it cannot be changed without the secret,
 * and a receiver refuses one too far from its own clock. Several `v1=` entries may
 * stand in one header (one per secret while a secret is being rotated); schemes not
 * known here are ignored, so a later scheme can be added beside v1. docs/webhooks.md
 * tells receivers the same, and docs/examples/verify-webhook.mjs does it without us.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header's name as Node reads it (HTTP header names are case-insensitive): `X-Riskscreen-Signature`. */
export const SIGNATURE_HEADER = 'x-riskscreen-signature';

/** How far a signature's timestamp may be from the receiver's clock, either way, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const SCHEME = 'v1';
/** A v1 signature: SHA-256 is 32 bytes, 64 hex digits. */
const V1_HEX = /^[0-9a-fA-F]{64}$/;

function hmac(secret: string, unixSeconds: number, body: string): Buffer {
  return createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest();
}

/** `t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>`, for the moment of one attempt. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  if (!Number.isSafeInteger(unixSeconds) || unixSeconds < 0) {
    throw new RangeError(`a signature's timestamp is whole unix seconds, not ${unixSeconds}`);
  }
  return `t=${unixSeconds},${SCHEME}=${hmac(secret, unixSeconds, body).toString('hex')}`;
}

export type SignatureCheck =
  | { ok: true; timestamp: number }
  | {
      ok: false;
      /**
       * `missing`: no header; `malformed`: no `t=` or no `v1=` in it, or not `key=value`
       * parts; `mismatch`: no v1 signature is the one this secret makes (a wrong secret,
       * or a body changed on the way); `stale`: authentic, but signed more than the
       * tolerance away from now (a replay, or a clock that is off).
       */
      reason: 'missing' | 'malformed' | 'stale' | 'mismatch';
    };

export interface VerifyOptions {
  /** Seconds either side of now a timestamp may be; 300 unless given. */
  toleranceSeconds?: number;
  /** Now, in unix seconds (fractions allowed); the clock unless given. */
  now?: number;
}

/**
 * Checks a signature header against the raw body as received (the exact bytes as
 * text, before any JSON parsing). The signature is checked before the timestamp, so
 * `stale` is only said of a request that really was signed with this secret.
 */
export function verifySignature(header: string | undefined, body: string, secret: string, options: VerifyOptions = {}): SignatureCheck {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const parsed = parseHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };

  const expected = hmac(secret, parsed.timestamp, body);
  let matched = false;
  for (const candidate of parsed.signatures) {
    if (!V1_HEX.test(candidate)) continue;
    const given = Buffer.from(candidate, 'hex');
    // Equal lengths are guaranteed by the pattern; checked again because timingSafeEqual throws otherwise.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  if (!matched) return { ok: false, reason: 'mismatch' };

  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = options.now ?? Date.now() / 1000;
  if (Math.abs(now - parsed.timestamp) > tolerance) return { ok: false, reason: 'stale' };
  return { ok: true, timestamp: parsed.timestamp };
}

/** The timestamp and the v1 entries, or undefined when the header is not `key=value,...` with one `t` and at least one `v1`. */
function parseHeader(header: string): { timestamp: number; signatures: string[] } | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const rawPart of header.split(',')) {
    const part = rawPart.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,15}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === SCHEME) {
      signatures.push(value);
    }
    // any other scheme (v0, v2, ...) is not ours to judge: ignored
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}
