/**
 * What nightly runs keep in Redis beside BullMQ's own job schedulers, all under the
 * engine's prefix (one hash tag, so a Redis Cluster keeps it in one slot):
 *
 * - `nightly:claims:<schedule>`: inbox file identity -> the batch id it became (and,
 *   for a refused file, `<identity>:rejected` -> where it goes). Written
 *   *before* the batch is created, so a tick that dies anywhere between claiming a
 *   file and moving it to `taken/` makes the same batch again, never a second one.
 * - `nightly:runs`: batch id -> what to do when it ends (outbox, webhook).
 * - `nightly:secrets`: webhook secrets, by owner (`schedule:<name>`, `batch:<id>`). An
 *   HMAC needs the secret itself, so it is kept as given; it never travels in job
 *   data, which bull-board and `schedule list` show.
 * - `nightly:lock:<schedule>`, `nightly:lock:<schedule>:outbox`: one tick, and one
 *   outbox export, of a schedule at a time.
 * - `nightly:ticks:<schedule>`: the last ticks, what each took and left.
 * - `webhook:attempts`: every webhook attempt (the newest 2,000).
 */
import type { RedisConnection } from '../shared/redis-url.js';
import type { ScheduleOutput } from './schedule.js';

/** Where a scheduled batch's result goes, kept from the tick that made it. */
export interface ScheduledRunTarget {
  name: string;
  /** The inbox file as it was dropped, and its stem (outbox names start with it). */
  file: string;
  stem: string;
  /** yyyymmdd of the tick in the schedule's time zone. */
  runDate: string;
  outbox: string;
  /** The schedule's output options as they were at the tick (`formats` absent in a run queued before formats: CSV). */
  output: ScheduleOutput;
  keep: number;
  /** Where the input file went (inbox/taken/...). */
  taken: string | null;
}

/** What to do when a batch ends. */
export interface NightlyRun {
  batchId: string;
  schedule: ScheduledRunTarget | null;
  /** Whom to tell; the secret is kept under `secretOwner`. */
  webhook: { url: string; secretOwner: string } | null;
}

export interface TickRecord {
  schedule: string;
  /** The BullMQ job that ran it (`repeat:...` for a scheduled tick, `run:...` for `schedule run`). */
  job: string;
  started: string;
  finished: string;
  /** File names have any mobile number in them masked. */
  taken: { file: string; batchId: string }[];
  rejected: { file: string; problem: string }[];
  /** Files that could not be taken for a reason not theirs (a read error of the share, Redis gone): left for the next look. */
  failed: { file: string; problem: string }[];
  /** Files seen but not complete yet (being written, waiting for a marker). */
  waiting: string[];
  /** When the tick will look again for the waiting files (ISO), if it will. */
  followUp: string | null;
  /** Why the whole tick failed (the inbox cannot be read, say); null when it ran. */
  error: string | null;
}

export interface WebhookAttemptRecord {
  at: string;
  delivery: string;
  event: string;
  /** Origin and path only. */
  url: string;
  attempt: number;
  ok: boolean;
  status: number | null;
  error: string | null;
  ms: number;
  /** The start of the receiver's answer (200 characters at most), for telling why it refused. */
  response: string;
  /** ISO time of the next attempt; null when delivered or given up. */
  nextAttempt: string | null;
  gaveUp: boolean;
}

/** A lock being held: see NightlyStore.hold. */
export interface HeldLock {
  readonly lost: boolean;
  release(): Promise<void>;
}

const TICKS_KEPT = 50;
const ATTEMPTS_KEPT = 2_000;

