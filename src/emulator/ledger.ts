/**
 * The billing ledger: every Juhe call the emulator answered, in order, with the number
 * as the emulator understood it (or the hash it could not reverse), the code, whether
 * it was billed (only error_code 0 is), and two times: the wall clock (`time`) and the
 * monotonic clock the rate limiter uses (`t_ms`). Tests and benchmarks read it to
 * prove that no question was billed twice.
 *
 * A question is a number on one endpoint (and, for the resale API, one `date`);
 * `duplicateBilled` counts those billed more than once. `duplicateBilledByApi` counts
 * the same across the endpoints of one API (a number asked on `twoSellTel/query` and
 * `twoSellTel/queryEncry` for one date is one question billed twice).
 *
 * Memory: entries live in typed-array columns, 38 bytes a call (plus 33 for a hash
 * that could not be reversed), allocated 64k rows at a time. Each billed question
 * adds one entry to a table of 8-byte slots kept at most 3/4 full (11-21 bytes a
 * billed call), two for a resale question asked by number (its md5 too, so that a
 * number billed once as an md5 that could not be reversed and once by number, in
 * either order, is caught). So about 50-60 bytes a billed call; docs/emulator.md has
 * the measured figures for a whole process.
 */
import {
  API_IDS,
  ENDPOINTS,
  ENDPOINT_IDS,
  FORMS,
  formsOf,
  type ApiId,
  type EndpointId,
  type Form,
} from '../juhe/catalogue.js';
import { md5Hex, sha256Hex } from './digests.js';
import { digestKey, RowTable } from './compact-table.js';
import { questionTag, type Identity } from './identity.js';

/** One call as `GET /__sim/calls` prints it (one JSON object per line). */
export interface LedgerEntry {
  /** 0-based position since start or the last reset. */
  seq: number;
  /** When the call arrived, ISO 8601 UTC (wall clock). */
  time: string;
  /**
   * When the call arrived on the monotonic clock the rate limiter uses:
   * `performance.timeOrigin + performance.now()`, milliseconds with fractions.
   */
  t_ms: number;
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
  /** (endpoint, date, number) questions billed more than once. Must be 0 in a correct run. */
  duplicateBilled: number;
  /** Billed calls beyond the first for those questions (money wasted). */
  duplicateBilledCalls: number;
  /** The first few such questions, in ledger order of their first billing. */
  duplicateBilledPairs: DuplicatePair[];
  /** (API, date, number) questions billed more than once, over the API's endpoints. Must be 0. */
  duplicateBilledByApi: number;
  /** Billed calls beyond the first for those questions. */
  duplicateBilledByApiCalls: number;
  /** The first few such questions, in ledger order of their first billing. */
  duplicateBilledByApiQuestions: DuplicateQuestion[];
}

export interface DuplicatePair {
  endpoint: EndpointId;
  /** The number (or the hash) as the first billed call of the question had it. */
  mobile: string | null;
  hash: string | null;
  hash_type: 'sha256' | 'md5' | null;
  /** The resale `date`; null for the other APIs. */
  date: string | null;
  times: number;
}

export interface DuplicateQuestion {
  api: ApiId;
  /** The endpoint of the first billed call. */
  endpoint: EndpointId;
  mobile: string | null;
  hash: string | null;
  hash_type: 'sha256' | 'md5' | null;
  date: string | null;
  times: number;
}

export interface LedgerRecord {
  /** Wall time, ms since the epoch. */
  timeMs: number;
  /** Monotonic time, the rate limiter's clock. */
  tMs: number;
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
/** How many duplicate questions `stats()` lists, per kind. */
export const DUPLICATE_PAIRS_SHOWN = 20;

const ENDPOINT_INDEX = new Map<EndpointId, number>(ENDPOINT_IDS.map((id, i) => [id, i]));
const FORM_INDEX = new Map<Form, number>(FORMS.map((form, i) => [form, i]));
const API_INDEX_OF_ENDPOINT = ENDPOINT_IDS.map((id) => API_IDS.indexOf(ENDPOINTS[id].api));
const takesMd5 = (forms: readonly Form[]): boolean => forms.includes('md5') || forms.includes('md5+aes');
/** APIs that can be sent an md5: a number billed there is also keyed by its md5. */
const API_TAKES_MD5 = API_IDS.map((api) => takesMd5(formsOf(api)));

interface Chunk {
  time: Float64Array;
  tMs: Float64Array;
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

interface DigestKeyOf {
  kind: 'sha256' | 'md5';
  hex: string;
}

/** A question billed more than once: how often, and how often on each endpoint. */
interface RepeatedQuestion {
  times: number;
  /** endpoint index -> the first row billed there and how often it was billed there. */
  endpoints: Map<number, { first: number; times: number }>;
}

/**
 * Questions billed so far, per API: each digest key (the question's sha256 or md5,
 * under its API and date) maps to the first row billed under exactly that key. The
 * table is keyed by 32 bits of the digest mixed with the API and date, and every hit
 * is checked against the row's endpoint, date and full digest, so a key collision
 * costs a check and can never merge two questions. Keys of one question met in two forms (an md5 that could not be
 * reversed, then the number) are joined into one group, named by its first row.
 *
 * A question billed twice on one endpoint is also billed twice on its API, so the
 * per-endpoint counts are kept only for questions already billed more than once:
 * one table serves both.
 */
class BilledQuestions {
  private readonly table = new RowTable();
  /** Row -> the first row of its group, for rows whose group was joined to an earlier one. */
  private readonly joined = new Map<number, number>();
  /** First row of a group -> its counts, for groups billed more than once. */
  readonly repeated = new Map<number, RepeatedQuestion>();

