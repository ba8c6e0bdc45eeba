/**
 * The stores of the local engine in one SQLite file, so a crash does not lose answers
 * already paid for: the same interfaces and semantics as the memory store
 * (src/engine/memory-store.ts), durable, and shared safely by every process that opens
 * the same file (the cache and the rate gate shared, locks exclusive across them).
 *
 * Durability: WAL with synchronous=NORMAL. A committed write is in the WAL before the
 * promise resolves, and the WAL survives kill -9 of the process (the OS has the bytes).
 * A power cut or an OS crash may lose the last moments of commits (they were not yet
 * fsync'ed), never the file's consistency: synchronous=FULL would fsync every answer and
 * cost most of the store's speed for a case that loses seconds, not a batch.
 *
 * Concurrency: every write is one transaction begun IMMEDIATE, so it takes the write
 * lock before reading what it decides on (two processes never both read then deadlock
 * upgrading); a busy file is waited for up to 10 s. Reads that span several statements
 * run in one deferred (read) transaction for a consistent view.
 *
 * A write that fails because the file cannot be written (full disk, permissions, I/O)
 * rolls back whole and is rethrown as a StoreWriteError naming the file.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { ApiId } from '../juhe/catalogue.js';
import { COUNTER_NAMES, FINAL_STATUSES, emptyCounters, type BatchHold, type BatchMeta, type BatchStatus, type BatchView, type CounterName } from './batch.js';
import {
  billedTotalOf,
  emptyBilledTotals,
  type BatchStore,
  type BilledTotals,
  type CallTurn,
  type EngineStores,
  type InflightLocks,
  type RateGate,
  type RecordOutcome,
  type ResultCache,
  type StatusPatch,
} from './store.js';
import { paceIntervalMs } from './rate-window.js';
import { migrate } from './sqlite-schema.js';
import { SqliteSessions } from './sqlite-sessions.js';
import { StoreWriteError } from './store-errors.js';
import { rethrowAsStoreWrite, storeWriteErrorOf } from './sqlite-write-errors.js';

export interface SqliteStoreSettings {
  /** The database file; its folder is created if missing. */
  file: string;
  /** Clock in ms since the epoch; tests inject one. Default: Date.now (the wall clock every process on the machine shares). */
  now?: () => number;
  /** How long this process's session lease lasts without renewal, ms (default 30_000; renewed every third of it by an unref'd timer). */
  leaseMs?: number;
  /**
   * At most this many pages in the file (PRAGMA max_page_count): past it a write fails
   * with SQLITE_FULL as on a full disk. For tests; unset means SQLite's own limit.
   */
  maxPages?: number;
}

export interface SqliteStores extends EngineStores {
  batches: SqliteBatchStore;
  cache: SqliteResultCache;
  locks: SqliteInflightLocks;
  gate: SqliteRateGate;
  /** This process's session id in the store (registered at open with pid and hostname). */
  session: string;
  file: string;
  /** The bytes the store takes on disk: the file and its write-ahead log. */
  fileBytes(): Promise<number>;
  /**
   * Give free pages back to the disk (a checkpoint, then VACUUM), unless another process
   * has the store open: VACUUM holds the write lock for as long as it copies the file,
   * and a run waiting on it past the busy timeout would stop. Resolves with the bytes
   * after, and whether it compacted.
   */
  compact(): Promise<{ bytes: number; compacted: boolean }>;
  /** Stop the lease timer, drop this session's row, its locks and its batch claims, close the database. Idempotent. */
  close(): void;
}

export type BatchClaim = { claimed: true } | { claimed: false; by: { pid: number; host: string } };

const DEFAULT_LEASE_MS = 30_000;
/** How long SQLite itself waits for another process's lock (its busy handler). */
const BUSY_TIMEOUT_MS = 10_000;
/** A SQLITE_BUSY given at once is tried again this many times, a little later each time (about 2 s in all). */
const IMMEDIATE_BUSY_RETRIES = 20;

/**
 * `fn`, again after a short pause when SQLite answered SQLITE_BUSY without using up its
 * busy timeout (a wait that ran the whole timeout is not tried again: that is another
 * process holding the lock). The pause blocks the thread, as SQLite's own wait does.
 */
export function withBusyRetry<R>(fn: () => R): R {
  for (let attempt = 0; ; attempt++) {
    const started = Date.now();
    try {
      return fn();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const busy = typeof code === 'string' && code.startsWith('SQLITE_BUSY');
      if (!busy || attempt >= IMMEDIATE_BUSY_RETRIES || Date.now() - started >= BUSY_TIMEOUT_MS / 2) throw error;
      Atomics.wait(PAUSE, 0, 0, 5 + attempt * 10);
    }
  }
}
const PAUSE = new Int32Array(new SharedArrayBuffer(4));
const FINAL_LIST: readonly BatchStatus[] = [...FINAL_STATUSES];
const KNOWN_COUNTERS: ReadonlySet<string> = new Set(COUNTER_NAMES);

