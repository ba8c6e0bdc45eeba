import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InboxError,
  extOf,
  fileIdentity,
  isTemporaryName,
  moveToRejected,
  moveToTaken,
  scanInbox,
  stemOf,
  unchangedSince,
  type InboxFile,
} from '../../../src/nightly/inbox.js';
import { errorKindOf } from '../../../src/shared/error-kind.js';

const SETTLE = 60_000;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-inbox-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A file whose mtime is `ageMs` old; its ctime is now (utimes sets it). */
async function drop(name: string, ageMs = 0, contents = 'mobile\r\n13800138000\r\n'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, contents);
  if (ageMs) {
    const when = (Date.now() - ageMs) / 1000;
    await utimes(path, when, when);
  }
  return path;
}

/** The scanned file of that name (complete or waiting). */
async function scanned(name: string, markers = false): Promise<InboxFile> {
  const scan = await scanInbox(dir, { settleMs: 0, markers });
  const file = [...scan.complete, ...scan.waiting].find((f) => f.name === name);
  if (!file) throw new Error(`${name} not scanned`);
  return file;
}

describe('isTemporaryName', () => {
  it('never takes files in flight, locks, markers or our own notes', () => {
    for (const name of [
      '.hidden.csv',
      '.list.csv.123.456.tmp',
      '~$list.xlsx',
      'list.csv.part',
      'list.csv.PART',
      'list.tmp',
      'list.csv.partial',
      'list.csv.filepart',
      'list.csv.crdownload',
      'list.csv.download',
      'list.csv.swp',
      'list.csv~',
      'list.csv.ready',
      'list.csv.READY',
      'list.csv.error.txt',
    ]) {
      expect(isTemporaryName(name), name).toBe(true);
    }
  });

  it('takes ordinary lists', () => {
    for (const name of ['list.csv', 'LIST.XLSX', 'list.final.csv', 'numbers', 'party.csv', 'notes.txt', 'a~b.csv']) {
      expect(isTemporaryName(name), name).toBe(false);
    }
  });
});

describe('stemOf and extOf', () => {
  it('split at the last dot and keep the extension as given', () => {
    expect([stemOf('list.final.csv'), extOf('list.final.csv')]).toEqual(['list.final', '.csv']);
    expect([stemOf('LIST.CSV'), extOf('LIST.CSV')]).toEqual(['LIST', '.CSV']);
    expect([stemOf('numbers'), extOf('numbers')]).toEqual(['numbers', '']);
  });
});