  constructor(
    private readonly endpointOfRow: (row: number) => number,
    private readonly rowDate: (row: number) => number,
    private readonly digestOfRow: (row: number, kind: 'sha256' | 'md5') => string | undefined,
  ) {}

  get bytes(): number {
    return this.table.bytes;
  }

  /** A billed call at `row` on `endpoint`, known by `keys` (one digest, or a number's sha256 and md5). */
  note(row: number, endpoint: number, date: number, keys: readonly DigestKeyOf[]): void {
    const api = API_INDEX_OF_ENDPOINT[endpoint]!;
    const groups: number[] = [];
    let registered = false;
    for (const key of keys) {
      const keyRow = this.find(api, date, key);
      if (keyRow === undefined) {
        this.register(api, date, key, row);
        registered = true;
      } else {
        const group = this.groupOf(keyRow);
        if (!groups.includes(group)) groups.push(group);
      }
    }
    if (groups.length === 0) return;
    const first = Math.min(...groups);
    const merged: RepeatedQuestion = { times: 1, endpoints: new Map([[endpoint, { first: row, times: 1 }]]) };
    for (const group of groups) {
      const known = this.repeated.get(group) ?? { times: 1, endpoints: new Map([[this.endpointOfRow(group), { first: group, times: 1 }]]) };
      merged.times += known.times;
      for (const [index, counts] of known.endpoints) {
        const there = merged.endpoints.get(index);
        if (there) merged.endpoints.set(index, { first: Math.min(there.first, counts.first), times: there.times + counts.times });
        else merged.endpoints.set(index, { ...counts });
      }
      if (group !== first) {
        this.joined.set(group, first);
        this.repeated.delete(group);
      }
    }
    this.repeated.set(first, merged);
    if (registered) this.joined.set(row, first);
  }

  clear(): void {
    this.table.clear();
    this.joined.clear();
    this.repeated.clear();
  }

  private groupOf(row: number): number {
    let group = row;
    for (let next = this.joined.get(group); next !== undefined; next = this.joined.get(group)) group = next;
    return group;
  }

  private find(api: number, date: number, key: DigestKeyOf): number | undefined {
    return this.table.find(tableKey(api, date, key), (row) => this.matches(row, api, date, key));
  }

  private register(api: number, date: number, key: DigestKeyOf, row: number): void {
    this.table.add(tableKey(api, date, key), row);
  }

  private matches(row: number, api: number, date: number, key: DigestKeyOf): boolean {
    return (
      API_INDEX_OF_ENDPOINT[this.endpointOfRow(row)] === api &&
      this.rowDate(row) === date &&
      this.digestOfRow(row, key.kind) === key.hex
    );
  }
}

/** The 32-bit table key of a question: the low half of its 64-bit digest key. */
function tableKey(api: number, date: number, key: DigestKeyOf): number {
  return digestKey(key.hex, questionTag(api, date, key.kind))[1];
}

export class Ledger {
  private chunks: Chunk[] = [];
  private hashChunks: HashChunk[] = [];
  private length = 0;
  private hashCount = 0;
  private billedCount = 0;
  private generation = 0;
  private readonly counts = new Map<string, Map<number, number>>();
  private readonly questions = new BilledQuestions(
    (row) => this.column(row, 'endpoint'),
    (row) => this.column(row, 'date'),
    (row, kind) => this.digestOf(row, kind),
  );

  get size(): number {
    return this.length;
  }

  get billed(): number {
    return this.billedCount;
  }

  /** Changes on every `clear()`, so a reader can tell its rows are gone. */
  get epoch(): number {
    return this.generation;
  }

  /** Bytes held by the columns and the duplicate-detection tables. */
  get bytes(): number {
    const perChunk = CHUNK * (8 + 8 + 1 + 1 + 8 + 4 + 4 + 4);
    return this.chunks.length * perChunk + this.hashChunks.length * CHUNK * (HASH_BYTES + 1) + this.questions.bytes;
  }

