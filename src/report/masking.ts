/**
 * `--mask`: result files for people who should not see whole numbers. The number is
 * shown as `138****1234`, and a keyed hash of it (`mobile_hash`) lets downstream
 * systems join files without ever holding the number. The key comes from
 * RISKSCREEN_SECRET (or JUHE_KEY), so every run of one installation hashes alike and
 * nobody without the secret can turn a hash back into a number by enumerating them.
 */
import { createHmac } from 'node:crypto';
import { maskMobile } from '../phone/mask.js';

/** 32 hex characters (128 bits) of HMAC-SHA256 over the 11 digits. */
export function joinHash(joinKey: Buffer, mobile: string): string {
  return createHmac('sha256', joinKey).update(mobile).digest('hex').slice(0, 32);
}

/** A phone cell as the input had it (`+86 138 0013 8000`) or normalized: first 3 and last 4 characters kept. */
export function maskCell(value: string): string {
  return value.length === 0 ? '' : maskMobile(value);
}
