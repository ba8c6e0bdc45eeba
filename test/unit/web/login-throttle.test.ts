/**
 * MemoryLoginThrottle: failed logins counted per account and per address over a window.
 * (RedisLoginThrottle: test/integration/web/redis-login-throttle.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOGIN_LIMITS, MemoryLoginThrottle } from '../../../src/web/login-throttle.js';

const limits = { perAccount: 3, perAddress: 5, windowMs: 60_000 };

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2024-05-01T08:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

async function fail(throttle: MemoryLoginThrottle, account: string, address: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await throttle.recordFailure(account, address);
}

describe('MemoryLoginThrottle', () => {
  it('defaults to 5 per account and 20 per address over 15 minutes', async () => {
    expect(LOGIN_LIMITS).toEqual({ perAccount: 5, perAddress: 20, windowMs: 15 * 60_000 });
    const throttle = new MemoryLoginThrottle();
    await fail(throttle, 'li.lei', '10.0.0.1', 4);
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBe(0);
    await fail(throttle, 'li.lei', '10.0.0.1', 1);
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBe(15 * 60_000);
  });

  it('lets logins through below the limit, and blocks the account at it, from any address', async () => {
    const throttle = new MemoryLoginThrottle(limits);
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBe(0);
    await throttle.recordFailure('li.lei', '10.0.0.1');
    await throttle.recordFailure('li.lei', '10.0.0.2');
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBe(0);
    vi.advanceTimersByTime(10_000);
    await throttle.recordFailure('li.lei', '10.0.0.3');
    // The window began at the first failure: 50 s of it are left.
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBe(50_000);
    expect(await throttle.blockedFor('li.lei', '192.168.9.9')).toBe(50_000);
    // Another account from the same addresses is not blocked (each address has only 1 failure).
    expect(await throttle.blockedFor('han', '10.0.0.1')).toBe(0);
  });

  it('blocks an address at its limit, for every account', async () => {
    const throttle = new MemoryLoginThrottle(limits);
    for (const account of ['a', 'b', 'c', 'd']) await throttle.recordFailure(account, '10.0.0.9');
    expect(await throttle.blockedFor('e', '10.0.0.9')).toBe(0);
    await throttle.recordFailure('e', '10.0.0.9');
    expect(await throttle.blockedFor('never-tried', '10.0.0.9')).toBe(60_000);
    expect(await throttle.blockedFor('never-tried', '10.0.0.10')).toBe(0);
  });

  it('forgets the failures when the window has passed', async () => {
    const throttle = new MemoryLoginThrottle(limits);
    await fail(throttle, 'li.lei', '10.0.0.1', 3);
    vi.advanceTimersByTime(59_999);
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBe(0);
    // A failure after the window starts a new count from 1.
    await throttle.recordFailure('li.lei', '10.0.0.1');
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBe(0);
  });

  it('a good login clears the account, not the address', async () => {
    const throttle = new MemoryLoginThrottle(limits);
    await fail(throttle, 'li.lei', '10.0.0.1', 3);
    await fail(throttle, 'other', '10.0.0.1', 2); // the address is at 5
    expect(await throttle.blockedFor('li.lei', '10.0.0.2')).toBeGreaterThan(0);
    await throttle.recordSuccess('li.lei');
    expect(await throttle.blockedFor('li.lei', '10.0.0.2')).toBe(0);
    // The address stays blocked, for li.lei too.
    expect(await throttle.blockedFor('li.lei', '10.0.0.1')).toBeGreaterThan(0);
    expect(await throttle.blockedFor('someone', '10.0.0.1')).toBeGreaterThan(0);
  });

  it('does not mix an account and an address that have the same text', async () => {
    const throttle = new MemoryLoginThrottle(limits);
    await fail(throttle, '10.0.0.1', 'x', 3); // an account named like an address
    expect(await throttle.blockedFor('someone', '10.0.0.1')).toBe(0);
  });

  it('attempt counts a login as it starts, for the account and the address at once, and refuses past either limit', async () => {
    const throttle = new MemoryLoginThrottle(limits);
    for (let i = 0; i < 3; i++) expect(await throttle.attempt('li.lei', '10.0.0.1')).toBe(0);
    // The fourth attempt of the account is refused, from any address, without a failure recorded in between.
    expect(await throttle.attempt('li.lei', '10.0.0.2')).toBe(60_000);
    expect(await throttle.blockedFor('li.lei', '10.0.0.3')).toBe(60_000);
    // The address counted each attempt too (3 from li.lei): two more of anyone's, then refused.
    expect(await throttle.attempt('a', '10.0.0.1')).toBe(0);
    expect(await throttle.attempt('b', '10.0.0.1')).toBe(0);
    expect(await throttle.attempt('c', '10.0.0.1')).toBe(60_000);
  });

  it('a good login takes its attempt back from the address and clears the account', async () => {
    const throttle = new MemoryLoginThrottle(limits);
    // Ten people behind one address log in: none is held up.
    for (let i = 0; i < 10; i++) {
      expect(await throttle.attempt(`user${i}`, '10.0.0.1')).toBe(0);
      await throttle.recordSuccess(`user${i}`, '10.0.0.1');
    }
    expect(await throttle.attempt('li.lei', '10.0.0.1')).toBe(0);
    expect(await throttle.attempt('li.lei', '10.0.0.1')).toBe(0);
    await throttle.recordSuccess('li.lei', '10.0.0.1');
    expect(await throttle.attempt('li.lei', '10.0.0.1')).toBe(0);
  });
});
