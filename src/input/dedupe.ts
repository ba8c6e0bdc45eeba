/**
 * The set of numbers seen so far, with the row where each first appeared.
 *
 * A million-row list must dedupe inside the memory target, so numbers are stored as
 * numbers, not strings: an 11-digit number is below 2^37 and a double holds it exactly.
 * An open-addressing table over typed arrays costs 12 bytes a slot (about 17-34 bytes a
 * number at the load kept here), against roughly 80 for a `Map<string, number>`, and
 * puts nothing on the garbage-collected heap per number.
 */

const EMPTY = 0; // no mobile number is 0
/** Linear probing stays short below this load with a mixing hash. */
const MAX_LOAD = 0.7;
const TWO_TO_32 = 4294967296;

export class MobileIndex {
  private keys: Float64Array;
  private firstIndexes: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(expected = 1024) {
    let capacity = 16;
    while (capacity * MAX_LOAD < expected) capacity *= 2;
    this.keys = new Float64Array(capacity);
    this.firstIndexes = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Unique numbers held. */
  get size(): number {
    return this.count;
  }

  /**
   * Records `mobile` as first seen at row `index` and returns -1, or, if it was seen
   * before, returns the row where it was first seen (and records nothing).
   */
  claim(mobile: number, index: number): number {
    if (!(mobile > 0) || !Number.isSafeInteger(mobile)) {
      throw new RangeError('MobileIndex holds positive whole numbers only');
    }
    let slot = this.slotOf(mobile);
    for (;;) {
      const key = this.keys[slot]!;
      if (key === EMPTY) break;
      if (key === mobile) return this.firstIndexes[slot]!;
      slot = (slot + 1) & this.mask;
    }
    this.keys[slot] = mobile;
    this.firstIndexes[slot] = index;
    this.count++;
    if (this.count > this.keys.length * MAX_LOAD) this.grow();
    return -1;
  }

  /** The row where `mobile` was first seen, or -1. */
  firstIndexOf(mobile: number): number {
    let slot = this.slotOf(mobile);
    for (;;) {
      const key = this.keys[slot]!;
      if (key === EMPTY) return -1;
      if (key === mobile) return this.firstIndexes[slot]!;
      slot = (slot + 1) & this.mask;
    }
  }

  private slotOf(mobile: number): number {
    // Mix the low and high 32 bits (Murmur3's finaliser): consecutive numbers, which
    // lists are full of, must not land in consecutive slots.
    const low = mobile >>> 0;
    const high = Math.floor(mobile / TWO_TO_32);
    let hash = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
    return hash & this.mask;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldIndexes = this.firstIndexes;
    this.keys = new Float64Array(oldKeys.length * 2);
    this.firstIndexes = new Uint32Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const key = oldKeys[i]!;
      if (key === EMPTY) continue;
      let slot = this.slotOf(key);
      while (this.keys[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.firstIndexes[slot] = oldIndexes[i]!;
    }
  }
}
