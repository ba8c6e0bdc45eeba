/** The stores of the local engine: plain maps in one process, same semantics as Redis. */
import type { ApiId } from '../juhe/catalogue.js';
import { FINAL_STATUSES, emptyCounters, type BatchHold, type BatchMeta, type BatchStatus, type BatchView, type CounterName, type Counters } from './batch.js';
import { billedTotalOf, emptyBilledTotals, type BatchStore, type BilledTotals, type CallTurn, type EngineStores, type InflightLocks, type RateGate, type RecordOutcome, type ResultCache, type StatusPatch } from './store.js';
import { paceIntervalMs } from './rate-window.js';

interface MemoryBatch {
  meta: BatchMeta;
  progressAt: number;
  holds: Partial<Record<ApiId, BatchHold[]>>;
  counts: Counters;
  errors: Record<string, number>;
  exhausted: Partial<Record<ApiId, string>>;
  results: Map<string, string>;
  /** Per API: 'ok' once the probe answered, or the job probing and until when. */
  probes: Map<ApiId, 'ok' | { owner: string; until: number }>;
}

export class MemoryBatchStore implements BatchStore {
  private readonly batches = new Map<string, MemoryBatch>();
  /** Billed and maybe-billed calls per API over every batch (BilledTotals); kept when batches go. */
  private readonly totals: BilledTotals = emptyBilledTotals();
  constructor(private readonly clock: () => number = Date.now) {}

  async create(meta: BatchMeta): Promise<void> {
    if (this.batches.has(meta.id)) throw new Error(`batch ${meta.id} exists`);
    this.batches.set(meta.id, {
      meta: structuredClone(meta),
      progressAt: this.clock(),
      holds: {},
      counts: emptyCounters(),
      errors: {},
      exhausted: {},
      results: new Map(),
      probes: new Map(),
    });
  }

  async get(id: string): Promise<BatchView | undefined> {
    const batch = this.batches.get(id);
    if (!batch) return undefined;
    return {
      ...structuredClone(batch.meta),
      counts: { ...batch.counts },
      errorsByCode: { ...batch.errors },
      exhausted: { ...batch.exhausted },
      progressAt: batch.progressAt,
      holds: structuredClone(batch.holds),
      keyChecks: Object.fromEntries(
        [...batch.probes].flatMap(([api, probe]) => (probe !== 'ok' && probe.until > this.clock() ? [[api, probe.until]] : [])),
      ),
    };
  }

  async status(id: string): Promise<BatchStatus | undefined> {
    return this.batches.get(id)?.meta.status;
  }

  async setStatus(id: string, status: BatchStatus, reason?: string | null, patch?: StatusPatch): Promise<boolean> {
    const batch = this.must(id);
    const stays = patch?.evenIfStopped ? batch.meta.status === 'done' || batch.meta.status === 'failed' : FINAL_STATUSES.has(batch.meta.status);
    if (stays) {
      if (patch) applyPatch(batch.meta, patch);
      return false;
    }
    batch.meta.status = status;
    batch.progressAt = this.clock();
    if (reason !== undefined) batch.meta.reason = reason;
    if (patch) applyPatch(batch.meta, patch);
    return true;
  }

  async addCounts(id: string, deltas: Partial<Record<CounterName, number>>, errors?: Record<string, number>): Promise<void> {
    const batch = this.must(id);
    this.addDeltas(batch, deltas);
    for (const [code, n] of Object.entries(errors ?? {})) batch.errors[code] = (batch.errors[code] ?? 0) + n;
  }

  async recordResult(id: string, taskId: string, encoded: string, deltas: Partial<Record<CounterName, number>>): Promise<RecordOutcome> {
    const batch = this.must(id);
    // Reported: a late delivery changes nothing.
    if (batch.meta.resultPath !== null) return { isNew: false, final: batch.counts.final, tasks: null };
    const isNew = !batch.results.has(taskId);
    if (isNew) {
      batch.results.set(taskId, encoded);
      this.addDeltas(batch, { ...deltas, final: 1 });
      batch.progressAt = this.clock();
    }
    return { isNew, final: batch.counts.final, tasks: batch.counts.ingestDone ? batch.counts.tasks : null };
  }

  async setCounts(id: string, values: Partial<Record<CounterName, number>>): Promise<void> {
    const batch = this.must(id);
    Object.assign(batch.counts, values);
    batch.progressAt = this.clock();
  }

  async finishIngest(id: string, tasks: number, counts: Partial<Record<CounterName, number>>): Promise<RecordOutcome> {
    const batch = this.must(id);
    Object.assign(batch.counts, counts);
    batch.counts.tasks = tasks;
    batch.counts.ingestDone = 1;
    batch.progressAt = this.clock();
    return { isNew: true, final: batch.counts.final, tasks };
  }

  async getResults(id: string, taskIds: readonly string[]): Promise<(string | null)[]> {
    const batch = this.must(id);
    return taskIds.map((taskId) => batch.results.get(taskId) ?? null);
  }

  async markExhausted(id: string, api: ApiId, reason: string): Promise<void> {
    const batch = this.must(id);
    batch.exhausted[api] ??= reason;
  }

  async isExhausted(id: string, api: ApiId): Promise<string | null> {
    return this.must(id).exhausted[api] ?? null;
  }