/** Extends the key's life only while it still holds the owner's token. */
const RENEW_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
/** Deletes the key only while it still holds the owner's token. */
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;
/** Takes the lock when free or already the owner's, and (re)sets its lifetime. */
const TAKE_LOCK = `local held = redis.call('get', KEYS[1])
if held == false or held == ARGV[1] then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

export class NightlyStore {
  constructor(
    readonly redis: RedisConnection,
    readonly prefix: string,
  ) {}

  private key(...parts: string[]): string {
    return [this.prefix, 'nightly', ...parts].join(':');
  }

  async putSecret(owner: string, secret: string): Promise<void> {
    await this.redis.hset(this.key('secrets'), owner, secret);
  }

  async secret(owner: string): Promise<string | null> {
    return this.redis.hget(this.key('secrets'), owner);
  }

  async dropSecret(owner: string): Promise<void> {
    await this.redis.hdel(this.key('secrets'), owner);
  }

  async putRun(run: NightlyRun): Promise<void> {
    await this.redis.hset(this.key('runs'), run.batchId, JSON.stringify(run));
  }

  async run(batchId: string): Promise<NightlyRun | null> {
    const raw = await this.redis.hget(this.key('runs'), batchId);
    return raw ? (JSON.parse(raw) as NightlyRun) : null;
  }

  /** The batch has been handed on (outbox written, webhook queued). */
  async dropRun(batchId: string): Promise<void> {
    await this.redis.hdel(this.key('runs'), batchId);
  }

  /** The batch id this inbox file became (or is becoming): `proposed` when it is new. */
  async claim(schedule: string, identity: string, proposed: string): Promise<{ batchId: string; isNew: boolean }> {
    const key = this.key('claims', schedule);
    const isNew = (await this.redis.hsetnx(key, identity, proposed)) === 1;
    return { batchId: isNew ? proposed : ((await this.redis.hget(key, identity)) ?? proposed), isNew };
  }

  /** Where a refused inbox file goes: recorded before anything is written, so a tick that dies half-way finishes the same way. */
  async rejectTarget(schedule: string, identity: string, proposed: string): Promise<string> {
    const key = this.key('claims', schedule);
    await this.redis.hsetnx(key, `${identity}:rejected`, proposed);
    return (await this.redis.hget(key, `${identity}:rejected`)) ?? proposed;
  }

  /** The file has moved out of the inbox (or was rejected): nothing to remember. */
  async releaseClaim(schedule: string, identity: string): Promise<void> {
    await this.redis.hdel(this.key('claims', schedule), identity, `${identity}:rejected`);
  }

  /**
   * One tick of a schedule at a time (`what` is its name), one outbox export of a
   * schedule at a time (`<name>:outbox`). The owner is the BullMQ worker's token for the
   * job it runs: a second delivery of the job (its first worker stalled or died) has
   * another token and waits until the first one's lock is released or lapses.
   */
  async lock(what: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(TAKE_LOCK, 1, this.key('lock', what), owner, String(ttlMs))) === 1;
  }

  /**
   * Takes the lock and keeps it (renewed every third of its life) until released; null
   * when another owner holds it. `lost` turns true when a renewal finds it gone (this
   * worker stalled past it, Redis failed over): the holder stops before doing harm.
   */
  async hold(what: string, owner: string, ttlMs: number): Promise<HeldLock | null> {
    if (!(await this.lock(what, owner, ttlMs))) return null;
    let lost = false;
    const timer = setInterval(
      () =>
        void this.renewLock(what, owner, ttlMs).then(
          (ok) => (lost ||= !ok),
          () => undefined,
        ),
      ttlMs / 3,
    );
    timer.unref();
    return {
      get lost() {
        return lost;
      },
      release: async () => {
        clearInterval(timer);
        await this.unlock(what, owner).catch(() => undefined);
      },
    };
  }

  /** Extends the lock only while it is still the owner's: false when it lapsed or another took it. */
  async renewLock(what: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW_LOCK, 1, this.key('lock', what), owner, String(ttlMs))) === 1;
  }

  async unlock(what: string, owner: string): Promise<void> {
    await this.redis.eval(RELEASE_LOCK, 1, this.key('lock', what), owner);
  }

  async recordTick(record: TickRecord): Promise<void> {
    const key = this.key('ticks', record.schedule);
    await this.redis.multi().lpush(key, JSON.stringify(record)).ltrim(key, 0, TICKS_KEPT - 1).exec();
  }

  /** The newest first. */
  async ticks(schedule: string, count = TICKS_KEPT): Promise<TickRecord[]> {
    const raw = await this.redis.lrange(this.key('ticks', schedule), 0, count - 1);
    return raw.map((line) => JSON.parse(line) as TickRecord);
  }

  async recordAttempt(record: WebhookAttemptRecord): Promise<void> {
    const key = `${this.prefix}:webhook:attempts`;
    await this.redis.multi().lpush(key, JSON.stringify(record)).ltrim(key, 0, ATTEMPTS_KEPT - 1).exec();
  }

  /** The newest first. */
  async attempts(count = 100): Promise<WebhookAttemptRecord[]> {
    const raw = await this.redis.lrange(`${this.prefix}:webhook:attempts`, 0, count - 1);
    return raw.map((line) => JSON.parse(line) as WebhookAttemptRecord);
  }

  /**
   * A removed schedule: its secret and tick log. Its claims and locks stay: a tick still
   * running (or one that died half-way) must find them if the name is added again.
   */
  async dropSchedule(schedule: string): Promise<void> {
    await this.redis.del(this.key('ticks', schedule));
    await this.dropSecret(`schedule:${schedule}`);
  }
}