/** What every store of one open file shares. */
class SqliteContext {
  constructor(
    readonly db: Database.Database,
    readonly file: string,
    readonly now: () => number,
    readonly sessions: SqliteSessions,
  ) {}

  /**
   * `fn` as one IMMEDIATE transaction; a failure to write becomes a StoreWriteError
   * (after the rollback). A SQLITE_BUSY that SQLite gives at once instead of waiting
   * (it does so where waiting could deadlock, and while another connection sets up or
   * recovers the file) is tried again: nothing of the transaction was done.
   */
  writer<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const transaction = this.db.transaction(fn);
    return (...args: A): R => {
      try {
        return withBusyRetry(() => transaction.immediate(...args));
      } catch (error) {
        return rethrowAsStoreWrite(error, this.file);
      }
    };
  }

  /** `fn` as one read transaction: several statements, one snapshot (a SQLITE_BUSY at once is tried again, as for writes). */
  reader<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const transaction = this.db.transaction(fn);
    return (...args: A): R => withBusyRetry(() => transaction.deferred(...args));
  }
}

interface BatchRow {
  meta: string;
  status: BatchStatus;
  reason: string | null;
  times: string;
  result_path: string | null;
  progress_at: number;
}

interface ProbeRow {
  api: ApiId;
  owner: string | null;
  until: number | null;
  session: string | null;
}

type FixedMeta = Omit<BatchMeta, 'status' | 'reason' | 'times' | 'resultPath'>;

/**
 * The context comes through a base class so that the stores' field initializers (their
 * statements and transactions, made once) can use it: a subclass's fields are set after
 * super() has returned.
 */
abstract class SqlitePart {
  constructor(protected readonly ctx: SqliteContext) {}
}

