/**
 * The engine's secrets, derived once: a key for the keyed hash of numbers (cache keys,
 * job ids, result fields) and a key for sealing numbers inside job payloads. Both come
 * from RISKSCREEN_SECRET, or from the Juhe key when that is unset, so every process of
 * one account agrees without more configuration.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError } from '../shared/config-error.js';

export interface EngineKeys {
  hashKey: Buffer;
  sealKey: Buffer;
  /** For the `mobile_hash` column of masked result files: shown to downstream systems, so not the cache keys' key. */
  joinKey: Buffer;
}

export function deriveEngineKeys(secret: string | undefined, juheKey: string | undefined): EngineKeys {
  const base = secret ?? (juheKey ? `juhe-key:${juheKey}` : undefined);
  if (!base) {
    throw new ConfigError('RISKSCREEN_SECRET', 'is not set, and neither is JUHE_KEY to derive it from');
  }
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', base, 'riskscreen', info, 32));
  return { hashKey: derive('number-hash/v1'), sealKey: derive('payload-seal/v1'), joinKey: derive('join-hash/v1') };
}

/**
 * A keyed hash of a number (and a date, for the resale question): stable across
 * processes and runs, useless to anyone without the secret. 22 characters of base64url,
 * never all digits, no ":".
 */
export function numberHash(keys: EngineKeys, mobile: string, date?: string | null): string {
  return createHmac('sha256', keys.hashKey)
    .update(date ? `${mobile}|${date}` : mobile)
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}

/** AES-256-GCM: the number travels in job payloads sealed, never in clear. */
export function sealNumber(keys: EngineKeys, mobile: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.sealKey, iv);
  const body = Buffer.concat([cipher.update(mobile, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

export class SealError extends Error {
  readonly code = 'RISKSCREEN_SEAL';
  constructor() {
    super('a sealed number could not be opened: RISKSCREEN_SECRET (or JUHE_KEY) differs between the processes of this batch');
    this.name = 'SealError';
  }
}

export function openNumber(keys: EngineKeys, sealed: string): string {
  try {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', keys.sealKey, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError();
  }
}