  record(call: LedgerRecord): void {
    const row = this.length;
    const chunkIndex = Math.floor(row / CHUNK);
    const offset = row % CHUNK;
    if (chunkIndex === this.chunks.length) this.chunks.push(newChunk());
    const chunk = this.chunks[chunkIndex]!;
    const endpointIndex = ENDPOINT_INDEX.get(call.endpoint)!;
    const date = call.date ? Number(call.date) : 0;
    chunk.time[offset] = call.timeMs;
    chunk.tMs[offset] = call.tMs;
    chunk.endpoint[offset] = endpointIndex;
    const identity = call.identity;
    chunk.form[offset] = identity ? FORM_INDEX.get(identity.form)! : NO_FORM;
    chunk.mobile[offset] = identity?.kind === 'number' ? Number(identity.mobile) : Number.NaN;
    chunk.date[offset] = date;
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
      if (identity) this.noteBilled(row, endpointIndex, date, identity);
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
      t_ms: chunk.tMs[offset]!,
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
    const pairs: Array<[first: number, times: number]> = [];
    const questions: Array<[first: number, times: number]> = [];
    for (const [first, repeated] of this.questions.repeated) {
      questions.push([first, repeated.times]);
      for (const counts of repeated.endpoints.values()) if (counts.times > 1) pairs.push([counts.first, counts.times]);
    }
    return {
      calls: this.length,
      billed: this.billedCount,
      byEndpoint,
      byCode,
      duplicateBilled: pairs.length,
      duplicateBilledCalls: extraCalls(pairs),
      duplicateBilledPairs: firstFew(pairs).map(([row, times]): DuplicatePair => {
        const { endpoint, mobile, hash, hash_type, date } = this.entryAt(row);
        return { endpoint, mobile, hash, hash_type, date, times };
      }),
      duplicateBilledByApi: questions.length,
      duplicateBilledByApiCalls: extraCalls(questions),
      duplicateBilledByApiQuestions: firstFew(questions).map(([row, times]): DuplicateQuestion => {
        const { endpoint, mobile, hash, hash_type, date } = this.entryAt(row);
        return { api: ENDPOINTS[endpoint].api, endpoint, mobile, hash, hash_type, date, times };
      }),
    };
  }

  clear(): void {
    this.chunks = [];
    this.hashChunks = [];
    this.length = 0;
    this.hashCount = 0;
    this.billedCount = 0;
    this.generation++;
    this.counts.clear();
    this.questions.clear();
  }

  /** Track the billed question; a number on an API that takes md5 forms is also keyed by its md5. */
  private noteBilled(row: number, endpointIndex: number, date: number, identity: Identity): void {
    const primary: DigestKeyOf = identity.kind === 'md5' ? { kind: 'md5', hex: identity.md5 } : { kind: 'sha256', hex: identity.sha256 };
    const keys =
      identity.kind === 'number' && API_TAKES_MD5[API_INDEX_OF_ENDPOINT[endpointIndex]!]
        ? [primary, { kind: 'md5' as const, hex: md5Hex(identity.mobile) }]
        : [primary];
    this.questions.note(row, endpointIndex, date, keys);
  }

  private column(row: number, name: 'endpoint' | 'date'): number {
    return this.chunks[Math.floor(row / CHUNK)]![name][row % CHUNK]!;
  }

  /** The digest of a row's number of `kind`: its stored hash, or computed from the number. */
  private digestOf(row: number, kind: 'sha256' | 'md5'): string | undefined {
    const chunk = this.chunks[Math.floor(row / CHUNK)]!;
    const offset = row % CHUNK;
    const hash = this.hashAt(chunk.hashSlot[offset]!);
    if (hash) return hash.type === kind ? hash.hex : undefined;
    const mobile = chunk.mobile[offset]!;
    if (Number.isNaN(mobile)) return undefined;
    return kind === 'sha256' ? sha256Hex(String(mobile)) : md5Hex(String(mobile));
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

/** Billed calls beyond the first, over (first row, times) pairs. */
function extraCalls(repeated: ReadonlyArray<[number, number]>): number {
  return repeated.reduce((sum, [, times]) => sum + times - 1, 0);
}

/** The first few, in ledger order of their first billing. */
function firstFew(repeated: Array<[number, number]>): Array<[number, number]> {
  return repeated.sort((a, b) => a[0] - b[0]).slice(0, DUPLICATE_PAIRS_SHOWN);
}

function newChunk(): Chunk {
  return {
    time: new Float64Array(CHUNK),
    tMs: new Float64Array(CHUNK),
    endpoint: new Uint8Array(CHUNK),
    form: new Uint8Array(CHUNK),
    mobile: new Float64Array(CHUNK),
    date: new Uint32Array(CHUNK),
    code: new Int32Array(CHUNK),
    hashSlot: new Int32Array(CHUNK),
  };
}
