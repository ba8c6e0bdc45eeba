/**
 * A compact hash table for the emulator's per-number bookkeeping, which must hold a
 * million entries in tens of megabytes rather than the hundreds a `Map` with string
 * (or 52-bit heap-number) keys costs.
 *
 * Keys are 64 bits given as two unsigned 32-bit halves, taken from a digest that is
 * already uniformly random (see {@link digestKey}); values are numbers in a typed
 * array (`Uint32Array` for rows and counts, `Float64Array` for 11-digit numbers).
 * Open addressing with linear probing, at most 3/4 full, doubled when it gets there:
 * 12 or 16 bytes a slot, between 16 and 43 bytes an entry. The key (0, 0) marks an
 * empty slot, so a real key (0, 0) is stored as (0, 1); callers that need exactness
 * check the value they get back against the full digest.
 */

export type ValueArray = Uint32Array | Float64Array;
type ValueArrayConstructor = new (length: number) => ValueArray;

const INITIAL_CAPACITY = 1_024;
const MAX_LOAD = 0.75;

export class CompactTable {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private values: ValueArray;
  private mask: number;
  private count = 0;

  constructor(private readonly Values: ValueArrayConstructor) {
    this.hi = new Uint32Array(INITIAL_CAPACITY);
    this.lo = new Uint32Array(INITIAL_CAPACITY);
    this.values = new Values(INITIAL_CAPACITY);
    this.mask = INITIAL_CAPACITY - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength + this.values.byteLength;
  }

  get(hi: number, lo: number): number | undefined {
    if (hi === 0 && lo === 0) lo = 1;
    for (let slot = lo & this.mask; ; slot = (slot + 1) & this.mask) {
      const slotHi = this.hi[slot]!;
      const slotLo = this.lo[slot]!;
      if (slotHi === hi && slotLo === lo) return this.values[slot]!;
      if (slotHi === 0 && slotLo === 0) return undefined;
    }
  }

  set(hi: number, lo: number, value: number): void {
    if (hi === 0 && lo === 0) lo = 1;
    const slot = this.slotFor(hi, lo);
    if (this.hi[slot] === 0 && this.lo[slot] === 0) {
      this.hi[slot] = hi;
      this.lo[slot] = lo;
      this.count++;
      this.values[slot] = value;
      if (this.count > (this.mask + 1) * MAX_LOAD) this.grow();
      return;
    }
    this.values[slot] = value;
  }

  clear(): void {
    this.hi = new Uint32Array(INITIAL_CAPACITY);
    this.lo = new Uint32Array(INITIAL_CAPACITY);
    this.values = new this.Values(INITIAL_CAPACITY);
    this.mask = INITIAL_CAPACITY - 1;
    this.count = 0;
  }

  /** Every stored value, in slot order. */
  *storedValues(): Generator<number> {
    for (let slot = 0; slot <= this.mask; slot++) {
      if (this.hi[slot] !== 0 || this.lo[slot] !== 0) yield this.values[slot]!;
    }
  }

  /** The slot holding the key, or the empty slot where it would go. */
  private slotFor(hi: number, lo: number): number {
    let slot = lo & this.mask;
    for (;;) {
      const slotHi = this.hi[slot]!;
      const slotLo = this.lo[slot]!;
      if ((slotHi === hi && slotLo === lo) || (slotHi === 0 && slotLo === 0)) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const { hi, lo, values } = this;
    const capacity = (this.mask + 1) * 2;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.values = new this.Values(capacity);
    this.mask = capacity - 1;
    for (let old = 0; old < hi.length; old++) {
      const h = hi[old]!;
      const l = lo[old]!;
      if (h === 0 && l === 0) continue;
      const slot = this.slotFor(h, l);
      this.hi[slot] = h;
      this.lo[slot] = l;
      this.values[slot] = values[old]!;
    }
  }
}

/**
 * The 64-bit table key of a lowercase hex digest under a 32-bit `tag` (what else the
 * key depends on: an endpoint, a date). The first 16 hex digits of the digest are
 * mixed with the tag through a bijection, so one digest under two tags gives two
 * keys, and two different (digest, tag) pairs share a key with probability 2^-64.
 */
export function digestKey(hex: string, tag = 0): [hi: number, lo: number] {
  const hi = parseInt(hex.slice(0, 8), 16);
  const lo = parseInt(hex.slice(8, 16), 16);
  if (tag === 0) return [hi, lo];
  return [(hi ^ fmix32(tag)) >>> 0, (lo ^ fmix32((tag ^ 0x9e3779b9) >>> 0)) >>> 0];
}

/** MurmurHash3's 32-bit finalizer: a bijection on uint32 that spreads every bit. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A multimap from 32-bit keys to ledger rows, for lookups the caller verifies against
 * the row itself: each slot is 8 bytes (key, row + 1; 0 marks an empty slot), kept at
 * most 3/4 full. Several rows may share a key (a 32-bit prefix collision); `find`
 * returns the first the caller accepts, so a collision costs a check, never a wrong
 * answer, and needs no side table.
 */
export class RowTable {
  private keys = new Uint32Array(INITIAL_CAPACITY);
  /** row + 1; 0 = empty. */
  private rows = new Uint32Array(INITIAL_CAPACITY);
  private mask = INITIAL_CAPACITY - 1;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.keys.byteLength + this.rows.byteLength;
  }

  /** The first row under `key` that `accept` takes. */
  find(key: number, accept: (row: number) => boolean): number | undefined {
    for (let slot = spread(key) & this.mask; this.rows[slot] !== 0; slot = (slot + 1) & this.mask) {
      if (this.keys[slot] === key && accept(this.rows[slot]! - 1)) return this.rows[slot]! - 1;
    }
    return undefined;
  }

  /** Add `row` under `key` (the caller has checked it is not there). */
  add(key: number, row: number): void {
    let slot = spread(key) & this.mask;
    while (this.rows[slot] !== 0) slot = (slot + 1) & this.mask;
    this.keys[slot] = key;
    this.rows[slot] = row + 1;
    this.count++;
    if (this.count > (this.mask + 1) * MAX_LOAD) this.grow();
  }

  clear(): void {
    this.keys = new Uint32Array(INITIAL_CAPACITY);
    this.rows = new Uint32Array(INITIAL_CAPACITY);
    this.mask = INITIAL_CAPACITY - 1;
    this.count = 0;
  }

  private grow(): void {
    const { keys, rows } = this;
    const capacity = (this.mask + 1) * 2;
    this.keys = new Uint32Array(capacity);
    this.rows = new Uint32Array(capacity);
    this.mask = capacity - 1;
    for (let old = 0; old < keys.length; old++) {
      if (rows[old] === 0) continue;
      let slot = spread(keys[old]!) & this.mask;
      while (this.rows[slot] !== 0) slot = (slot + 1) & this.mask;
      this.keys[slot] = keys[old]!;
      this.rows[slot] = rows[old]!;
    }
  }
}

/** Keys are digest bits already; spread them anyway so structured test keys probe well. */
function spread(key: number): number {
  return Math.imul(key, 0x9e3779b1) >>> 0;
}
