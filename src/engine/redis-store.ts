/**
 * The stores of the queue engine, in Redis. Every key starts with the configured
 * prefix (a hash tag such as `{riskscreen}`), so on Redis Cluster they share one slot
 * and the Lua scripts below may touch several of them.
 *
 *   <p>:batch:<id>           hash: meta (JSON), status, reason, t.<time>, resultPath,
 *                            c.<counter>, e.<error code>, x.<exhausted api>,
 *                            p.<api> (the API's probe: "ok", or "<job>|<until ms>"),
 *                            h.<api> (the last hold: "<code>|<until ms>"), progressAt (ms)
 *   <p>:batch:<id>:results   hash: task id -> encoded result
 *   <p>:batches              sorted set of batch ids by creation time
 *   <p>:cache:<api>:<hash>   encoded answer, with a TTL per API
 *   <p>:lock:<api>:<hash>    a question in flight (PX), owned by its job
 *   <p>:gate:<api>           the next free call slot of the API (rate gate)
 *   <p>:rates                hash: api -> calls per second, shared by every process
 *   <p>:billed               hash: billed.<api>, maybeBilled.<api> -> calls, over every
 *                            batch (BilledTotals): added with the batch's own c.billed.<api>
 *                            and c.maybeBilled.<api>, in the same script or MULTI; never
 *                            removed with a batch
 */
import type { RedisConnection } from '../shared/redis-url.js';
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
import { PACE_FACTOR } from './rate-window.js';
import { RedisClock } from './redis-clock.js';

const FINAL_LIST = [...FINAL_STATUSES].join(',');

/** Now on Redis's clock, in ms: every process stamps and compares progress and holds on it. */
export const NOW_MS = `local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * HSETNX the result; on first write count it (the per-API billed and maybe-billed
 * counters into the running totals too) and stamp progress. Nothing for a batch whose
 * report is written (a late delivery). KEYS: batch, its results, the billed totals.
 * Returns {isNew, final, ingestDone, tasks}, or -1 when there is no such batch (no key
 * is made for it).
 */
const RECORD_RESULT = `
local state = redis.call('HMGET', KEYS[1], 'meta', 'resultPath')
if not state[1] then return -1 end
if state[2] and state[2] ~= '' then return {0, 0, 0, 0} end
local isNew = 0
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then
  isNew = 1
  redis.call('HINCRBY', KEYS[1], 'c.final', 1)
  for i = 3, #ARGV, 2 do
    redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
    if string.find(ARGV[i], '^c%.billed%.') or string.find(ARGV[i], '^c%.maybeBilled%.') then
      redis.call('HINCRBY', KEYS[3], string.sub(ARGV[i], 3), ARGV[i + 1])
    end
  end
  ${NOW_MS}
  redis.call('HSET', KEYS[1], 'progressAt', nowMs)
end
local v = redis.call('HMGET', KEYS[1], 'c.final', 'c.ingestDone', 'c.tasks')
return {isNew, tonumber(v[1] or '0'), tonumber(v[2] or '0'), tonumber(v[3] or '0')}
`;

/** Set tasks, ingestDone and the input counts. Returns final. */
const FINISH_INGEST = `
${NOW_MS}
redis.call('HSET', KEYS[1], 'c.tasks', ARGV[1], 'c.ingestDone', 1, 'progressAt', nowMs)
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return tonumber(redis.call('HGET', KEYS[1], 'c.final') or '0')
`;

/** Change status unless final. ARGV: status, reason or '\\0' to keep, then field/value pairs. */
const SET_STATUS = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return -1 end
local moved = 0
local final = {}
for s in string.gmatch(ARGV[1], '[^,]+') do final[s] = true end
if not final[current] then
  ${NOW_MS}
  redis.call('HSET', KEYS[1], 'status', ARGV[2], 'progressAt', nowMs)
  if ARGV[3] ~= '\\0' then redis.call('HSET', KEYS[1], 'reason', ARGV[3]) end
  moved = 1
end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return moved
`;

/** Take the lock if free or already ours (ARGV: owner, ttl ms). */
const ACQUIRE_LOCK = `
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** Release only our own lock. */
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Virtual scheduling on Redis's own clock (every process agrees): the next free slot
 * of an API, then the one after moves an interval on. KEYS: slot key, shared rates.
 * ARGV: this process's rate, the api, the pace factor. Returns {slot, now} on Redis's
 * clock in ms, to the microsecond.
 */
const RATE_GATE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local rate = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or ARGV[1])
local interval = 1000 / (rate * tonumber(ARGV[3]))
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', math.ceil(slot - now + interval + 60000))
return {string.format('%.3f', slot), string.format('%.3f', now)}
`;

