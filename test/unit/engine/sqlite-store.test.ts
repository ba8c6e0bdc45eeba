import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, StoreVersionError } from '../../../src/engine/sqlite-schema.js';
import { openSqliteStores, withBusyRetry, type SqliteStores, type SqliteStoreSettings } from '../../../src/engine/sqlite-store.js';
import { StoreWriteError } from '../../../src/engine/store-errors.js';
import { withApiCounts } from '../../../src/engine/batch.js';
import { emptyBilledTotals } from '../../../src/engine/store.js';
import { meta, storeContract } from './store-contract.js';

let dir: string;
let opened: SqliteStores[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-sqlite-'));
});

afterEach(() => {
  for (const stores of opened) stores.close();
  opened = [];
  rmSync(dir, { recursive: true, force: true });
});

function open(settings: Partial<SqliteStoreSettings> = {}): SqliteStores {
  const stores = openSqliteStores({ file: join(dir, 'store.db'), ...settings });
  opened.push(stores);
  return stores;
}

function moveToAnotherHost(session: string): void {
  const db = new Database(join(dir, 'store.db'));
  db.prepare("UPDATE sessions SET host = 'elsewhere' WHERE id = ?").run(session);
  db.close();
}

function setProcStart(session: string, start: string): void {
  const db = new Database(join(dir, 'store.db'));
  db.prepare('UPDATE sessions SET proc_start = ? WHERE id = ?').run(start, session);
  db.close();
}

// Each call a fresh file of its own, so the contract's tests start empty.
let files = 0;
storeContract('sqlite', async (clock) => open({ file: join(dir, `contract-${files++}.db`), ...(clock ? { now: clock } : {}) }));