  async callTurn(id: string, api: ApiId, owner: string, claimMs: number): Promise<CallTurn> {
    const batch = this.batches.get(id);
    if (!batch) return 'gone';
    if (batch.meta.status === 'cancelled') return 'cancelled';
    if (batch.meta.status === 'blocked') return 'account_blocked';
    if (batch.exhausted[api]) return 'quota_exhausted';
    const probe = batch.probes.get(api);
    if (probe === 'ok') return 'go';
    if (probe && probe.owner !== owner && probe.until > this.clock()) return 'wait';
    batch.probes.set(api, { owner, until: this.clock() + claimMs });
    return 'probe';
  }

  async openCalls(id: string, api: ApiId): Promise<void> {
    this.must(id).probes.set(api, 'ok');
  }

  async releaseProbe(id: string, api: ApiId, owner: string): Promise<void> {
    const batch = this.must(id);
    const probe = batch.probes.get(api);
    if (probe && probe !== 'ok' && probe.owner === owner) batch.probes.delete(api);
  }

  async noteHold(id: string, api: ApiId, code: number, ms: number): Promise<void> {
    const holds = (this.must(id).holds[api] ??= []);
    const hold = { code, until: this.clock() + ms };
    const at = holds.findIndex((known) => known.code === code);
    if (at === -1) holds.push(hold);
    else holds[at] = hold;
  }

  async now(): Promise<number> {
    return this.clock();
  }

  async reserveCall(id: string, maxCalls: number): Promise<boolean> {
    const batch = this.must(id);
    if (batch.counts.reserved >= maxCalls) return false;
    batch.counts.reserved++;
    return true;
  }

  async releaseCall(id: string): Promise<void> {
    this.must(id).counts.reserved--;
  }

  async dropResults(id: string): Promise<void> {
    this.must(id).results.clear();
  }

  async billedTotals(): Promise<BilledTotals> {
    return structuredClone(this.totals);
  }

  /** To the batch's counts, and its per-API billed and maybe-billed calls to the running totals. */
  private addDeltas(batch: MemoryBatch, deltas: Partial<Record<CounterName, number>>): void {
    for (const [name, n] of Object.entries(deltas) as [CounterName, number][]) {
      batch.counts[name] += n;
      const total = billedTotalOf(name);
      if (total) this.totals[total.api][total.field] += n;
    }
  }

  private must(id: string): MemoryBatch {
    const batch = this.batches.get(id);
    if (!batch) throw new Error(`no batch ${id}`);
    return batch;
  }
}

function applyPatch(meta: BatchMeta, patch: StatusPatch): void {
  if (patch.times) meta.times = { ...meta.times, ...patch.times };
  if (patch.resultPath !== undefined) meta.resultPath = patch.resultPath;
}

export class MemoryResultCache implements ResultCache {
  private readonly entries = new Map<string, { value: string; expires: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async get(api: ApiId, hash: string): Promise<string | null> {
    const entry = this.entries.get(`${api}.${hash}`);
    if (!entry) return null;
    if (entry.expires <= this.now()) {
      this.entries.delete(`${api}.${hash}`);
      return null;
    }
    return entry.value;
  }

  async countCached(api: ApiId, hashes: readonly string[]): Promise<number> {
    let n = 0;
    for (const hash of hashes) if ((await this.get(api, hash)) !== null) n++;
    return n;
  }

  async getMany(api: ApiId, hashes: readonly string[]): Promise<(string | null)[]> {
    const values: (string | null)[] = [];
    for (const hash of hashes) values.push(await this.get(api, hash));
    return values;
  }

  async set(api: ApiId, hash: string, encoded: string, ttlSeconds: number): Promise<void> {
    this.entries.set(`${api}.${hash}`, { value: encoded, expires: this.now() + ttlSeconds * 1000 });
  }
}

export class MemoryInflightLocks implements InflightLocks {
  private readonly held = new Map<string, { owner: string; until: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async acquire(api: ApiId, hash: string, owner: string, ttlMs: number): Promise<boolean> {
    const key = `${api}.${hash}`;
    const lock = this.held.get(key);
    if (lock && lock.until > this.now() && lock.owner !== owner) return false;
    this.held.set(key, { owner, until: this.now() + ttlMs });
    return true;
  }

  async release(api: ApiId, hash: string, owner: string): Promise<void> {
    const key = `${api}.${hash}`;
    if (this.held.get(key)?.owner === owner) this.held.delete(key);
  }
}

export class MemoryRateGate implements RateGate {
  private readonly next = new Map<ApiId, number>();
  constructor(private readonly now: () => number = () => performance.timeOrigin + performance.now()) {}

  async reserve(api: ApiId, rate: number): Promise<number> {
    const now = this.now();
    const slot = Math.max(now, this.next.get(api) ?? 0);
    this.next.set(api, slot + paceIntervalMs(rate));
    return slot - now;
  }

  async hold(api: ApiId, ms: number): Promise<void> {
    this.next.set(api, Math.max(this.next.get(api) ?? 0, this.now() + ms));
  }

  async waitFor(api: ApiId): Promise<number> {
    return Math.max(0, (this.next.get(api) ?? 0) - this.now());
  }
}

export function memoryStores(): EngineStores {
  return { batches: new MemoryBatchStore(), cache: new MemoryResultCache(), locks: new MemoryInflightLocks(), gate: new MemoryRateGate() };
}
