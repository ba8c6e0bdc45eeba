/**
 * Shared by the emulator's integration tests: one RSA key per test file (generating a
 * 2048-bit key per emulator would slow every test), an emulator on 127.0.0.1 and a
 * free port with a fixed reference date, and raw form POSTs with undici.
 */
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'undici';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/server.js';
import type { EmulatorOptions } from '../../../src/emulator/options.js';

export const REFERENCE_DATE = '20250601';

let sharedPem: string | undefined;
export function testPrivateKeyPem(): string {
  sharedPem ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return sharedPem;
}

export function startTestEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({
    host: '127.0.0.1',
    port: 0,
    referenceDate: REFERENCE_DATE,
    rsaPrivateKeyPem: testPrivateKeyPem(),
    ...options,
  });
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
}

/** POST a form body built from `params` (URLSearchParams encodes each value exactly once). */
export async function postForm(emulator: RunningEmulator, path: string, params: Record<string, string>, timeoutMs = 10_000): Promise<RawAnswer> {
  return send(emulator, path, { method: 'POST', body: new URLSearchParams(params).toString(), contentType: 'application/x-www-form-urlencoded', timeoutMs });
}

/** Send `body` as is, for tests about encoding. */
export async function send(
  emulator: RunningEmulator,
  path: string,
  options: { method?: 'GET' | 'POST' | 'PUT'; body?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const response = await request(`${emulator.url}${path}`, {
    method: options.method ?? 'GET',
    ...(options.body !== undefined ? { body: options.body } : {}),
    headers: options.contentType ? { 'content-type': options.contentType } : {},
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    // undici's own timeouts tick coarsely; an abort signal is exact for short ones.
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // JSON lines or empty: callers read `text`
  }
  return { status: response.statusCode, headers: response.headers, text, json };
}
