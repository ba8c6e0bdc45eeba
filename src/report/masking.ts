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

/**
 * The phone cell as the input had it (`+86 138 0013 8000`): first 3 and last 4
 * characters kept, whatever it holds. It is given as read, never neutralized (the CSV
 * writer neutralizes the masked cell where needed).
 */
export function maskCell(cell: string): string {
  return cell.length === 0 ? '' : maskMobile(cell);
}

/**
 * Mainland mobile numbers anywhere in a cell (a second phone column, a note, an earlier
 * file's columns): 11 digits starting with 1, alone or after +86 / 0086 / 86, written
 * together or in 3-4-4 groups with spaces or dashes.
 */
const MOBILE_IN_TEXT = /(?<![\d])((?:\+|00)?86[\s-]?)?(1\d{2})([\s-]?)\d{4}([\s-]?)(\d{4})(?!\d)/g;

/** Masks every mobile number inside a cell: `call 13800138000 or +86 139-0013-9000` -> `call 138****8000 or +86 139-****-9000`. */
export function maskNumbersIn(value: string): string {
  return value.replace(MOBILE_IN_TEXT, (_all, prefix: string | undefined, head: string, sep1: string, sep2: string, tail: string) => `${prefix ?? ''}${head}${sep1}****${sep2}${tail}`);
}
