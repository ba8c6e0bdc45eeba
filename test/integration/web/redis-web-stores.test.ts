/**
 * The console's Redis stores against a real Redis, each test under its own key prefix
 * (deleted afterwards): sessions (RedisSessionStore) and failed-login counts
 * (RedisLoginThrottle). Their in-memory twins: test/unit/web/.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisLoginThrottle } from '../../../src/web/login-throttle.js';
import { RedisSessionStore } from '../../../src/web/session-store.js';
import { isolatedRedis, type TestRedis } from '../../support/redis.js';

let redis: TestRedis;
beforeEach(async () => {
  redis = await isolatedRedis();
});
afterEach(async () => {
  await redis.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const keys = () => redis.client.keys(`${redis.prefix}:*`);
const HOUR = 3_600_000;

describe('RedisSessionStore', () => {
  it('creates, finds and destroys a session', async () => {
    const store = new RedisSessionStore(redis.client, redis.prefix);
    const before = Date.now();
    const { id, session } = await store.create('li.lei', 'operator', HOUR);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).toMatchObject({ user: 'li.lei', role: 'operator' });
    expect(session.expires - session.created).toBe(HOUR);
    expect(session.created).toBeGreaterThanOrEqual(before);
    expect(await store.get(id)).toEqual(session);

    // Another store on the same Redis (another web process) finds it too.
    expect(await new RedisSessionStore(redis.client, redis.prefix).get(id)).toEqual(session);
    // One with another prefix does not.
    expect(await new RedisSessionStore(redis.client, `${redis.prefix}-other`).get(id)).toBeNull();

    const other = await store.create('han', 'viewer', HOUR);
    await store.destroy(id);
    expect(await store.get(id)).toBeNull();
    expect(await store.get(other.id)).toEqual(other.session);
    expect(await keys()).toHaveLength(1);
    await store.destroy(id); // twice: no error
    await store.close();
  });

  it('answers null for an unknown id', async () => {
    const store = new RedisSessionStore(redis.client, redis.prefix);
    const { id } = await store.create('a', 'viewer', HOUR);
    expect(await store.get('nope')).toBeNull();
    expect(await store.get('')).toBeNull();
    expect(await store.get(id.slice(1))).toBeNull();
  });

  it('keys a session by the sha256 of its id: neither key nor value holds the cookie value', async () => {
    const store = new RedisSessionStore(redis.client, redis.prefix);
    const { id, session } = await store.create('li.lei', 'admin', HOUR);
    const stored = await keys();
    expect(stored).toEqual([`${redis.prefix}:web:session:${createHash('sha256').update(id).digest('hex')}`]);
    expect(stored[0]).not.toContain(id);
    const value = (await redis.client.get(stored[0]!))!;
    expect(value).not.toContain(id);
    expect(JSON.parse(value)).toEqual(session);
  });

  it('lets Redis expire a session after its time', async () => {
    const store = new RedisSessionStore(redis.client, redis.prefix);
    const { id } = await store.create('a', 'viewer', 300);
    const [key] = await keys();
    const ttl = await redis.client.pttl(key!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    expect(await store.get(id)).not.toBeNull();
    await sleep(400);
    expect(await store.get(id)).toBeNull();
    expect(await keys()).toEqual([]);
  });

  it('refuses a stored session past its expiry even if the key outlived it', async () => {
    const store = new RedisSessionStore(redis.client, redis.prefix);
    const { id, session } = await store.create('a', 'viewer', HOUR);
    const [key] = await keys();
    await redis.client.set(key!, JSON.stringify({ ...session, expires: Date.now() - 1 }), 'PX', HOUR);
    expect(await store.get(id)).toBeNull();
  });
});

describe('RedisLoginThrottle', () => {
  const limits = { perAccount: 3, perAddress: 5, windowMs: 60_000 };

  it('blocks an account at its limit, from any address, for the rest of the window', async () => {
    const throttle = new RedisLoginThrottle(redis.client, redis.prefix, limits);
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBe(0);
    await throttle.recordFailure('li.lei', '10.0.0.1');
    await throttle.recordFailure('li.lei', '10.0.0.2');
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBe(0);
    await throttle.recordFailure('li.lei', '10.0.0.3');
    const blocked = await throttle.blockedFor('li.lei', '192.168.1.1');
    expect(blocked).toBeGreaterThan(55_000);
    expect(blocked).toBeLessThanOrEqual(60_000);
    expect(await throttle.blockedFor('han', '10.0.0.1')).toBe(0);
    // Shared: another web process sees the same counts.
    expect(await new RedisLoginThrottle(redis.client, redis.prefix, limits).blockedFor('li.lei', '10.0.0.9')).toBeGreaterThan(0);
  });

  it('blocks an address at its limit, for every account', async () => {
    const throttle = new RedisLoginThrottle(redis.client, redis.prefix, limits);
    for (const account of ['a', 'b', 'c', 'd']) await throttle.recordFailure(account, '10.0.0.9');
    expect(await throttle.blockedFor('e', '10.0.0.9')).toBe(0);
    await throttle.recordFailure('e', '10.0.0.9');
    expect(await throttle.blockedFor('never-tried', '10.0.0.9')).toBeGreaterThan(0);
    expect(await throttle.blockedFor('never-tried', '10.0.0.10')).toBe(0);
  });

  it('counts over a fixed window that starts at the first failure: the keys expire', async () => {
    const throttle = new RedisLoginThrottle(redis.client, redis.prefix, { ...limits, windowMs: 400 });
    await throttle.recordFailure('li.lei', '10.0.0.1');
    for (const key of await keys()) {
      const ttl = await redis.client.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(400);
    }
    await sleep(150);
    await throttle.recordFailure('li.lei', '10.0.0.1');
    await throttle.recordFailure('li.lei', '10.0.0.1');
    const blocked = await throttle.blockedFor('li.lei', '10.0.0.1');
    expect(blocked).toBeGreaterThan(0);
    expect(blocked).toBeLessThanOrEqual(250); // not restarted by the later failures
    await sleep(blocked + 100);
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBe(0);
    expect(await keys()).toEqual([]);
  });

  it('a good login clears the account, not the address', async () => {
    const throttle = new RedisLoginThrottle(redis.client, redis.prefix, limits);
    for (let i = 0; i < 3; i++) await throttle.recordFailure('li.lei', '10.0.0.1');
    for (let i = 0; i < 2; i++) await throttle.recordFailure('other', '10.0.0.1');
    expect(await throttle.blockedFor('li.lei', '10.0.0.2')).toBeGreaterThan(0);
    await throttle.recordSuccess('li.lei');
    expect(await throttle.blockedFor('li.lei', '10.0.0.2')).toBe(0);
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBeGreaterThan(0);
    expect(await throttle.blockedFor('someone', '10.0.0.1')).toBeGreaterThan(0);
  });

  it('keeps its counts under the prefix given', async () => {
    const throttle = new RedisLoginThrottle(redis.client, redis.prefix, limits);
    await throttle.recordFailure('li.lei', '10.0.0.1');
    expect((await keys()).sort()).toEqual([`${redis.prefix}:web:login-failures:a:li.lei`, `${redis.prefix}:web:login-failures:ip:10.0.0.1`]);
    expect(await new RedisLoginThrottle(redis.client, `${redis.prefix}-other`, { ...limits, perAccount: 1 }).blockedFor('li.lei', 'x')).toBe(0);
  });

  it('attempt is one atomic step: parallel attempts past the limit are refused, and a good login takes its attempt back', async () => {
    const throttle = new RedisLoginThrottle(redis.client, redis.prefix, limits);
    const waits = await Promise.all(Array.from({ length: 10 }, () => throttle.attempt('otto', '10.0.0.5')));
    expect(waits.filter((wait) => wait === 0)).toHaveLength(limits.perAccount);
    expect(waits.filter((wait) => wait > 0)).toHaveLength(10 - limits.perAccount);
    await throttle.recordSuccess('otto', '10.0.0.5');
    expect(await throttle.attempt('otto', '10.0.0.6')).toBe(0);
  });
});
