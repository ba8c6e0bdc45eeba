/**
 * The billing ledger: every Juhe call the emulator answered, in order, with the number
 * as the emulator understood it (or the hash it could not reverse), the code and
 * whether it was billed (only error_code 0 is). Tests and benchmarks read it to prove
 * that no (endpoint, number) pair was billed twice.
 *
 * A million-call run must not blow memory, so entries live in typed-array columns
 * (about 30 bytes a call; a hash that could not be reversed adds 32 bytes), the counts
 * are kept as calls arrive, and duplicate detection keys on the first 52 bits of the
 * number's sha256 (or the md5 when that is all there is), checked against the full
 * digest when two calls share a key.
 */
import { ENDPOINT_IDS, FORMS, type EndpointId, type Form } from '../juhe/catalogue.js';
import { sha256Hex } from '../juhe/ciphers.js';
import type { Identity } from './identity.js';
import { digestPrefix } from './reverse-index.js';

/** One call as `GET /__sim/calls` prints it (one JSON object per line). */
export interface LedgerEntry {
  /** 0-based position since start or the last reset. */
  seq: number;
  /** When the call arrived, ISO 8601 UTC. */
  time: string;
  endpoint: EndpointId;
  /** The form the number came in, when the emulator could tell. */
  form: Form | null;
  /** The 11 digits, when sent in clear, decrypted, or a hash the emulator could reverse. */
  mobile: string | null;
  /** The lowercase hex digest, when it could not be reversed to a number. */
  hash: string | null;
  hash_type: 'sha256' | 'md5' | null;
  /** twoSellTel's `date`, when valid. */
  date: string | null;
  error_code: number;
  billed: boolean;
}

/** `GET /__sim/stats`. */
export interface LedgerStats {
  calls: number;
  billed: number;
  /** endpoint -> error_code (as text) -> calls. */
  byEndpoint: Record<string, Record<string, number>>;
  /** error_code (as text) -> calls, over all endpoints. */
  byCode: Record<string, number>;
  /** (endpoint, number) pairs billed more than once. Must be 0 in a correct run. */
  duplicateBilled: number;
  /** Billed calls beyond the first for those pairs (money wasted). */
  duplicateBilledCalls: number;
  /** The first few such pairs. */
  duplicateBilledPairs: DuplicatePair[];
}

export interface DuplicatePair {
  endpoint: EndpointId;
  mobile: string | null;
  hash: string | null;
  hash_type: 'sha256' | 'md5' | null;
  times: number;
}

export interface LedgerRecord {
  timeMs: number;
  endpoint: EndpointId;
  /** Undefined when `mobile` could not be decoded at all. */
  identity: Identity | undefined;
  date?: string | undefined;
  errorCode: number;
}

const CHUNK = 65_536;
const NO_FORM = 255;
const NO_HASH = -1;
const HASH_BYTES = 32;
const HASH_SHA256 = 1;
const HASH_MD5 = 2;
/** How many duplicate pairs `stats()` lists. */
export const DUPLICATE_PAIRS_SHOWN = 20;

interface Chunk {
  time: Float64Array;
  endpoint: Uint8Array;
  form: Uint8Array;
  mobile: Float64Array;
  date: Uint32Array;
  code: Int32Array;
  hashSlot: Int32Array;
}

interface HashChunk {
  bytes: Uint8Array;
  type: Uint8Array;
}

export class Ledger {
  private chunks: Chunk[] = [];
  private hashChunks: HashChunk[] = [];
  private length = 0;
  private hashCount = 0;
  private billedCount = 0;
  private readonly counts = new Map<string, Map<number, number>>();
  /** Per endpoint and digest kind: digest prefix -> row of the first billed call. */
  private firstBilled = new Map<string, Map<number, number>>();
  /** Pairs whose digest prefix collided with another pair's: full key -> first row. */
  private firstBilledOverflow = new Map<string, number>();
  private duplicates = new Map<string, { endpoint: EndpointId; row: number; times: number }>();
  private duplicateCalls = 0;

