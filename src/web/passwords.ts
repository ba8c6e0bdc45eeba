/**
 * Password hashes and API tokens. Passwords are hashed with scrypt (Node's own, run on
 * libuv's pool so a login never blocks the event loop); the cost is stored in the hash,
 * so it can be raised later without breaking old hashes. Tokens are 256 random bits: a
 * sha256 is all they need at rest (nothing can be guessed from it).
 */
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { isScryptCost } from '../shared/scrypt-cost.js';

/** log2 of scrypt's N for new hashes: 2^17, about 0.4 s on a warm core (OWASP's minimum for scrypt). */
export const DEFAULT_COST = 17;

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Options for a cost: scrypt needs 128·N·r bytes and refuses above `maxmem` (32 MB by default). */
function costOptions(logN: number, r: number, p: number): ScryptOptions {
  return { N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r + 1024 * 1024 };
}

/** `scrypt$17$8$1$<salt>$<key>` */
export async function hashPassword(password: string, logN = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, 32, costOptions(logN, 8, 1));
  return `scrypt$${logN}$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!isScryptCost(logN, r, p)) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  // An empty (or short) key would match anything: scrypt's 0 bytes equal 0 bytes.
  if (salt.length < 16 || expected.length < 16 || expected.length > 64) return false;
  const key = await scrypt(password.normalize('NFC'), salt, expected.length, costOptions(logN, r, p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A hash no password matches, of the default cost: checked against when the name is
 * unknown, so a wrong name takes as long as a wrong password and names cannot be probed.
 */
let decoy: Promise<string> | null = null;
export function decoyHash(logN = DEFAULT_COST): Promise<string> {
  return (decoy ??= hashPassword(randomBytes(24).toString('base64'), logN));
}

/** `rs_<43 characters>`: 256 random bits, with a prefix that secret scanners can spot. */
export function newToken(): string {
  return `rs_${randomBytes(32).toString('base64url')}`;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two strings (the CSRF token). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