function batchStatements(db: Database.Database) {
  return {
    batch: db.prepare<[string], BatchRow>('SELECT meta, status, reason, times, result_path, progress_at FROM batches WHERE id = ?'),
    status: db.prepare<[string], { status: BatchStatus }>('SELECT status FROM batches WHERE id = ?'),
    exists: db.prepare<[string], { result_path: string | null }>('SELECT result_path FROM batches WHERE id = ?'),
    ids: db.prepare<[], { id: string }>('SELECT id FROM batches ORDER BY id'),
    newestIds: db.prepare<[number], { id: string }>('SELECT id FROM (SELECT id FROM batches ORDER BY id DESC LIMIT ?) ORDER BY id'),
    insertBatch: db.prepare<[string, string, BatchStatus, string | null, string, string | null, number]>(
      'INSERT INTO batches (id, meta, status, reason, times, result_path, progress_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    setStatus: db.prepare<[BatchStatus, number, string]>('UPDATE batches SET status = ?, progress_at = ? WHERE id = ?'),
    setReason: db.prepare<[string | null, string]>('UPDATE batches SET reason = ? WHERE id = ?'),
    setTimes: db.prepare<[string, string]>('UPDATE batches SET times = ? WHERE id = ?'),
    setResultPath: db.prepare<[string | null, string]>('UPDATE batches SET result_path = ? WHERE id = ?'),
    stamp: db.prepare<[number, string]>('UPDATE batches SET progress_at = ? WHERE id = ?'),
    counters: db.prepare<[string], { name: string; value: number }>('SELECT name, value FROM counters WHERE batch = ?'),
    counter: db.prepare<[string, string], { value: number }>('SELECT value FROM counters WHERE batch = ? AND name = ?'),
    addCounter: db.prepare<[string, string, number]>(
      'INSERT INTO counters (batch, name, value) VALUES (?, ?, ?) ON CONFLICT (batch, name) DO UPDATE SET value = value + excluded.value',
    ),
    addTotal: db.prepare<[string, number]>('INSERT INTO billed_totals (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value'),
    totals: db.prepare<[], { name: string; value: number }>('SELECT name, value FROM billed_totals'),
    putCounter: db.prepare<[string, string, number]>(
      'INSERT INTO counters (batch, name, value) VALUES (?, ?, ?) ON CONFLICT (batch, name) DO UPDATE SET value = excluded.value',
    ),
    errors: db.prepare<[string], { code: string; n: number }>('SELECT code, n FROM errors WHERE batch = ? ORDER BY rowid'),
    addError: db.prepare<[string, string, number]>('INSERT INTO errors (batch, code, n) VALUES (?, ?, ?) ON CONFLICT (batch, code) DO UPDATE SET n = n + excluded.n'),
    exhaustedAll: db.prepare<[string], { api: ApiId; reason: string }>('SELECT api, reason FROM exhausted WHERE batch = ? ORDER BY rowid'),
    exhausted: db.prepare<[string, string], { reason: string }>('SELECT reason FROM exhausted WHERE batch = ? AND api = ?'),
    markExhausted: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO exhausted (batch, api, reason) VALUES (?, ?, ?)'),
    probes: db.prepare<[string], ProbeRow>('SELECT api, owner, until, session FROM probes WHERE batch = ? ORDER BY rowid'),
    probe: db.prepare<[string, string], ProbeRow>('SELECT api, owner, until, session FROM probes WHERE batch = ? AND api = ?'),
    claimProbe: db.prepare<[string, string, string, number, string]>(
      `INSERT INTO probes (batch, api, owner, until, session) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (batch, api) DO UPDATE SET owner = excluded.owner, until = excluded.until, session = excluded.session`,
    ),
    openProbe: db.prepare<[string, string]>(
      `INSERT INTO probes (batch, api, owner, until, session) VALUES (?, ?, NULL, NULL, NULL)
       ON CONFLICT (batch, api) DO UPDATE SET owner = NULL, until = NULL, session = NULL`,
    ),
    releaseProbe: db.prepare<[string, string, string]>('DELETE FROM probes WHERE batch = ? AND api = ? AND owner = ?'),
    forgetProbes: db.prepare<[string]>('DELETE FROM probes WHERE batch = ?'),
    holds: db.prepare<[string], { api: ApiId; code: number; until: number }>('SELECT api, code, until FROM holds WHERE batch = ? ORDER BY rowid'),
    noteHold: db.prepare<[string, string, number, number]>(
      'INSERT INTO holds (batch, api, code, until) VALUES (?, ?, ?, ?) ON CONFLICT (batch, api, code) DO UPDATE SET until = excluded.until',
    ),
    insertResult: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO results (batch, task, encoded) VALUES (?, ?, ?)'),
    result: db.prepare<[string, string], { encoded: string }>('SELECT encoded FROM results WHERE batch = ? AND task = ?'),
    dropResults: db.prepare<[string]>('DELETE FROM results WHERE batch = ?'),
    claim: db.prepare<[string], { session: string }>('SELECT session FROM batch_claims WHERE batch = ?'),
    putClaim: db.prepare<[string, string]>('INSERT INTO batch_claims (batch, session) VALUES (?, ?) ON CONFLICT (batch) DO UPDATE SET session = excluded.session'),
    releaseClaim: db.prepare<[string, string]>('DELETE FROM batch_claims WHERE batch = ? AND session = ?'),
    remove: ['batches WHERE id', ...['counters', 'errors', 'exhausted', 'probes', 'holds', 'results', 'batch_claims'].map((table) => `${table} WHERE batch`)].map((where) =>
      db.prepare<[string]>(`DELETE FROM ${where} = ?`),
    ),
  };
}

export class SqliteBatchStore extends SqlitePart implements BatchStore {
  private readonly s = batchStatements(this.ctx.db);
  private readonly me = this.ctx.sessions.id;

  private readonly txCreate = this.ctx.writer((meta: BatchMeta) => {
    if (this.s.exists.get(meta.id)) throw new Error(`batch ${meta.id} exists`);
    const { status, reason, times, resultPath, ...fixed } = meta;
    this.s.insertBatch.run(meta.id, JSON.stringify(fixed), status, reason, JSON.stringify(times), resultPath, this.ctx.now());
    this.s.putClaim.run(meta.id, this.me);
  });

  /**
   * A new batch, claimed by this process in the same transaction: the process that
   * creates a local batch works it, and no other run can take it in between.
   */
  async create(meta: BatchMeta): Promise<void> {
    this.txCreate(meta);
  }

  private readonly txGet = this.ctx.reader((id: string): BatchView | undefined => {
    const row = this.s.batch.get(id);
    if (!row) return undefined;
    const counts = emptyCounters();
    for (const { name, value } of this.s.counters.all(id)) if (KNOWN_COUNTERS.has(name)) counts[name as CounterName] = value;
    const errorsByCode: Record<string, number> = {};
    for (const { code, n } of this.s.errors.all(id)) errorsByCode[code] = n;
    const exhausted: Partial<Record<ApiId, string>> = {};
    for (const { api, reason } of this.s.exhaustedAll.all(id)) exhausted[api] = reason;
    const holds: Partial<Record<ApiId, BatchHold[]>> = {};
    for (const { api, code, until } of this.s.holds.all(id)) (holds[api] ??= []).push({ code, until });
    const keyChecks: Partial<Record<ApiId, number>> = {};
    for (const probe of this.s.probes.all(id)) if (this.liveClaim(probe)) keyChecks[probe.api] = probe.until!;
    return {
      ...(JSON.parse(row.meta) as FixedMeta),
      status: row.status,
      reason: row.reason,
      times: JSON.parse(row.times) as BatchMeta['times'],
      resultPath: row.result_path,
      counts,
      errorsByCode,
      exhausted,
      progressAt: row.progress_at,
      holds,
      keyChecks,
    };
  });

  async get(id: string): Promise<BatchView | undefined> {
    return this.txGet(id);
  }

  /** Every batch, oldest first (batch ids sort by creation time); with `newest`, only that many of the newest. */
  async list(newest?: number): Promise<BatchView[]> {
    return this.txList(newest);
  }

  private readonly txList = this.ctx.reader((newest?: number): BatchView[] =>
    (newest === undefined ? this.s.ids.all() : this.s.newestIds.all(newest)).flatMap(({ id }) => this.txGet(id) ?? []),
  );

  async status(id: string): Promise<BatchStatus | undefined> {
    return this.s.status.get(id)?.status;
  }

  private readonly txSetStatus = this.ctx.writer((id: string, status: BatchStatus, reason: string | null | undefined, patch: StatusPatch | undefined): boolean => {
    const row = this.mustRow(id);
    const stays = patch?.evenIfStopped ? row.status === 'done' || row.status === 'failed' : FINAL_LIST.includes(row.status);
    if (patch?.times) this.s.setTimes.run(JSON.stringify({ ...(JSON.parse(row.times) as BatchMeta['times']), ...patch.times }), id);
    if (patch?.resultPath !== undefined) this.s.setResultPath.run(patch.resultPath, id);
    if (stays) return false;
    this.s.setStatus.run(status, this.ctx.now(), id);
    if (reason !== undefined) this.s.setReason.run(reason, id);
    return true;
  });

  async setStatus(id: string, status: BatchStatus, reason?: string | null, patch?: StatusPatch): Promise<boolean> {
    return this.txSetStatus(id, status, reason, patch);
  }

  private readonly txAddCounts = this.ctx.writer((id: string, deltas: Partial<Record<CounterName, number>>, errors: Record<string, number>) => {
    this.must(id);
    this.addDeltas(id, deltas);
    for (const [code, n] of Object.entries(errors)) this.s.addError.run(id, code, n);
  });

  async addCounts(id: string, deltas: Partial<Record<CounterName, number>>, errors?: Record<string, number>): Promise<void> {
    this.txAddCounts(id, deltas, errors ?? {});
  }

  private readonly txRecordResult = this.ctx.writer((id: string, taskId: string, encoded: string, deltas: Partial<Record<CounterName, number>>): RecordOutcome => {
    const { result_path: resultPath } = this.must(id);
    // Reported: a late delivery changes nothing.
    if (resultPath !== null) return { isNew: false, final: this.counter(id, 'final'), tasks: null };
    const isNew = this.s.insertResult.run(id, taskId, encoded).changes === 1;
    if (isNew) {
      this.addDeltas(id, deltas);
      this.s.addCounter.run(id, 'final', 1);
      this.s.stamp.run(this.ctx.now(), id);
    }
    return { isNew, final: this.counter(id, 'final'), tasks: this.counter(id, 'ingestDone') ? this.counter(id, 'tasks') : null };
  });

  async recordResult(id: string, taskId: string, encoded: string, deltas: Partial<Record<CounterName, number>>): Promise<RecordOutcome> {
    return this.txRecordResult(id, taskId, encoded, deltas);
  }

  private readonly txSetCounts = this.ctx.writer((id: string, values: Partial<Record<CounterName, number>>) => {
    this.must(id);
    for (const [name, value] of Object.entries(values)) this.s.putCounter.run(id, name, value);
    this.s.stamp.run(this.ctx.now(), id);
  });

  async setCounts(id: string, values: Partial<Record<CounterName, number>>): Promise<void> {
    this.txSetCounts(id, values);
  }

  private readonly txFinishIngest = this.ctx.writer((id: string, tasks: number, counts: Partial<Record<CounterName, number>>): RecordOutcome => {
    this.must(id);
    for (const [name, value] of Object.entries(counts)) this.s.putCounter.run(id, name, value);
    this.s.putCounter.run(id, 'tasks', tasks);
    this.s.putCounter.run(id, 'ingestDone', 1);
    this.s.stamp.run(this.ctx.now(), id);
    return { isNew: true, final: this.counter(id, 'final'), tasks };
  });

  async finishIngest(id: string, tasks: number, counts: Partial<Record<CounterName, number>>): Promise<RecordOutcome> {
    return this.txFinishIngest(id, tasks, counts);
  }

  private readonly txGetResults = this.ctx.reader((id: string, taskIds: readonly string[]): (string | null)[] => {
    this.must(id);
    return taskIds.map((taskId) => this.s.result.get(id, taskId)?.encoded ?? null);
  });

  async getResults(id: string, taskIds: readonly string[]): Promise<(string | null)[]> {
    return this.txGetResults(id, taskIds);
  }

  private readonly txMarkExhausted = this.ctx.writer((id: string, api: ApiId, reason: string) => {
    this.must(id);
    this.s.markExhausted.run(id, api, reason);
  });

  async markExhausted(id: string, api: ApiId, reason: string): Promise<void> {
    this.txMarkExhausted(id, api, reason);
  }

  private readonly txIsExhausted = this.ctx.reader((id: string, api: ApiId): string | null => {
    this.must(id);
    return this.s.exhausted.get(id, api)?.reason ?? null;
  });

  async isExhausted(id: string, api: ApiId): Promise<string | null> {
    return this.txIsExhausted(id, api);
  }

  private readonly txCallTurn = this.ctx.writer((id: string, api: ApiId, owner: string, claimMs: number): CallTurn => {
    const row = this.s.status.get(id);
    if (!row) return 'gone';
    if (row.status === 'cancelled') return 'cancelled';
    if (row.status === 'blocked') return 'account_blocked';
    if (this.s.exhausted.get(id, api)) return 'quota_exhausted';
    const probe = this.s.probe.get(id, api);
    if (probe && probe.owner === null) return 'go';
    if (probe && probe.owner !== owner && this.liveClaim(probe)) return 'wait';
    this.s.claimProbe.run(id, api, owner, this.ctx.now() + claimMs, this.me);
    return 'probe';
  });

  async callTurn(id: string, api: ApiId, owner: string, claimMs: number): Promise<CallTurn> {
    return this.txCallTurn(id, api, owner, claimMs);
  }

  private readonly txOpenCalls = this.ctx.writer((id: string, api: ApiId) => {
    this.must(id);
    this.s.openProbe.run(id, api);
  });

  async openCalls(id: string, api: ApiId): Promise<void> {
    this.txOpenCalls(id, api);
  }

  private readonly txReleaseProbe = this.ctx.writer((id: string, api: ApiId, owner: string) => {
    this.must(id);
    this.s.releaseProbe.run(id, api, owner);
  });

  async releaseProbe(id: string, api: ApiId, owner: string): Promise<void> {
    this.txReleaseProbe(id, api, owner);
  }

  private readonly txNoteHold = this.ctx.writer((id: string, api: ApiId, code: number, ms: number) => {
    this.must(id);
    this.s.noteHold.run(id, api, code, this.ctx.now() + ms);
  });

  async noteHold(id: string, api: ApiId, code: number, ms: number): Promise<void> {
    this.txNoteHold(id, api, code, ms);
  }

  async now(): Promise<number> {
    return this.ctx.now();
  }

  private readonly txReserveCall = this.ctx.writer((id: string, maxCalls: number): boolean => {
    this.must(id);
    if (this.counter(id, 'reserved') >= maxCalls) return false;
    this.s.addCounter.run(id, 'reserved', 1);
    return true;
  });

  async reserveCall(id: string, maxCalls: number): Promise<boolean> {
    return this.txReserveCall(id, maxCalls);
  }

  private readonly txReleaseCall = this.ctx.writer((id: string) => {
    this.must(id);
    this.s.addCounter.run(id, 'reserved', -1);
  });

  async releaseCall(id: string): Promise<void> {
    this.txReleaseCall(id);
  }

  private readonly txDropResults = this.ctx.writer((id: string) => {
    this.must(id);
    this.s.dropResults.run(id);
  });

  async dropResults(id: string): Promise<void> {
    this.txDropResults(id);
  }

  async billedTotals(): Promise<BilledTotals> {
    const totals = emptyBilledTotals();
    for (const { name, value } of this.s.totals.all()) {
      const total = billedTotalOf(name);
      if (total && total.api in totals) totals[total.api][total.field] = value;
    }
    return totals;
  }

  private readonly txClaim = this.ctx.writer((id: string): BatchClaim => {
    this.must(id);
    const holder = this.s.claim.get(id)?.session;
    if (holder !== undefined && holder !== this.me && this.ctx.sessions.isAlive(holder)) {
      return { claimed: false, by: this.ctx.sessions.describe(holder) ?? { pid: 0, host: '' } };
    }
    this.s.putClaim.run(id, this.me);
    return { claimed: true };
  });

  /**
   * Take the batch for this process (a batch is worked by one process at a time): when
   * nobody holds it, this session holds it, or its holder's session is dead.
   */
  async claim(id: string): Promise<BatchClaim> {
    return this.txClaim(id);
  }

  private readonly txRelease = this.ctx.writer((id: string) => {
    this.s.releaseClaim.run(id, this.me);
  });

  /** The live process working the batch (its claim), or null when none does. */
  async claimant(id: string): Promise<{ pid: number; host: string } | null> {
    const holder = this.s.claim.get(id)?.session;
    if (holder === undefined || !this.ctx.sessions.isAlive(holder)) return null;
    return this.ctx.sessions.describe(holder) ?? null;
  }

  /** Drop this session's claim on the batch (nothing if another holds it). */
  async release(id: string): Promise<void> {
    this.txRelease(id);
  }

  private readonly txRemove = this.ctx.writer((id: string) => {
    for (const statement of this.s.remove) statement.run(id);
  });

  private readonly txForgetKeyChecks = this.ctx.writer((id: string) => {
    this.s.forgetProbes.run(id);
  });

  /**
   * For a batch resumed after a crash: the first call of each API checks the key again
   * (the key or the account may have changed since), as at the start of a batch.
   */
  async forgetKeyChecks(id: string): Promise<void> {
    this.txForgetKeyChecks(id);
  }

  /** Delete everything kept for the batch: record, counters, results, holds, probes, claim. */
  async remove(id: string): Promise<void> {
    this.txRemove(id);
  }

  /** A probe claim still standing: not answered, not run out, its process alive. */
  private liveClaim(probe: ProbeRow): boolean {
    return probe.owner !== null && probe.until !== null && probe.until > this.ctx.now() && this.ctx.sessions.isAlive(probe.session);
  }

  private counter(id: string, name: CounterName): number {
    return this.s.counter.get(id, name)?.value ?? 0;
  }

  /** To the batch's counters, and its per-API billed and maybe-billed calls to the running totals, in the caller's transaction. */
  private addDeltas(id: string, deltas: Partial<Record<CounterName, number>>): void {
    for (const [name, n] of Object.entries(deltas)) {
      if (!n) continue;
      this.s.addCounter.run(id, name, n);
      if (billedTotalOf(name)) this.s.addTotal.run(name, n);
    }
  }

  private must(id: string): { result_path: string | null } {
    const row = this.s.exists.get(id);
    if (!row) throw new Error(`no batch ${id}`);
    return row;
  }

  private mustRow(id: string): BatchRow {
    const row = this.s.batch.get(id);
    if (!row) throw new Error(`no batch ${id}`);
    return row;
  }
}

function cacheStatements(db: Database.Database) {
  return {
    get: db.prepare<[string, string, number], { encoded: string }>('SELECT encoded FROM answers WHERE api = ? AND hash = ? AND expires_at > ?'),
    set: db.prepare<[string, string, string, number]>(
      `INSERT INTO answers (api, hash, encoded, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (api, hash) DO UPDATE SET encoded = excluded.encoded, expires_at = excluded.expires_at`,
    ),
    purge: db.prepare<[number]>('DELETE FROM answers WHERE expires_at <= ?'),
    count: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM answers WHERE expires_at > ?'),
  };
}

/** Hashes per `IN (...)` of countCached and getMany: far under SQLite's 32,766 parameters. */
const COUNT_CHUNK = 500;

export class SqliteResultCache extends SqlitePart implements ResultCache {
  private readonly s = cacheStatements(this.ctx.db);

  /** An expired answer is missing (it stays in the file until purgeExpired or a new set). */
  async get(api: ApiId, hash: string): Promise<string | null> {
    return this.s.get.get(api, hash, this.ctx.now())?.encoded ?? null;
  }

  /** Statements counting answers for n hashes at once, made once per n. */
  private readonly countIn = new Map<number, Database.Statement<unknown[], { n: number }>>();

  async countCached(api: ApiId, hashes: readonly string[]): Promise<number> {
    let n = 0;
    for (let at = 0; at < hashes.length; at += COUNT_CHUNK) {
      const chunk = hashes.slice(at, at + COUNT_CHUNK);
      let statement = this.countIn.get(chunk.length);
      if (!statement) {
        statement = this.ctx.db.prepare<unknown[], { n: number }>(
          `SELECT count(*) AS n FROM answers WHERE api = ? AND expires_at > ? AND hash IN (${chunk.map(() => '?').join(',')})`,
        );
        this.countIn.set(chunk.length, statement);
      }
      n += statement.get(api, this.ctx.now(), ...chunk)?.n ?? 0;
    }
    return n;
  }

  /** Statements reading the answers of n hashes at once, made once per n. */
  private readonly getIn = new Map<number, Database.Statement<unknown[], { hash: string; encoded: string }>>();

  async getMany(api: ApiId, hashes: readonly string[]): Promise<(string | null)[]> {
    const values: (string | null)[] = [];
    for (let at = 0; at < hashes.length; at += COUNT_CHUNK) {
      const chunk = hashes.slice(at, at + COUNT_CHUNK);
      let statement = this.getIn.get(chunk.length);
      if (!statement) {
        statement = this.ctx.db.prepare<unknown[], { hash: string; encoded: string }>(
          `SELECT hash, encoded FROM answers WHERE api = ? AND expires_at > ? AND hash IN (${chunk.map(() => '?').join(',')})`,
        );
        this.getIn.set(chunk.length, statement);
      }
      const found = new Map<string, string>();
      for (const row of statement.all(api, this.ctx.now(), ...chunk)) found.set(row.hash, row.encoded);
      for (const hash of chunk) values.push(found.get(hash) ?? null);
    }
    return values;
  }

  private readonly txSet = this.ctx.writer((api: ApiId, hash: string, encoded: string, ttlSeconds: number) => {
    this.s.set.run(api, hash, encoded, this.ctx.now() + ttlSeconds * 1000);
  });

  async set(api: ApiId, hash: string, encoded: string, ttlSeconds: number): Promise<void> {
    this.txSet(api, hash, encoded, ttlSeconds);
  }

  private readonly txPurge = this.ctx.writer((): number => this.s.purge.run(this.ctx.now()).changes);

  /** Delete expired answers; returns how many. */
  async purgeExpired(): Promise<number> {
    return this.txPurge();
  }

  /** Answers not yet expired. */
  async count(): Promise<number> {
    return this.s.count.get(this.ctx.now())?.n ?? 0;
  }
}

function lockStatements(db: Database.Database) {
  return {
    get: db.prepare<[string, string], { owner: string; session: string; until: number }>('SELECT owner, session, until FROM inflight WHERE api = ? AND hash = ?'),
    put: db.prepare<[string, string, string, string, number]>(
      `INSERT INTO inflight (api, hash, owner, session, until) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (api, hash) DO UPDATE SET owner = excluded.owner, session = excluded.session, until = excluded.until`,
    ),
    release: db.prepare<[string, string, string]>('DELETE FROM inflight WHERE api = ? AND hash = ? AND owner = ?'),
  };
}

export class SqliteInflightLocks extends SqlitePart implements InflightLocks {
  private readonly s = lockStatements(this.ctx.db);

  /** A lock held by a dead process is free at once, whatever its TTL says. */
  private readonly txAcquire = this.ctx.writer((api: ApiId, hash: string, owner: string, ttlMs: number): boolean => {
    const now = this.ctx.now();
    const lock = this.s.get.get(api, hash);
    if (lock && lock.until > now && lock.owner !== owner && this.ctx.sessions.isAlive(lock.session)) return false;
    this.s.put.run(api, hash, owner, this.ctx.sessions.id, now + ttlMs);
    return true;
  });

  async acquire(api: ApiId, hash: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.txAcquire(api, hash, owner, ttlMs);
  }

  private readonly txRelease = this.ctx.writer((api: ApiId, hash: string, owner: string) => {
    this.s.release.run(api, hash, owner);
  });

  async release(api: ApiId, hash: string, owner: string): Promise<void> {
    this.txRelease(api, hash, owner);
  }
}

/**
 * The next free slot of each API, in the file: every process on it takes its slots from
 * the same row, so two local runs on one data folder share an API's rate between them.
 * Slots are on the store's clock, the wall clock every process on the machine shares.
 */
function gateStatements(db: Database.Database) {
  return {
    get: db.prepare<[string], { next: number }>('SELECT next FROM gate WHERE api = ?'),
    put: db.prepare<[string, number]>('INSERT INTO gate (api, next) VALUES (?, ?) ON CONFLICT (api) DO UPDATE SET next = excluded.next'),
  };
}

export class SqliteRateGate extends SqlitePart implements RateGate {
  private readonly s = gateStatements(this.ctx.db);

  private readonly txReserve = this.ctx.writer((api: ApiId, rate: number): number => {
    const now = this.ctx.now();
    const slot = Math.max(now, this.s.get.get(api)?.next ?? 0);
    this.s.put.run(api, slot + paceIntervalMs(rate));
    return slot - now;
  });

  async reserve(api: ApiId, rate: number): Promise<number> {
    return this.txReserve(api, rate);
  }

  private readonly txHold = this.ctx.writer((api: ApiId, ms: number) => {
    this.s.put.run(api, Math.max(this.s.get.get(api)?.next ?? 0, this.ctx.now() + ms));
  });

  async hold(api: ApiId, ms: number): Promise<void> {
    this.txHold(api, ms);
  }

  async waitFor(api: ApiId): Promise<number> {
    return Math.max(0, (this.s.get.get(api)?.next ?? 0) - this.ctx.now());
  }
}

/**
 * The wall clock, shared by every process on the machine: leases, TTLs and the shared
 * rate slots are compared across processes. (`performance.timeOrigin + now()` is not:
 * each process fixes its origin when it starts, so after a clock step two processes
 * started at different times disagree.)
 */
function defaultClock(): number {
  return Date.now();
}

/**
 * Open (creating if need be) the store file and register this process's session. Throws
 * a StoreWriteError when the folder or the file cannot be made or written, and a
 * StoreVersionError for a file of a newer schema.
 */
export function openSqliteStores(settings: SqliteStoreSettings): SqliteStores {
  const file = resolve(settings.file);
  const now = settings.now ?? defaultClock;
  const leaseMs = settings.leaseMs ?? DEFAULT_LEASE_MS;
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (error) {
    // Any failure here is the folder's: Node's recursive mkdir even says ENOENT for a
    // read-only file system.
    const code = (error as NodeJS.ErrnoException).code ?? null;
    throw storeWriteErrorOf(error, file) ?? new StoreWriteError(file, `its folder ${dirname(file)} could not be created`, code, { cause: error });
  }
  let db: Database.Database | undefined;
  let ctx: SqliteContext;
  try {
    // Two runs opening a new file at once race to set it up (the journal mode, the
    // tables): the one that loses is told SQLITE_BUSY at once, not after the busy
    // timeout, and simply opens again.
    ({ db, ctx } = withBusyRetry(() => {
      const opened = new Database(file, { timeout: BUSY_TIMEOUT_MS });
      try {
        if (opened.pragma('journal_mode', { simple: true }) !== 'wal') opened.pragma('journal_mode = WAL');
        opened.pragma('synchronous = NORMAL');
        migrate(opened, file);
        if (settings.maxPages !== undefined) opened.pragma(`max_page_count = ${Math.floor(settings.maxPages)}`);
        const sessions = new SqliteSessions(opened, now, leaseMs);
        const context = new SqliteContext(opened, file, now, sessions);
        context.writer(() => {
          sessions.register();
          // What dead processes left behind goes now, not on the first conflict.
          sessions.reap();
        })();
        return { db: opened, ctx: context };
      } catch (error) {
        opened.close();
        throw error;
      }
    }));
  } catch (error) {
    return rethrowAsStoreWrite(error, file);
  }
  const { sessions } = ctx;
  const renew = ctx.writer(() => sessions.renew());
  const timer = setInterval(() => {
    try {
      renew();
    } catch {
      // A disk that cannot take the renewal fails the next real write loudly; the
      // lease itself lapsing only lets others take this process's locks sooner.
    }
  }, leaseMs / 3);
  timer.unref();
  const end = ctx.writer(() => sessions.end());
  let closed = false;
  return {
    batches: new SqliteBatchStore(ctx),
    cache: new SqliteResultCache(ctx),
    locks: new SqliteInflightLocks(ctx),
    gate: new SqliteRateGate(ctx),
    session: sessions.id,
    file,
    async fileBytes() {
      return storeBytes(file);
    },
    async compact() {
      if (ctx.sessions.anyOtherAlive()) return { bytes: storeBytes(file), compacted: false };
      try {
        ctx.db.pragma('wal_checkpoint(TRUNCATE)');
        ctx.db.exec('VACUUM');
        ctx.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (error) {
        rethrowAsStoreWrite(error, file);
      }
      return { bytes: storeBytes(file), compacted: true };
    },
    close(): void {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      try {
        end();
      } catch {
        // Closing must not fail on a full disk: a session left behind is seen dead
        // (its pid is gone) by the next process and cleaned up then.
      } finally {
        ctx.db.close();
      }
    },
  };
}

function storeBytes(file: string): number {
  let total = 0;
  for (const path of [file, `${file}-wal`]) {
    try {
      total += statSync(path).size;
    } catch {
      // No write-ahead log (after a truncating checkpoint, or never written).
    }
  }
  return total;
}