/** Push the next free slot to at least now + ARGV[1] ms. */
const RATE_HOLD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local target = now + tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if target > slot then redis.call('SET', KEYS[1], tostring(target), 'PX', math.ceil(tonumber(ARGV[1]) + 60000)) end
return 1
`;

/**
 * Whether a call of an API may leave now (CallTurn), claiming the probe when none has
 * answered yet. KEYS: batch. ARGV: api, owner, claim ms. The claim is
 * "<owner>|<expires ms>" in field p.<api>, on Redis's clock; "ok" once the probe answered.
 */
const CALL_TURN = `
local v = redis.call('HMGET', KEYS[1], 'status', 'x.' .. ARGV[1], 'p.' .. ARGV[1])
if not v[1] then return 'gone' end
if v[1] == 'cancelled' then return 'cancelled' end
if v[1] == 'blocked' then return 'account_blocked' end
if v[2] then return 'quota_exhausted' end
if v[3] == 'ok' then return 'go' end
${NOW_MS}
if v[3] then
  local owner, expires = string.match(v[3], '^(.*)|(%d+)$')
  if owner ~= ARGV[2] and tonumber(expires) > nowMs then return 'wait' end
end
redis.call('HSET', KEYS[1], 'p.' .. ARGV[1], ARGV[2] .. '|' .. tostring(nowMs + tonumber(ARGV[3])))
return 'probe'
`;

/** Drop the probe claim of ARGV[2] on API ARGV[1], if it still holds it. */
const RELEASE_PROBE = `
local v = redis.call('HGET', KEYS[1], 'p.' .. ARGV[1])
if v and string.sub(v, 1, string.len(ARGV[2]) + 1) == ARGV[2] .. '|' then redis.call('HDEL', KEYS[1], 'p.' .. ARGV[1]) end
return 1
`;

/** Set counters (ARGV: field/value pairs) and stamp progress. */
const SET_COUNTS = `
${NOW_MS}
redis.call('HSET', KEYS[1], 'progressAt', nowMs, unpack(ARGV))
return 1
`;

/** Keep a hold: field ARGV[1] = until ms, ARGV[2] ms from now. */
const NOTE_HOLD = `
${NOW_MS}
redis.call('HSET', KEYS[1], ARGV[1], tostring(nowMs + tonumber(ARGV[2])))
return 1
`;

/**
 * KEYS: any key under the prefix, only to route the script: on a Redis Cluster it then
 * runs on the node that holds the prefix's slot, whose clock every other script reads.
 */
const TIME_MS = `
${NOW_MS}
return nowMs
`;

/** Take one unit of budget below ARGV[1]. */
const RESERVE_CALL = `
local used = tonumber(redis.call('HGET', KEYS[1], 'c.reserved') or '0')
if used >= tonumber(ARGV[1]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'c.reserved', 1)
return 1
`;

type Scripted = RedisConnection & {
  rsRecordResult(batchKey: string, resultsKey: string, totalsKey: string, ...args: (string | number)[]): Promise<[number, number, number, number] | -1>;
  rsFinishIngest(batchKey: string, ...args: (string | number)[]): Promise<number>;
  rsSetStatus(batchKey: string, ...args: string[]): Promise<number>;
  rsReserveCall(batchKey: string, max: number): Promise<number>;
  rsCallTurn(batchKey: string, api: string, owner: string, claimMs: number): Promise<CallTurn>;
  rsSetCounts(batchKey: string, ...args: (string | number)[]): Promise<number>;
  rsNoteHold(batchKey: string, field: string, ms: number): Promise<number>;
  rsTimeMs(routeKey: string): Promise<number>;
  rsReleaseProbe(batchKey: string, api: string, owner: string): Promise<number>;
  rsAcquireLock(key: string, owner: string, ttlMs: number): Promise<number>;
  rsRateGate(key: string, ratesKey: string, rate: number, api: string, paceFactor: number): Promise<[string, string]>;
  rsRateHold(key: string, ms: number): Promise<number>;
  rsReleaseLock(key: string, owner: string): Promise<number>;
};

function withScripts(redis: RedisConnection): Scripted {
  const scripted = redis as Scripted;
  if (typeof scripted.rsRecordResult !== 'function') {
    redis.defineCommand('rsRecordResult', { numberOfKeys: 3, lua: RECORD_RESULT });
    redis.defineCommand('rsFinishIngest', { numberOfKeys: 1, lua: FINISH_INGEST });
    redis.defineCommand('rsSetStatus', { numberOfKeys: 1, lua: SET_STATUS });
    redis.defineCommand('rsReserveCall', { numberOfKeys: 1, lua: RESERVE_CALL });
    redis.defineCommand('rsCallTurn', { numberOfKeys: 1, lua: CALL_TURN });
    redis.defineCommand('rsSetCounts', { numberOfKeys: 1, lua: SET_COUNTS });
    redis.defineCommand('rsNoteHold', { numberOfKeys: 1, lua: NOTE_HOLD });
    redis.defineCommand('rsTimeMs', { numberOfKeys: 1, lua: TIME_MS });
    redis.defineCommand('rsReleaseProbe', { numberOfKeys: 1, lua: RELEASE_PROBE });
    redis.defineCommand('rsAcquireLock', { numberOfKeys: 1, lua: ACQUIRE_LOCK });
    redis.defineCommand('rsRateGate', { numberOfKeys: 2, lua: RATE_GATE });
    redis.defineCommand('rsRateHold', { numberOfKeys: 1, lua: RATE_HOLD });
    redis.defineCommand('rsReleaseLock', { numberOfKeys: 1, lua: RELEASE_LOCK });
  }
  return scripted;
}

function deltaArgs(deltas: Partial<Record<CounterName, number>>): (string | number)[] {
  return Object.entries(deltas).flatMap(([name, n]) => (n ? [`c.${name}`, n] : []));
}

function valueArgs(values: Partial<Record<CounterName, number>>): (string | number)[] {
  return Object.entries(values).flatMap(([name, n]) => [`c.${name}`, n]);
}

/** KEYS: batch hash, batches index. ARGV: meta, status, reason, times, resultPath, progressAt, created ms, id. */
const CREATE_BATCH = `
if redis.call('HSETNX', KEYS[1], 'meta', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'reason', ARGV[3], 'times', ARGV[4], 'resultPath', ARGV[5], 'progressAt', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[8])
return 1
`;

export class RedisBatchStore implements BatchStore {
  private readonly redis: Scripted;

  constructor(
    redis: RedisConnection,
    private readonly prefix: string,
  ) {
    this.redis = withScripts(redis);
  }

  private key(id: string): string {
    return `${this.prefix}:batch:${id}`;
  }

  private resultsKey(id: string): string {
    return `${this.prefix}:batch:${id}:results`;
  }

  private get totalsKey(): string {
    return `${this.prefix}:billed`;
  }

  async create(meta: BatchMeta): Promise<void> {
    const { status, reason, times, resultPath, ...fixed } = meta;
    const now = await this.now();
    // One script: a batch is there whole (with its status) or not at all, even if the
    // process dies half-way (a schedule's tick makes a batch again only when it is not there).
    const created = await this.redis.eval(
      CREATE_BATCH,
      2,
      this.key(meta.id),
      `${this.prefix}:batches`,
      JSON.stringify(fixed),
      status,
      reason ?? '',
      JSON.stringify(times),
      resultPath ?? '',
      String(now),
      String(Date.parse(times.created)),
      meta.id,
    );
    if (created !== 1) throw new Error(`batch ${meta.id} exists`);
  }

  async get(id: string): Promise<BatchView | undefined> {
    const fields = await this.redis.hgetall(this.key(id));
    if (!fields.meta) return undefined;
    const counts = emptyCounters();
    const errorsByCode: Record<string, number> = {};
    const exhausted: Partial<Record<ApiId, string>> = {};
    const holds: Partial<Record<ApiId, BatchHold[]>> = {};
    const keyChecks: Partial<Record<ApiId, number>> = {};
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith('c.')) {
        const name = field.slice(2) as CounterName;
        if ((COUNTER_NAMES as readonly string[]).includes(name)) counts[name] = Number(value);
      } else if (field.startsWith('e.')) errorsByCode[field.slice(2)] = Number(value);
      else if (field.startsWith('x.')) exhausted[field.slice(2) as ApiId] = value;
      else if (field.startsWith('h.')) {
        const [api, code] = field.slice(2).split('.') as [ApiId, string];
        (holds[api] ??= []).push({ code: Number(code), until: Number(value) });
      } else if (field.startsWith('p.') && value !== 'ok') keyChecks[field.slice(2) as ApiId] = Number(value.slice(value.lastIndexOf('|') + 1));
    }
    const fixed = JSON.parse(fields.meta) as Omit<BatchMeta, 'status' | 'reason' | 'times' | 'resultPath'>;
    return {
      ...fixed,
      status: fields.status as BatchStatus,
      reason: fields.reason || null,
      times: JSON.parse(fields.times ?? '{}') as BatchMeta['times'],
      resultPath: fields.resultPath || null,
      counts,
      errorsByCode,
      exhausted,
      progressAt: Number(fields.progressAt),
      holds,
      keyChecks,
    };
  }

  async status(id: string): Promise<BatchStatus | undefined> {
    return ((await this.redis.hget(this.key(id), 'status')) ?? undefined) as BatchStatus | undefined;
  }

  async setStatus(id: string, status: BatchStatus, reason?: string | null, patch?: StatusPatch): Promise<boolean> {
    const extra: string[] = [];
    if (patch?.times) {
      const current = JSON.parse((await this.redis.hget(this.key(id), 'times')) ?? '{}') as BatchMeta['times'];
      extra.push('times', JSON.stringify({ ...current, ...patch.times }));
    }
    if (patch?.resultPath !== undefined) extra.push('resultPath', patch.resultPath ?? '');
    const stays = patch?.evenIfStopped ? 'done,failed' : FINAL_LIST;
    const moved = await this.redis.rsSetStatus(this.key(id), stays, status, reason === undefined ? '\0' : (reason ?? ''), ...extra);
    if (moved === -1) throw new Error(`no batch ${id}`);
    return moved === 1;
  }

  async addCounts(id: string, deltas: Partial<Record<CounterName, number>>, errors?: Record<string, number>): Promise<void> {
    const multi = this.redis.multi();
    for (const [name, n] of Object.entries(deltas)) {
      if (!n) continue;
      multi.hincrby(this.key(id), `c.${name}`, n);
      // The running totals, in the same MULTI (one slot under the prefix's hash tag).
      if (billedTotalOf(name)) multi.hincrby(this.totalsKey, name, n);
    }
    for (const [code, n] of Object.entries(errors ?? {})) multi.hincrby(this.key(id), `e.${code}`, n);
    await multi.exec();
  }

  async recordResult(id: string, taskId: string, encoded: string, deltas: Partial<Record<CounterName, number>>): Promise<RecordOutcome> {
    const outcome = await this.redis.rsRecordResult(this.key(id), this.resultsKey(id), this.totalsKey, taskId, encoded, ...deltaArgs(deltas));
    if (!Array.isArray(outcome)) throw new Error(`no batch ${id}`);
    const [isNew, final, ingestDone, tasks] = outcome;
    return { isNew: isNew === 1, final, tasks: ingestDone ? tasks : null };
  }

  async setCounts(id: string, values: Partial<Record<CounterName, number>>): Promise<void> {
    const args = Object.entries(values).flatMap(([name, n]) => [`c.${name}`, String(n)]);
    if (args.length > 0) await this.redis.rsSetCounts(this.key(id), ...args);
  }

  async finishIngest(id: string, tasks: number, counts: Partial<Record<CounterName, number>>): Promise<RecordOutcome> {
    const final = await this.redis.rsFinishIngest(this.key(id), tasks, ...valueArgs(counts));
    return { isNew: true, final, tasks };
  }

  async getResults(id: string, taskIds: readonly string[]): Promise<(string | null)[]> {
    if (taskIds.length === 0) return [];
    return this.redis.hmget(this.resultsKey(id), ...taskIds);
  }

  async markExhausted(id: string, api: ApiId, reason: string): Promise<void> {
    await this.redis.hsetnx(this.key(id), `x.${api}`, reason);
  }

  async isExhausted(id: string, api: ApiId): Promise<string | null> {
    return this.redis.hget(this.key(id), `x.${api}`);
  }

  async callTurn(id: string, api: ApiId, owner: string, claimMs: number): Promise<CallTurn> {
    return this.redis.rsCallTurn(this.key(id), api, owner, claimMs);
  }

  async openCalls(id: string, api: ApiId): Promise<void> {
    await this.redis.hset(this.key(id), `p.${api}`, 'ok');
  }

  async releaseProbe(id: string, api: ApiId, owner: string): Promise<void> {
    await this.redis.rsReleaseProbe(this.key(id), api, owner);
  }

  async noteHold(id: string, api: ApiId, code: number, ms: number): Promise<void> {
    await this.redis.rsNoteHold(this.key(id), `h.${api}.${code}`, ms);
  }

  async now(): Promise<number> {
    return Number(await this.redis.rsTimeMs(`${this.prefix}:batches`));
  }

  async reserveCall(id: string, maxCalls: number): Promise<boolean> {
    return (await this.redis.rsReserveCall(this.key(id), maxCalls)) === 1;
  }

  async releaseCall(id: string): Promise<void> {
    await this.redis.hincrby(this.key(id), 'c.reserved', -1);
  }

  async dropResults(id: string): Promise<void> {
    await this.redis.unlink(this.resultsKey(id));
  }

  async billedTotals(): Promise<BilledTotals> {
    const totals = emptyBilledTotals();
    for (const [name, value] of Object.entries(await this.redis.hgetall(this.totalsKey))) {
      const total = billedTotalOf(name);
      if (total && total.api in totals) totals[total.api][total.field] = Number(value);
    }
    return totals;
  }

  /** Batch ids, newest first. */
  async list(limit = 20): Promise<string[]> {
    return this.redis.zrevrange(`${this.prefix}:batches`, 0, limit - 1);
  }
}

export class RedisResultCache implements ResultCache {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async get(api: ApiId, hash: string): Promise<string | null> {
    return this.redis.get(`${this.prefix}:cache:${api}:${hash}`);
  }

  async set(api: ApiId, hash: string, encoded: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(`${this.prefix}:cache:${api}:${hash}`, encoded, 'EX', ttlSeconds);
  }

  /** EXISTS counts the keys that exist: one command (keys of one prefix share a slot on a cluster). */
  async countCached(api: ApiId, hashes: readonly string[]): Promise<number> {
    if (hashes.length === 0) return 0;
    return this.redis.exists(...hashes.map((hash) => `${this.prefix}:cache:${api}:${hash}`));
  }

  /** MGET: one command, like countCached (on a cluster, every key of the prefix is in its one slot). */
  async getMany(api: ApiId, hashes: readonly string[]): Promise<(string | null)[]> {
    if (hashes.length === 0) return [];
    return this.redis.mget(...hashes.map((hash) => `${this.prefix}:cache:${api}:${hash}`));
  }
}

export class RedisInflightLocks implements InflightLocks {
  private readonly redis: Scripted;

  constructor(
    redis: RedisConnection,
    private readonly prefix: string,
  ) {
    this.redis = withScripts(redis);
  }

  async acquire(api: ApiId, hash: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.rsAcquireLock(`${this.prefix}:lock:${api}:${hash}`, owner, ttlMs)) === 1;
  }

  async release(api: ApiId, hash: string, owner: string): Promise<void> {
    await this.redis.rsReleaseLock(`${this.prefix}:lock:${api}:${hash}`, owner);
  }
}

export class RedisRateGate implements RateGate {
  private readonly redis: Scripted;

  constructor(
    redis: RedisConnection,
    private readonly prefix: string,
    private readonly clock = new RedisClock(),
  ) {
    this.redis = withScripts(redis);
  }

  /**
   * The rate shared in Redis (`<p>:rates`, set by `--rate` and by workers) wins over
   * this process's configured one, so every worker paces at the same rate as the queue.
   */
  async reserve(api: ApiId, rate: number): Promise<number> {
    const sentAt = this.clock.localNow();
    const [slot, now] = await this.redis.rsRateGate(`${this.prefix}:gate:${api}`, `${this.prefix}:rates`, rate, api, PACE_FACTOR);
    this.clock.observe(Number(now), sentAt, this.clock.localNow());
    // Counted from now, not from when Redis answered: a reply read late leaves less to wait.
    return this.clock.toLocal(Number(slot)) - this.clock.localNow();
  }

  async hold(api: ApiId, ms: number): Promise<void> {
    await this.redis.rsRateHold(`${this.prefix}:gate:${api}`, ms);
  }

  async waitFor(api: ApiId): Promise<number> {
    const [next, now] = await Promise.all([this.redis.get(`${this.prefix}:gate:${api}`), this.redis.rsTimeMs(`${this.prefix}:gate:${api}`)]);
    return next === null ? 0 : Math.max(0, Number(next) - Number(now));
  }
}

export function redisStores(redis: RedisConnection, prefix: string): EngineStores & { batches: RedisBatchStore } {
  return {
    batches: new RedisBatchStore(redis, prefix),
    cache: new RedisResultCache(redis, prefix),
    locks: new RedisInflightLocks(redis, prefix),
    gate: new RedisRateGate(redis, prefix),
  };
}
