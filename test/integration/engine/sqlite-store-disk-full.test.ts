/**
 * The SQLite store on a disk that fills up: the write that does not fit is a
 * StoreWriteError naming the file ("the disk is full"), and every answer written before
 * it is still there after a reopen; a read-only file system fails the open the same way.
 * As root, on real tmpfs mounts (2 MB, read-only); always, on a file
 * capped by PRAGMA max_page_count (SQLite's own SQLITE_FULL), which needs no privileges.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStores, type SqliteStoreSettings } from '../../../src/engine/sqlite-store.js';
import { StoreWriteError } from '../../../src/engine/store-errors.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
const mounted: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-sqlite-full-'));
});

afterAll(() => {
  for (const mount of mounted.splice(0)) execFileSync('umount', [mount]);
  rmSync(dir, { recursive: true, force: true });
});

/** Write answers until one throws; returns the hashes written and what was thrown. */
async function fill(settings: SqliteStoreSettings): Promise<{ written: string[]; caught: unknown }> {
  const stores = openSqliteStores(settings);
  const written: string[] = [];
  let caught: unknown;
  try {
    for (let i = 0; i < 1_000_000 && caught === undefined; i++) {
      const hash = i.toString(16).padStart(64, '0');
      try {
        await stores.cache.set('resale', hash, `["a","normal","0","2024-05-01","广东","深圳","中国移动 ${i}"]`, 86_400);
        written.push(hash);
      } catch (error) {
        caught = error;
      }
    }
    // Reads go on working on a full disk.
    expect(await stores.cache.get('resale', written[0]!)).not.toBeNull();
  } finally {
    stores.close();
  }
  return { written, caught };
}

async function expectAllThere(file: string, written: string[]): Promise<void> {
  const stores = openSqliteStores({ file });
  try {
    const missing: string[] = [];
    for (const hash of written) if ((await stores.cache.get('resale', hash)) === null) missing.push(hash);
    expect(missing).toEqual([]);
    expect(await stores.cache.count()).toBe(written.length);
  } finally {
    stores.close();
  }
}

describe('sqlite store on a full or read-only disk', () => {
  it.skipIf(!isRoot)('a real full disk (2 MB tmpfs): StoreWriteError, and nothing written before is lost', async () => {
    const mount = join(dir, 'tmpfs');
    execFileSync('mkdir', ['-p', mount]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
    mounted.push(mount);
    // Room to reopen afterwards: freed once the disk has filled.
    const filler = join(mount, 'filler');
    writeFileSync(filler, Buffer.alloc(256 * 1024, 1));
    const file = join(mount, 'store', 'riskscreen.db');

    const { written, caught } = await fill({ file });
    expect(caught).toBeInstanceOf(StoreWriteError);
    expect(caught).toMatchObject({ file, why: 'the disk is full' });
    expect((caught as Error).message).toContain(file);
    // Each commit appends whole pages to the WAL (4 KB each), so a 2 MB disk takes a few hundred.
    expect(written.length).toBeGreaterThan(100);

    unlinkSync(filler);
    await expectAllThere(file, written);
  });

  it('a file capped by max_page_count: the same', async () => {
    const file = join(dir, 'capped', 'riskscreen.db');
    const { written, caught } = await fill({ file, maxPages: 64 });
    expect(caught).toBeInstanceOf(StoreWriteError);
    expect(caught).toMatchObject({ file, why: 'the disk is full', storeCode: 'SQLITE_FULL' });
    expect(written.length).toBeGreaterThan(100);
    await expectAllThere(file, written);
  });

  it.skipIf(!isRoot)('a read-only file system: opening is a StoreWriteError naming the file', () => {
    const mount = join(dir, 'readonly');
    execFileSync('mkdir', ['-p', mount]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mount]);
    mounted.push(mount);
    for (const file of [join(mount, 'riskscreen.db'), join(mount, 'store', 'riskscreen.db')]) {
      let caught: unknown;
      try {
        openSqliteStores({ file }).close();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(StoreWriteError);
      expect(caught).toMatchObject({ file });
      expect((caught as Error).message).toContain(file);
    }
  });
});
