/**
 * Hash -> number, for every number the emulator has seen in clear (plain, AES, RSA,
 * fixtures). The real service knows every subscriber, so a sha256 or md5 it receives
 * names a number; the emulator only knows the numbers it was told, and this index is
 * how a later hash-form request is reported and carrier-checked as that number.
 *
 * Memory: a million distinct numbers must fit comfortably, so instead of 64-character
 * string keys each map is keyed by the first 52 bits of the digest (a double holds
 * them exactly) and holds the number as a double. A lookup re-hashes the candidate and
 * compares the full digest, so a prefix collision can only make a hash unknown (it is
 * then reported as the hash), never map it to the wrong number.
 */
import { md5Hex, sha256Hex } from '../juhe/ciphers.js';

export class ReverseIndex {
  private readonly bySha256 = new Map<number, number>();
  private readonly byMd5 = new Map<number, number>();

  /** Remember `mobile`, whose sha256 the caller has already computed. */
  remember(mobile: string, sha256: string): void {
    const key = digestPrefix(sha256);
    const value = Number(mobile);
    if (this.bySha256.get(key) === value) return; // known: skip the md5
    this.bySha256.set(key, value);
    this.byMd5.set(digestPrefix(md5Hex(mobile)), value);
  }

  /** The number whose lowercase hex sha256 is `sha256`, when it was seen. */
  numberForSha256(sha256: string): string | undefined {
    const candidate = this.bySha256.get(digestPrefix(sha256));
    if (candidate === undefined) return undefined;
    const mobile = String(candidate);
    return sha256Hex(mobile) === sha256 ? mobile : undefined;
  }

  /** The number whose lowercase hex md5 is `md5`, when it was seen. */
  numberForMd5(md5: string): string | undefined {
    const candidate = this.byMd5.get(digestPrefix(md5));
    if (candidate === undefined) return undefined;
    const mobile = String(candidate);
    return md5Hex(mobile) === md5 ? mobile : undefined;
  }

  get size(): number {
    return this.bySha256.size;
  }

  clear(): void {
    this.bySha256.clear();
    this.byMd5.clear();
  }
}

/** The first 52 bits of a lowercase hex digest, as an exact integer. */
export function digestPrefix(hex: string): number {
  return parseInt(hex.slice(0, 13), 16);
}
