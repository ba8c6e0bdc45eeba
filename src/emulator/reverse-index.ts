/**
 * Hash -> number, for the numbers the emulator is told about: fixtures, the
 * `knownNumbers` option (`--numbers FILE`) and `POST /__sim/numbers`. The real service
 * knows every subscriber, so a sha256 or md5 it receives names a number; the emulator
 * only knows the numbers it was told, and this index is how a hash-form request is
 * answered, logged and carrier-checked as that number.
 *
 * Numbers seen in clear during a run are NOT added: the answer to a hash must not
 * depend on what other requests came before it (a run with two workers must answer
 * exactly like a run with one).
 *
 * Memory: each side is two sorted typed arrays, the first 32 bits of each digest and
 * the number as a double: 12 bytes a number, no slack (12 MB for a million). Numbers
 * arrive in batches (fixtures and `knownNumbers` at start, each `POST /__sim/numbers`),
 * each batch sorted and merged in. The md5 side is built only when the first md5
 * lookup arrives, since most runs never send one. A lookup binary-searches the 32-bit
 * prefix and re-hashes each candidate to compare the full digest, so it never maps a
 * hash to the wrong number, and numbers sharing a prefix are all found.
 */
import { md5Hex, sha256Hex } from './digests.js';

/** Packing a 32-bit prefix and a batch position into one exactly sortable double leaves 21 bits for the position. */
const BATCH = 2 ** 21;

class DigestIndex {
  /** First 32 bits of each digest, ascending. */
  private prefixes = new Uint32Array(0);
  /** The number of each, in the same order. */
  private numbers = new Float64Array(0);

  constructor(private readonly digestOf: (mobile: string) => string) {}

  /** Add the numbers (11-digit, as doubles) not yet known; returns how many were new. */
  addAll(mobiles: Float64Array): number {
    let added = 0;
    for (let start = 0; start < mobiles.length; start += BATCH) added += this.addBatch(mobiles.subarray(start, start + BATCH));
    return added;
  }

  find(hex: string): string | undefined {
    const prefix = parseInt(hex.slice(0, 8), 16);
    for (let i = this.lowerBound(prefix); i < this.prefixes.length && this.prefixes[i] === prefix; i++) {
      const mobile = String(this.numbers[i]!);
      if (this.digestOf(mobile) === hex) return mobile;
    }
    return undefined;
  }

  values(): Float64Array {
    return this.numbers;
  }

  get size(): number {
    return this.numbers.length;
  }

  get bytes(): number {
    return this.prefixes.byteLength + this.numbers.byteLength;
  }

  private addBatch(mobiles: Float64Array): number {
    // Sort the batch by prefix: prefix * 2^21 + position is an exact double.
    const packed = new Float64Array(mobiles.length);
    for (let i = 0; i < mobiles.length; i++) packed[i] = parseInt(this.digestOf(String(mobiles[i]!)).slice(0, 8), 16) * BATCH + i;
    packed.sort();
    // Keep the numbers not already known (here or earlier in the batch).
    const newPrefixes = new Uint32Array(mobiles.length);
    const newNumbers = new Float64Array(mobiles.length);
    let count = 0;
    for (let i = 0; i < packed.length; i++) {
      const prefix = Math.floor(packed[i]! / BATCH);
      const number = mobiles[packed[i]! - prefix * BATCH]!;
      if (this.has(prefix, number)) continue;
      let repeated = false;
      for (let j = count - 1; j >= 0 && newPrefixes[j] === prefix; j--) if (newNumbers[j] === number) repeated = true;
      if (repeated) continue;
      newPrefixes[count] = prefix;
      newNumbers[count] = number;
      count++;
    }
    if (count === 0) return 0;
    // Merge the two sorted runs into arrays of the exact new size.
    const total = this.prefixes.length + count;
    const prefixes = new Uint32Array(total);
    const numbers = new Float64Array(total);
    let a = 0;
    let b = 0;
    for (let out = 0; out < total; out++) {
      if (b >= count || (a < this.prefixes.length && this.prefixes[a]! <= newPrefixes[b]!)) {
        prefixes[out] = this.prefixes[a]!;
        numbers[out] = this.numbers[a++]!;
      } else {
        prefixes[out] = newPrefixes[b]!;
        numbers[out] = newNumbers[b++]!;
      }
    }
    this.prefixes = prefixes;
    this.numbers = numbers;
    return count;
  }

  private has(prefix: number, number: number): boolean {
    for (let i = this.lowerBound(prefix); i < this.prefixes.length && this.prefixes[i] === prefix; i++) {
      if (this.numbers[i] === number) return true;
    }
    return false;
  }

  /** The first position whose prefix is at least `prefix`. */
  private lowerBound(prefix: number): number {
    let low = 0;
    let high = this.prefixes.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.prefixes[mid]! < prefix) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

export class ReverseIndex {
  private readonly bySha256 = new DigestIndex(sha256Hex);
  /** Built on the first md5 lookup. */
  private byMd5: DigestIndex | undefined;

  /** Remember 11-digit numbers (already checked; as text or as doubles); returns how many were new. */
  rememberAll(numbers: readonly string[] | Float64Array): number {
    const mobiles = numbers instanceof Float64Array ? numbers : Float64Array.from(numbers, Number);
    const added = this.bySha256.addAll(mobiles);
    // Numbers already known are skipped on the md5 side too.
    if (added > 0 && this.byMd5) this.byMd5.addAll(mobiles);
    return added;
  }

  /** Remember one number; returns whether it was new. Numbers are merged in batches: prefer `rememberAll`. */
  remember(mobile: string): boolean {
    return this.rememberAll([mobile]) === 1;
  }

  /** The known number whose lowercase hex sha256 is `sha256`. */
  numberForSha256(sha256: string): string | undefined {
    return this.bySha256.find(sha256);
  }

  /** The known number whose lowercase hex md5 is `md5`. The first call builds the md5 side. */
  numberForMd5(md5: string): string | undefined {
    return this.md5Index().find(md5);
  }

  /** How many numbers are known. */
  get size(): number {
    return this.bySha256.size;
  }

  /** Whether the md5 side has been built (an md5 has been looked up). */
  get md5Built(): boolean {
    return this.byMd5 !== undefined;
  }

  /** Bytes held by the index's arrays. */
  get bytes(): number {
    return this.bySha256.bytes + (this.byMd5?.bytes ?? 0);
  }

  private md5Index(): DigestIndex {
    if (!this.byMd5) {
      const byMd5 = new DigestIndex(md5Hex);
      byMd5.addAll(this.bySha256.values());
      this.byMd5 = byMd5;
    }
    return this.byMd5;
  }
}