describe('sqlite store: the file', () => {
  it('keeps batches, results and answers across a reopen', async () => {
    const first = open();
    const m = meta();
    await first.batches.create(m);
    await first.batches.recordResult(m.id, 'status.h1', '["a","normal"]', { answered: 1, billed: 1 });
    await first.batches.addCounts(m.id, {}, { '10011': 2 });
    await first.batches.markExhausted(m.id, 'tenure', 'spent');
    await first.batches.noteHold(m.id, 'status', 10011, 60_000);
    await first.cache.set('status', 'h1', '["a","normal"]', 3_600);
    const before = await first.batches.get(m.id);
    first.close();
    first.close(); // idempotent

    const again = open();
    expect(again.session).not.toBe(first.session);
    expect(await again.batches.get(m.id)).toEqual(before);
    expect(await again.batches.getResults(m.id, ['status.h1'])).toEqual(['["a","normal"]']);
    expect(await again.cache.get('status', 'h1')).toBe('["a","normal"]');
  });

  it('keeps the billed totals across a reopen and when the batches are removed (gc)', async () => {
    const first = open();
    const m = meta();
    await first.batches.create(m);
    await first.batches.recordResult(m.id, 'status.h1', 'x', withApiCounts('status', { answered: 1, billed: 1 }));
    await first.batches.addCounts(m.id, withApiCounts('status', { maybeBilled: 1 }), { juhe_transient: 1 });
    await first.batches.remove(m.id);
    first.close();
    const again = open();
    expect(await again.batches.get(m.id)).toBeUndefined();
    expect((await again.batches.billedTotals()).status).toEqual({ billed: 1, maybeBilled: 1 });
  });

  it('brings a file of schema version 1 up to date: its batches kept, billed totals counted from then on', async () => {
    const file = join(dir, 'v1.db');
    const old = open({ file });
    const m = meta();
    await old.batches.create(m);
    await old.batches.recordResult(m.id, 'status.h1', 'x', withApiCounts('status', { answered: 1, billed: 1 }));
    old.close();
    // What version 1 had: no totals table.
    const db = new Database(file);
    db.exec('DROP TABLE billed_totals');
    db.pragma('user_version = 1');
    db.close();
    const again = open({ file });
    expect((await again.batches.get(m.id))!.counts['billed.status']).toBe(1);
    // Calls billed before the upgrade are not in the totals.
    expect(await again.batches.billedTotals()).toEqual(emptyBilledTotals());
    await again.batches.recordResult(m.id, 'status.h2', 'x', withApiCounts('status', { answered: 1, billed: 1 }));
    expect((await again.batches.billedTotals()).status).toEqual({ billed: 1, maybeBilled: 0 });
    again.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    check.close();
  });

  it('a second store on the same file sees the first one\'s answers, batches and locks', async () => {
    const a = open();
    const b = open();
    await a.cache.set('status', 'h1', 'A', 60);
    expect(await b.cache.get('status', 'h1')).toBe('A');
    const m = meta();
    await a.batches.create(m);
    expect(await b.batches.status(m.id)).toBe('queued');
    // Locks are exclusive across stores (sessions), and the same owner takes its own back.
    expect(await a.locks.acquire('status', 'h1', 'job-a', 60_000)).toBe(true);
    expect(await b.locks.acquire('status', 'h1', 'job-b', 60_000)).toBe(false);
    expect(await b.locks.acquire('status', 'h1', 'job-a', 60_000)).toBe(true);
    // The rate gate is shared: b's slot comes after a's.
    const first = await a.gate.reserve('resale', 1);
    const second = await b.gate.reserve('resale', 1);
    expect(second - first).toBeGreaterThan(900);
  });

  it('closing a store frees its locks, probe claims and batch claims for the others', async () => {
    const a = open();
    const b = open();
    const m = meta();
    await a.batches.create(m);
    expect(await a.locks.acquire('status', 'h1', 'job-a', 60_000)).toBe(true);
    expect(await a.batches.callTurn(m.id, 'status', 'job-a', 60_000)).toBe('probe');
    expect(await a.batches.claim(m.id)).toEqual({ claimed: true });
    expect(await b.locks.acquire('status', 'h1', 'job-b', 60_000)).toBe(false);
    expect(await b.batches.callTurn(m.id, 'status', 'job-b', 60_000)).toBe('wait');
    expect(await b.batches.claim(m.id)).toEqual({ claimed: false, by: { pid: process.pid, host: expect.any(String) } });
    a.close();
    expect(await b.locks.acquire('status', 'h1', 'job-b', 60_000)).toBe(true);
    expect(await b.batches.callTurn(m.id, 'status', 'job-b', 60_000)).toBe('probe');
    expect(await b.batches.claim(m.id)).toEqual({ claimed: true });
  });

  it('a session of another host whose lease ran out holds nothing', async () => {
    let now = 1_000_000;
    const a = open({ now: () => now, leaseMs: 10_000 });
    const b = open({ now: () => now, leaseMs: 10_000 });
    const m = meta();
    await a.batches.create(m);
    expect(await a.locks.acquire('status', 'h1', 'job-a', 600_000)).toBe(true);
    expect(await a.batches.claim(m.id)).toEqual({ claimed: true });
    moveToAnotherHost(a.session);
    now += 9_999;
    expect(await b.locks.acquire('status', 'h1', 'job-b', 600_000)).toBe(false);
    expect((await b.batches.claim(m.id)).claimed).toBe(false);
    now += 1;
    expect(await b.locks.acquire('status', 'h1', 'job-b', 600_000)).toBe(true);
    expect(await b.batches.claim(m.id)).toEqual({ claimed: true });
  });

  it('on this host a live process keeps what it holds past its lease (a stalled event loop), told by its pid and start time', async () => {
    let now = 1_000_000;
    const a = open({ now: () => now, leaseMs: 10_000 });
    const b = open({ now: () => now, leaseMs: 10_000 });
    const m = meta();
    await a.batches.create(m);
    expect(await a.locks.acquire('status', 'h1', 'job-a', 600_000)).toBe(true);
    now += 60_000;
    expect(await b.locks.acquire('status', 'h1', 'job-b', 600_000)).toBe(false);
    expect((await b.batches.claim(m.id)).claimed).toBe(false);
    // The same pid with another start time is another process (the pid was reused): dead.
    setProcStart(a.session, '1');
    expect(await b.locks.acquire('status', 'h1', 'job-b', 600_000)).toBe(true);
    expect(await b.batches.claim(m.id)).toEqual({ claimed: true });
  });

  it('list, claim, release, remove', async () => {
    const stores = open();
    const older = meta({ id: 'b20260101-000000-aaaa' });
    const newer = meta({ id: 'b20260102-000000-aaaa', times: { created: '2026-01-02T00:00:00.000Z' } });
    await stores.batches.create(newer);
    await stores.batches.create(older);
    expect((await stores.batches.list()).map((view) => view.id)).toEqual([older.id, newer.id]);
    expect(await stores.batches.list()).toEqual([await stores.batches.get(older.id), await stores.batches.get(newer.id)]);
    // The newest only, read in the query (the metrics' batch gauges read the newest 1,000).
    expect((await stores.batches.list(1)).map((view) => view.id)).toEqual([newer.id]);
    expect((await stores.batches.list(5)).map((view) => view.id)).toEqual([older.id, newer.id]);

    const other = open();
    expect(await stores.batches.claim(older.id)).toEqual({ claimed: true });
    expect(await stores.batches.claim(older.id)).toEqual({ claimed: true });
    expect(await other.batches.claim(older.id)).toMatchObject({ claimed: false, by: { pid: process.pid } });
    // Only the holder's release counts.
    await other.batches.release(older.id);
    expect((await other.batches.claim(older.id)).claimed).toBe(false);
    await stores.batches.release(older.id);
    expect(await other.batches.claim(older.id)).toEqual({ claimed: true });
    await expect(stores.batches.claim('b20260101-000000-none')).rejects.toThrow(/no batch/);

    await stores.batches.recordResult(older.id, 't.1', 'x', { answered: 1 });
    await stores.batches.addCounts(older.id, { billed: 1 }, { '10011': 1 });
    await stores.batches.markExhausted(older.id, 'status', 'spent');
    await stores.batches.noteHold(older.id, 'status', 10011, 1_000);
    await stores.batches.callTurn(older.id, 'tenure', 'job', 1_000);
    await stores.batches.remove(older.id);
    expect(await stores.batches.get(older.id)).toBeUndefined();
    expect((await stores.batches.list()).map((view) => view.id)).toEqual([newer.id]);
    // Made again under the same id, nothing of the old batch shows through.
    await stores.batches.create(older);
    const fresh = (await stores.batches.get(older.id))!;
    expect(fresh).toMatchObject({ errorsByCode: {}, exhausted: {}, holds: {}, keyChecks: {} });
    expect(fresh.counts.final).toBe(0);
    expect(await stores.batches.getResults(older.id, ['t.1'])).toEqual([null]);
    expect(await stores.batches.claim(older.id)).toEqual({ claimed: true });
  });

  it('answers expire after their TTL; purgeExpired removes them and count counts live ones', async () => {
    let now = 1_000_000;
    const stores = open({ now: () => now });
    await stores.cache.set('status', 'h1', 'A', 60);
    await stores.cache.set('status', 'h2', 'B', 120);
    await stores.cache.set('tenure', 'h1', 'C', 120);
    expect(await stores.cache.count()).toBe(3);
    now += 60_000;
    expect(await stores.cache.get('status', 'h1')).toBeNull();
    expect(await stores.cache.count()).toBe(2);
    expect(await stores.cache.purgeExpired()).toBe(1);
    expect(await stores.cache.purgeExpired()).toBe(0);
    now += 60_000;
    expect(await stores.cache.count()).toBe(0);
    expect(await stores.cache.purgeExpired()).toBe(2);
    // Expiry is in the file: another store on it, on the same clock, agrees.
    await stores.cache.set('status', 'h3', 'D', 1);
    const other = open({ now: () => now });
    expect(await other.cache.get('status', 'h3')).toBe('D');
    now += 1_000;
    expect(await other.cache.get('status', 'h3')).toBeNull();
  });

  it('refuses a file of a newer schema version, naming the file', () => {
    const file = join(dir, 'newer.db');
    open({ file }).close();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let caught: unknown;
    try {
      openSqliteStores({ file });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StoreVersionError);
    expect((caught as Error).message).toContain(file);
    expect((caught as Error).message).toMatch(/newer/);
  });

  it('sets up WAL with synchronous=NORMAL and records the schema version', () => {
    const file = join(dir, 'pragmas.db');
    open({ file }).close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('a folder that cannot be made is a StoreWriteError naming the file', () => {
    writeFileSync(join(dir, 'a-file'), 'not a folder');
    const file = join(dir, 'a-file', 'sub', 'store.db');
    expect(() => openSqliteStores({ file })).toThrow(StoreWriteError);
    expect(() => openSqliteStores({ file })).toThrow(file);
  });
});

describe('sqlite store: a write that does not fit (max_page_count, as on a full disk)', () => {
  it('throws StoreWriteError "the disk is full", rolls back, and keeps every answer written before', async () => {
    const file = join(dir, 'capped.db');
    const stores = open({ file, maxPages: 40 });
    const m = meta();
    await stores.batches.create(m);
    const written: string[] = [];
    let caught: unknown;
    for (let i = 0; i < 100_000 && caught === undefined; i++) {
      const hash = i.toString(16).padStart(64, '0');
      try {
        await stores.cache.set('status', hash, `["a","normal","1","广东","深圳","移动${i}"]`, 3_600);
        written.push(hash);
      } catch (error) {
        caught = error;
      }
    }
    expect(caught).toBeInstanceOf(StoreWriteError);
    expect(caught).toMatchObject({ file, why: 'the disk is full', storeCode: 'SQLITE_FULL' });
    expect(written.length).toBeGreaterThan(10);
    // A transaction that fails part way leaves nothing of itself.
    const big = 'x'.repeat(200_000);
    await expect(stores.batches.recordResult(m.id, 'big', big, { answered: 1 })).rejects.toBeInstanceOf(StoreWriteError);
    expect(await stores.batches.getResults(m.id, ['big'])).toEqual([null]);
    expect((await stores.batches.get(m.id))!.counts.final).toBe(0);
    stores.close();

    const again = open({ file });
    for (const hash of written) expect(await again.cache.get('status', hash)).not.toBeNull();
    expect(await again.cache.count()).toBe(written.length);
  });
});

describe('withBusyRetry', () => {
  const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

  it('tries again a SQLITE_BUSY given at once, and returns what the next try returns', () => {
    let tries = 0;
    expect(
      withBusyRetry(() => {
        if (++tries < 3) throw busy();
        return 'done';
      }),
    ).toBe('done');
    expect(tries).toBe(3);
  });

  it('does not try again anything else, and gives up on a lock that stays', () => {
    let tries = 0;
    expect(() =>
      withBusyRetry(() => {
        tries++;
        throw Object.assign(new Error('full'), { code: 'SQLITE_FULL' });
      }),
    ).toThrow('full');
    expect(tries).toBe(1);
    tries = 0;
    expect(() =>
      withBusyRetry(() => {
        tries++;
        throw busy();
      }),
    ).toThrow('database is locked');
    expect(tries).toBe(21);
  });
});