  get size(): number {
    return this.length;
  }

  get billed(): number {
    return this.billedCount;
  }

  record(call: LedgerRecord): void {
    const row = this.length;
    const chunkIndex = Math.floor(row / CHUNK);
    const offset = row % CHUNK;
    if (chunkIndex === this.chunks.length) this.chunks.push(newChunk());
    const chunk = this.chunks[chunkIndex]!;
    chunk.time[offset] = call.timeMs;
    chunk.endpoint[offset] = ENDPOINT_IDS.indexOf(call.endpoint);
    const identity = call.identity;
    chunk.form[offset] = identity ? FORMS.indexOf(identity.form) : NO_FORM;
    chunk.mobile[offset] = identity?.kind === 'number' ? Number(identity.mobile) : Number.NaN;
    chunk.date[offset] = call.date ? Number(call.date) : 0;
    chunk.code[offset] = call.errorCode;
    chunk.hashSlot[offset] =
      identity?.kind === 'sha256'
        ? this.storeHash(identity.sha256, HASH_SHA256)
        : identity?.kind === 'md5'
          ? this.storeHash(identity.md5, HASH_MD5)
          : NO_HASH;
    this.length++;

    let byCode = this.counts.get(call.endpoint);
    if (!byCode) this.counts.set(call.endpoint, (byCode = new Map()));
    byCode.set(call.errorCode, (byCode.get(call.errorCode) ?? 0) + 1);

    if (call.errorCode === 0) {
      this.billedCount++;
      if (identity) this.noteBilled(call.endpoint, identity, row);
    }
  }

  /** Entries from `from` (inclusive), at most `limit` of them. */
  *entries(from = 0, limit = Number.POSITIVE_INFINITY): Generator<LedgerEntry> {
    const end = Math.min(this.length, from + limit);
    for (let row = Math.max(0, from); row < end; row++) yield this.entryAt(row);
  }

  entryAt(row: number): LedgerEntry {
    const chunk = this.chunks[Math.floor(row / CHUNK)]!;
    const offset = row % CHUNK;
    const mobile = chunk.mobile[offset]!;
    const formIndex = chunk.form[offset]!;
    const date = chunk.date[offset]!;
    const code = chunk.code[offset]!;
    const hash = this.hashAt(chunk.hashSlot[offset]!);
    return {
      seq: row,
      time: new Date(chunk.time[offset]!).toISOString(),
      endpoint: ENDPOINT_IDS[chunk.endpoint[offset]!]!,
      form: formIndex === NO_FORM ? null : FORMS[formIndex]!,
      mobile: Number.isNaN(mobile) ? null : String(mobile),
      hash: hash?.hex ?? null,
      hash_type: hash?.type ?? null,
      date: date === 0 ? null : String(date),
      error_code: code,
      billed: code === 0,
    };
  }

  stats(): LedgerStats {
    const byEndpoint: Record<string, Record<string, number>> = {};
    const byCode: Record<string, number> = {};
    for (const [endpoint, codes] of this.counts) {
      const perCode: Record<string, number> = {};
      for (const [code, count] of [...codes].sort((a, b) => a[0] - b[0])) {
        perCode[String(code)] = count;
        byCode[String(code)] = (byCode[String(code)] ?? 0) + count;
      }
      byEndpoint[endpoint] = perCode;
    }
    const duplicateBilledPairs: DuplicatePair[] = [];
    for (const { endpoint, row, times } of this.duplicates.values()) {
      if (duplicateBilledPairs.length >= DUPLICATE_PAIRS_SHOWN) break;
      const entry = this.entryAt(row);
      duplicateBilledPairs.push({ endpoint, mobile: entry.mobile, hash: entry.hash, hash_type: entry.hash_type, times });
    }
    return {
      calls: this.length,
      billed: this.billedCount,
      byEndpoint,
      byCode,
      duplicateBilled: this.duplicates.size,
      duplicateBilledCalls: this.duplicateCalls,
      duplicateBilledPairs,
    };
  }

