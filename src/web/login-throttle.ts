/**
 * Failed logins, counted per account and per address over a window: past the limit,
 * logins for that account (or from that address) are refused until the window passes,
 * right password or not, so a password cannot be guessed at speed. A login is counted
 * as it starts (`attempt`, one atomic step), before its password is checked, so guesses
 * sent in parallel are counted too; a good login takes its count back. In Redis with
 * the queue engine (shared by every web process), in memory otherwise.
 */
import type { RedisConnection } from '../shared/redis-url.js';

export interface ThrottleLimits {
  perAccount: number;
  perAddress: number;
  windowMs: number;
}

export const LOGIN_LIMITS: ThrottleLimits = { perAccount: 5, perAddress: 20, windowMs: 15 * 60_000 };

export interface LoginThrottle {
  /**
   * Counts a login as it starts, for the account and the address at once; answers the ms
   * to wait when either is past its limit (the password is then not checked), else 0.
   */
  attempt(account: string, address: string): Promise<number>;
  /** Ms until a login for this account from this address may be tried; 0 when it may now. */
  blockedFor(account: string, address: string): Promise<number>;
  recordFailure(account: string, address: string): Promise<void>;
  /**
   * A good login forgets the account's failures; given its address, it takes its own
   * attempt back from the address's count (an office behind one address logs in often).
   */
  recordSuccess(account: string, address?: string): Promise<void>;
}

interface Count {
  n: number;
  until: number;
}

export class MemoryLoginThrottle implements LoginThrottle {
  private readonly counts = new Map<string, Count>();

  constructor(private readonly limits: ThrottleLimits = LOGIN_LIMITS) {}

  private over(key: string, limit: number, now: number): number {
    const count = this.counts.get(key);
    if (!count || count.until <= now) return 0;
    return count.n >= limit ? count.until - now : 0;
  }

  async blockedFor(account: string, address: string): Promise<number> {
    const now = Date.now();
    return Math.max(this.over(`a:${account}`, this.limits.perAccount, now), this.over(`ip:${address}`, this.limits.perAddress, now));
  }

  async recordFailure(account: string, address: string): Promise<void> {
    const now = Date.now();
    for (const key of [`a:${account}`, `ip:${address}`]) {
      const count = this.counts.get(key);
      if (!count || count.until <= now) this.counts.set(key, { n: 1, until: now + this.limits.windowMs });
      else count.n++;
    }
    if (this.counts.size > 100_000) for (const [key, count] of this.counts) if (count.until <= now) this.counts.delete(key);
  }

  async attempt(account: string, address: string): Promise<number> {
    const now = Date.now();
    let wait = 0;
    for (const [key, limit] of [[`a:${account}`, this.limits.perAccount], [`ip:${address}`, this.limits.perAddress]] as const) {
      let count = this.counts.get(key);
      if (!count || count.until <= now) this.counts.set(key, (count = { n: 0, until: now + this.limits.windowMs }));
      count.n++;
      if (count.n > limit) wait = Math.max(wait, count.until - now);
    }
    return wait;
  }

  async recordSuccess(account: string, address?: string): Promise<void> {
    this.counts.delete(`a:${account}`);
    const count = address === undefined ? undefined : this.counts.get(`ip:${address}`);
    if (count && count.n > 0) count.n--;
  }
}

export class RedisLoginThrottle implements LoginThrottle {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly limits: ThrottleLimits = LOGIN_LIMITS,
  ) {}

  private key(kind: 'a' | 'ip', name: string): string {
    return `${this.prefix}:web:login-failures:${kind}:${name}`;
  }

  async blockedFor(account: string, address: string): Promise<number> {
    const replies = (await this.redis
      .multi()
      .get(this.key('a', account))
      .pttl(this.key('a', account))
      .get(this.key('ip', address))
      .pttl(this.key('ip', address))
      .exec())!;
    const [a, aTtl, ip, ipTtl] = replies.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const over = (n: unknown, ttl: unknown, limit: number) => (Number(n ?? 0) >= limit ? Math.max(1, Number(ttl)) : 0);
    return Math.max(over(a, aTtl, this.limits.perAccount), over(ip, ipTtl, this.limits.perAddress));
  }

  async recordFailure(account: string, address: string): Promise<void> {
    const multi = this.redis.multi();
    for (const key of [this.key('a', account), this.key('ip', address)]) multi.set(key, 0, 'PX', this.limits.windowMs, 'NX').incr(key);
    await multi.exec();
  }

  async attempt(account: string, address: string): Promise<number> {
    const multi = this.redis.multi();
    const keys = [this.key('a', account), this.key('ip', address)];
    for (const key of keys) multi.set(key, 0, 'PX', this.limits.windowMs, 'NX').incr(key).pttl(key);
    const replies = (await multi.exec())!.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const over = (n: unknown, ttl: unknown, limit: number) => (Number(n) > limit ? Math.max(1, Number(ttl)) : 0);
    return Math.max(over(replies[1], replies[2], this.limits.perAccount), over(replies[4], replies[5], this.limits.perAddress));
  }

  async recordSuccess(account: string, address?: string): Promise<void> {
    await this.redis.del(this.key('a', account));
    // Only while the count lives: a DECR of a lapsed key would make one with no expiry.
    if (address !== undefined) await this.redis.eval(TAKE_BACK, 1, this.key('ip', address));
  }
}

const TAKE_BACK = "if redis.call('exists', KEYS[1]) == 1 and tonumber(redis.call('get', KEYS[1])) > 0 then return redis.call('decr', KEYS[1]) end return 0";