describe('scanInbox', () => {
  it('takes a file that has not changed for the settle time, and waits for a newer one', async () => {
    await drop('old.csv', 2 * SETTLE);
    await drop('new.csv');
    const now = Date.now();
    const scan = await scanInbox(dir, { settleMs: SETTLE, markers: false, now });
    // old.csv's ctime is now (utimes set it), so it is complete only once ctime has settled too.
    expect(scan.complete).toEqual([]);
    expect(scan.waiting.map((f) => f.name)).toEqual(['new.csv', 'old.csv']);

    const later = await scanInbox(dir, { settleMs: SETTLE, markers: false, now: now + SETTLE + 1000 });
    expect(later.complete.map((f) => f.name)).toEqual(['new.csv', 'old.csv']);
    expect(later.waiting).toEqual([]);
    expect(later.settlesAt).toBeNull();
  });

  it('uses ctime too: a copy that keeps an old mtime is not complete at once', async () => {
    const path = await drop('copied.csv', 10 * SETTLE);
    const stats = await lstat(path);
    expect(stats.mtimeMs).toBeLessThan(Date.now() - 5 * SETTLE);
    const scan = await scanInbox(dir, { settleMs: SETTLE, markers: false });
    expect(scan.complete).toEqual([]);
    expect(scan.waiting.map((f) => f.name)).toEqual(['copied.csv']);
    expect(scan.settlesAt).toBe(Math.max(stats.mtimeMs, stats.ctimeMs) + SETTLE);
  });

  it('settlesAt is the earliest time a waiting file would be complete', async () => {
    await drop('a.csv');
    const now = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await drop('b.csv');
    const scan = await scanInbox(dir, { settleMs: SETTLE, markers: false, now });
    const a = scan.waiting.find((f) => f.name === 'a.csv')!;
    const b = scan.waiting.find((f) => f.name === 'b.csv')!;
    expect(scan.settlesAt).toBe(Math.min(Math.max(a.mtimeMs, a.ctimeMs), Math.max(b.mtimeMs, b.ctimeMs)) + SETTLE);
    expect(scan.settlesAt).toBeGreaterThan(now);
  });

  it('a marker completes a file at once; the marker itself is not a file to take', async () => {
    await drop('list.csv');
    await drop('list.csv.ready', 0, '');
    await drop('other.csv');
    const scan = await scanInbox(dir, { settleMs: SETTLE, markers: false });
    expect(scan.complete.map((f) => [f.name, f.marker])).toEqual([['list.csv', join(dir, 'list.csv.ready')]]);
    expect(scan.waiting.map((f) => [f.name, f.marker])).toEqual([['other.csv', null]]);
  });

  it('a marker older than its file marks an earlier file of that name, not this one', async () => {
    // Left behind by a crash between moving the earlier file and removing its marker.
    await drop('list.csv.ready', 60_000, '');
    await drop('list.csv');
    const scan = await scanInbox(dir, { settleMs: SETTLE, markers: true });
    expect(scan.complete).toEqual([]);
    expect(scan.waiting.map((f) => [f.name, f.marker])).toEqual([['list.csv', null]]);
  });

  it('in markers mode only a marker completes a file, however old it is', async () => {
    await drop('list.csv');
    await drop('list.csv.ready', 0, '');
    await drop('old.csv', 10 * SETTLE);
    const scan = await scanInbox(dir, { settleMs: SETTLE, markers: true, now: Date.now() + 100 * SETTLE });
    expect(scan.complete.map((f) => f.name)).toEqual(['list.csv']);
    expect(scan.waiting.map((f) => f.name)).toEqual(['old.csv']);
    expect(scan.settlesAt).toBeNull();
  });

  it('ignores temporary names, subfolders and symlinks, and sorts by name', async () => {
    await drop('b.csv');
    await drop('a.csv');
    await drop('c.csv.part');
    await drop('.DS_Store');
    await drop('~$d.xlsx');
    await mkdir(join(dir, 'taken'));
    await writeFile(join(dir, 'taken', 'x.b1.csv'), 'x');
    await mkdir(join(dir, 'rejected'));
    await symlink(join(dir, 'a.csv'), join(dir, 'link.csv'));
    const scan = await scanInbox(dir, { settleMs: 0, markers: false });
    expect(scan.complete.map((f) => f.name)).toEqual(['a.csv', 'b.csv']);
    expect(scan.waiting).toEqual([]);
    const a = scan.complete[0]!;
    const stats = await lstat(join(dir, 'a.csv'));
    expect(a).toEqual({
      name: 'a.csv',
      path: join(dir, 'a.csv'),
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      ctimeMs: stats.ctimeMs,
      ino: stats.ino,
      marker: null,
    });
  });

  it('a missing inbox is a config error in plain words', async () => {
    const missing = join(dir, 'nowhere');
    const error = await scanInbox(missing, { settleMs: 0, markers: false }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InboxError);
    expect((error as InboxError).code).toBe('RISKSCREEN_INBOX');
    expect(errorKindOf(error)).toBe('config');
    expect((error as Error).message).toBe(`inbox ${missing}: the folder does not exist (ENOENT)`);
  });

  it('an inbox that is a file is a config error too', async () => {
    const path = await drop('not-a-folder');
    await expect(scanInbox(path, { settleMs: 0, markers: false })).rejects.toThrow(`inbox ${path}: a part of the path is not a folder (ENOTDIR)`);
  });
});