  clear(): void {
    this.chunks = [];
    this.hashChunks = [];
    this.length = 0;
    this.hashCount = 0;
    this.billedCount = 0;
    this.counts.clear();
    this.firstBilled = new Map();
    this.firstBilledOverflow = new Map();
    this.duplicates = new Map();
    this.duplicateCalls = 0;
  }

  /** Track billed (endpoint, number) pairs; a second billing of a pair is a duplicate. */
  private noteBilled(endpoint: EndpointId, identity: Identity, row: number): void {
    const kind = identity.kind === 'md5' ? 'md5' : 'sha256';
    const digest = identity.kind === 'md5' ? identity.md5 : identity.sha256;
    const mapKey = `${endpoint}\n${kind}`;
    let firsts = this.firstBilled.get(mapKey);
    if (!firsts) this.firstBilled.set(mapKey, (firsts = new Map()));
    const prefix = digestPrefix(digest);
    const first = firsts.get(prefix);
    const pairKey = `${mapKey}\n${digest}`;
    if (first === undefined) {
      firsts.set(prefix, row);
      return;
    }
    let firstRow: number | undefined = first;
    if (this.digestOf(first, kind) !== digest) {
      // Another pair shares the 52-bit prefix (vanishingly rare): fall back to exact keys.
      firstRow = this.firstBilledOverflow.get(pairKey);
      if (firstRow === undefined) {
        this.firstBilledOverflow.set(pairKey, row);
        return;
      }
    }
    const duplicate = this.duplicates.get(pairKey);
    if (duplicate) duplicate.times++;
    else this.duplicates.set(pairKey, { endpoint, row: firstRow, times: 2 });
    this.duplicateCalls++;
  }

  /** The digest a row was billed under: the sha256 of its number, or its stored hash. */
  private digestOf(row: number, kind: 'sha256' | 'md5'): string | undefined {
    const chunk = this.chunks[Math.floor(row / CHUNK)]!;
    const offset = row % CHUNK;
    const hash = this.hashAt(chunk.hashSlot[offset]!);
    if (hash) return hash.type === kind ? hash.hex : undefined;
    const mobile = chunk.mobile[offset]!;
    if (Number.isNaN(mobile) || kind !== 'sha256') return undefined;
    return sha256Hex(String(mobile));
  }

  private storeHash(hex: string, type: number): number {
    const slot = this.hashCount++;
    const chunkIndex = Math.floor(slot / CHUNK);
    if (chunkIndex === this.hashChunks.length) {
      this.hashChunks.push({ bytes: new Uint8Array(CHUNK * HASH_BYTES), type: new Uint8Array(CHUNK) });
    }
    const chunk = this.hashChunks[chunkIndex]!;
    const offset = slot % CHUNK;
    chunk.bytes.set(Buffer.from(hex, 'hex'), offset * HASH_BYTES);
    chunk.type[offset] = type;
    return slot;
  }

  private hashAt(slot: number): { hex: string; type: 'sha256' | 'md5' } | undefined {
    if (slot === NO_HASH) return undefined;
    const chunk = this.hashChunks[Math.floor(slot / CHUNK)]!;
    const offset = slot % CHUNK;
    const type = chunk.type[offset] === HASH_MD5 ? 'md5' : 'sha256';
    const length = type === 'md5' ? 16 : 32;
    const start = offset * HASH_BYTES;
    return { hex: Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset + start, length).toString('hex'), type };
  }
}

function newChunk(): Chunk {
  return {
    time: new Float64Array(CHUNK),
    endpoint: new Uint8Array(CHUNK),
    form: new Uint8Array(CHUNK),
    mobile: new Float64Array(CHUNK),
    date: new Uint32Array(CHUNK),
    code: new Int32Array(CHUNK),
    hashSlot: new Int32Array(CHUNK),
  };
}
