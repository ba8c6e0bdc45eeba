/**
 * MemorySessionStore. (RedisSessionStore: test/integration/web/redis-session-store.test.ts.)
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySessionStore } from '../../../src/web/session-store.js';

let store: MemorySessionStore;
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2024-05-01T08:00:00Z'));
  store = new MemorySessionStore();
});
afterEach(async () => {
  await store.close();
  vi.useRealTimers();
});

const HOUR = 3_600_000;

describe('MemorySessionStore', () => {
  it('creates a session with a random id and CSRF token, found again by its id', async () => {
    const now = Date.now();
    const { id, session } = await store.create('li.lei', 'operator', 12 * HOUR);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
    expect(session).toEqual({ user: 'li.lei', role: 'operator', csrf: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/), created: now, expires: now + 12 * HOUR });
    expect(await store.get(id)).toEqual(session);
    const other = await store.create('li.lei', 'operator', HOUR);
    expect(other.id).not.toBe(id);
    expect(other.session.csrf).not.toBe(session.csrf);
    expect(await store.get(other.id)).toEqual(other.session);
  });

  it('answers null for an unknown id, or one a character off', async () => {
    const { id } = await store.create('a', 'viewer', HOUR);
    expect(await store.get('')).toBeNull();
    expect(await store.get('nope')).toBeNull();
    expect(await store.get(id.slice(0, -1))).toBeNull();
    expect(await store.get(`${id}x`)).toBeNull();
  });

  it('destroy ends a session at once, and only that one', async () => {
    const a = await store.create('a', 'viewer', HOUR);
    const b = await store.create('a', 'viewer', HOUR);
    await store.destroy(a.id);
    expect(await store.get(a.id)).toBeNull();
    expect(await store.get(b.id)).not.toBeNull();
    await store.destroy(a.id); // twice: no error
    await store.destroy('never-was');
  });

  it('a session expires after its time', async () => {
    const { id } = await store.create('a', 'admin', HOUR);
    vi.advanceTimersByTime(HOUR - 1);
    expect(await store.get(id)).not.toBeNull();
    vi.advanceTimersByTime(1);
    expect(await store.get(id)).toBeNull();
  });

  it('sweeps expired sessions out of memory', async () => {
    await store.create('a', 'viewer', 1_000);
    const kept = await store.create('b', 'viewer', 10 * HOUR);
    const sessions = (store as unknown as { sessions: Map<string, unknown> }).sessions;
    expect(sessions.size).toBe(2);
    vi.advanceTimersByTime(61_000);
    expect(sessions.size).toBe(1);
    expect(await store.get(kept.id)).not.toBeNull();
  });

  it('keeps only the sha256 of the id, never the id itself', async () => {
    const { id, session } = await store.create('li.lei', 'operator', HOUR);
    const sessions = (store as unknown as { sessions: Map<string, unknown> }).sessions;
    expect([...sessions.keys()]).toEqual([createHash('sha256').update(id).digest('hex')]);
    const everything = JSON.stringify([...sessions.entries()]);
    expect(everything).not.toContain(id);
    expect(everything).toContain(session.csrf);
  });

  it('close stops the sweep timer', async () => {
    const before = vi.getTimerCount();
    const other = new MemorySessionStore();
    expect(vi.getTimerCount()).toBe(before + 1);
    await other.close();
    expect(vi.getTimerCount()).toBe(before);
  });
});