describe('unchangedSince and fileIdentity', () => {
  it('a file untouched since the scan is unchanged and keeps its identity', async () => {
    await drop('list.csv');
    const file = await scanned('list.csv');
    expect(await unchangedSince(file)).toBe(true);
    const again = await scanned('list.csv');
    expect(fileIdentity(again)).toBe(fileIdentity(file));
    expect(fileIdentity(file)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a file still growing is changed', async () => {
    await drop('list.csv');
    const file = await scanned('list.csv');
    await writeFile(join(dir, 'list.csv'), 'mobile\r\n13800138000\r\n13900139000\r\n');
    expect(await unchangedSince(file)).toBe(false);
  });

  it('a file gone is changed; a new file under the same name has another identity', async () => {
    await drop('list.csv');
    const first = await scanned('list.csv');
    // Keep the first one's inode in use, so the new file cannot get the same inode back.
    await mkdir(join(dir, 'keep'));
    await rename(first.path, join(dir, 'keep', 'list.csv'));
    expect(await unchangedSince(first)).toBe(false);
    await drop('list.csv', 0, 'mobile\r\n13900139000\r\n');
    const second = await scanned('list.csv');
    expect(fileIdentity(second)).not.toBe(fileIdentity(first));
  });
});

describe('moveToTaken', () => {
  it('moves the file to taken/<stem>.<batch><ext>, making taken/, and removes the marker', async () => {
    await drop('list.csv');
    await drop('list.csv.ready', 0, '');
    const file = await scanned('list.csv');
    const target = await moveToTaken(dir, file, 'b20261206-020000-a1b2');
    expect(target).toBe(join(dir, 'taken', 'list.b20261206-020000-a1b2.csv'));
    expect(await readFile(target, 'utf8')).toBe('mobile\r\n13800138000\r\n');
    expect((await readdir(dir)).sort()).toEqual(['taken']);
  });

  it('appends the batch id to a name without extension', async () => {
    await drop('numbers');
    const target = await moveToTaken(dir, await scanned('numbers'), 'b1');
    expect(target).toBe(join(dir, 'taken', 'numbers.b1'));
  });

  it('is idempotent: retried after the move, it answers the same path', async () => {
    await drop('list.csv');
    const file = await scanned('list.csv');
    const first = await moveToTaken(dir, file, 'b1');
    const again = await moveToTaken(dir, file, 'b1');
    expect(again).toBe(first);
    expect(await readdir(join(dir, 'taken'))).toEqual(['list.b1.csv']);
  });

  it('fails when the file is gone and was never taken', async () => {
    await drop('list.csv');
    const file = await scanned('list.csv');
    await rm(file.path);
    await expect(moveToTaken(dir, file, 'b1')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('moveToRejected', () => {
  const at = new Date('2026-12-06T02:00:07.123Z');
  const problem = 'line 3: no column looks like phone numbers';

  it('moves the file to rejected/ with a note that says what is wrong and what to do', async () => {
    await drop('list.csv');
    await drop('list.csv.ready', 0, '');
    const file = await scanned('list.csv');
    const { path, errorFile } = await moveToRejected(dir, file, problem, at);
    expect(path).toBe(join(dir, 'rejected', 'list.csv'));
    expect(errorFile).toBe(join(dir, 'rejected', 'list.csv.error.txt'));
    expect(await readFile(path, 'utf8')).toBe('mobile\r\n13800138000\r\n');
    expect((await readdir(dir)).sort()).toEqual(['rejected']);
    const note = await readFile(errorFile, 'utf8');
    expect(note.split('\r\n')).toEqual([
      'File: list.csv',
      'Rejected at: 2026-12-06T02:00:07.123Z',
      `Problem: ${problem}`,
      '',
      'Fix the file and drop it into the inbox again; nothing was screened and nothing was billed.',
      '',
    ]);
    // Written atomically: no temporary file left beside it.
    expect((await readdir(join(dir, 'rejected'))).sort()).toEqual(['list.csv', 'list.csv.error.txt']);
  });

  it('never overwrites an earlier rejected file: a time stamp, then -2, -3', async () => {
    const paths: string[] = [];
    for (let i = 0; i < 4; i++) {
      await drop('list.csv', 0, `try ${i}`);
      paths.push((await moveToRejected(dir, await scanned('list.csv'), problem, at)).path);
    }
    expect(paths).toEqual([
      join(dir, 'rejected', 'list.csv'),
      join(dir, 'rejected', 'list.20261206-020007.csv'),
      join(dir, 'rejected', 'list.20261206-020007-2.csv'),
      join(dir, 'rejected', 'list.20261206-020007-3.csv'),
    ]);
    for (const [i, path] of paths.entries()) {
      expect(await readFile(path, 'utf8')).toBe(`try ${i}`);
      expect(await readFile(`${path}.error.txt`, 'utf8')).toContain('File: list.csv\r\n');
    }
  });

  it('a name without extension gets the stamp at its end', async () => {
    await mkdir(join(dir, 'rejected'));
    await writeFile(join(dir, 'rejected', 'numbers'), 'earlier');
    await drop('numbers');
    const { path } = await moveToRejected(dir, await scanned('numbers'), problem, at);
    expect(path).toBe(join(dir, 'rejected', 'numbers.20261206-020007'));
  });

  it('a name whose note alone is left is taken too', async () => {
    await mkdir(join(dir, 'rejected'));
    await writeFile(join(dir, 'rejected', 'list.csv.error.txt'), 'earlier note');
    await drop('list.csv');
    const { path } = await moveToRejected(dir, await scanned('list.csv'), problem, at);
    expect(path).toBe(join(dir, 'rejected', 'list.20261206-020007.csv'));
    expect(await readFile(join(dir, 'rejected', 'list.csv.error.txt'), 'utf8')).toBe('earlier note');
  });
});
