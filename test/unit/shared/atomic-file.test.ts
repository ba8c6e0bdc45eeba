import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAtomicFile } from '../../../src/shared/atomic-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riskscreen-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openAtomicFile', () => {
  it('writes to a temporary file in the target directory, and commit renames it into place', async () => {
    const target = join(dir, 'out', 'result.csv');
    const file = await openAtomicFile(target);
    await file.write('a,b\r\n');
    await file.write(Buffer.from('1,2\r\n'));
    // Before commit: only a hidden temporary file, next to the target (same filesystem).
    const during = await readdir(join(dir, 'out'));
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.result\.csv\.\d+\.\d+\.tmp$/);
    expect(during).not.toContain('result.csv');
    await file.commit();
    expect(await readdir(join(dir, 'out'))).toEqual(['result.csv']);
    expect(await readFile(target, 'utf8')).toBe('a,b\r\n1,2\r\n');
    // After commit, abort is a no-op: the file stays.
    await file.abort();
    expect(await readFile(target, 'utf8')).toBe('a,b\r\n1,2\r\n');
  });

  it('abort (even with a write still in flight) leaves no file, an existing target untouched, and does not crash', async () => {
    const target = join(dir, 'result.csv');
    await writeFile(target, 'old contents');
    const file = await openAtomicFile(target);
    await file.write('half a new file');
    await file.abort();
    expect(await readdir(dir)).toEqual(['result.csv']);
    expect(await readFile(target, 'utf8')).toBe('old contents');

    const fresh = join(dir, 'never.csv');
    const other = await openAtomicFile(fresh);
    await other.write('x');
    await other.abort();
    expect(await readdir(dir)).toEqual(['result.csv']);
  });

  it('commit replaces an existing file whole', async () => {
    const target = join(dir, 'result.csv');
    await writeFile(target, 'old contents that are longer than the new ones');
    const file = await openAtomicFile(target);
    await file.write('new');
    await file.commit();
    expect(await readFile(target, 'utf8')).toBe('new');
  });

  it('waits for drain on big writes and keeps every byte in order', async () => {
    const target = join(dir, 'big.bin');
    const file = await openAtomicFile(target);
    const chunk = Buffer.alloc(256 * 1024);
    for (let i = 0; i < 16; i++) await file.write(chunk.fill(i));
    await file.commit();
    const data = await readFile(target);
    expect(data.length).toBe(16 * 256 * 1024);
    for (let i = 0; i < 16; i++) expect(data[i * 256 * 1024 + 1000]).toBe(i);
  });

  it('two open at once for one target do not collide; the last commit wins', async () => {
    const target = join(dir, 'result.csv');
    const a = await openAtomicFile(target);
    await new Promise((r) => setTimeout(r, 2));
    const b = await openAtomicFile(target);
    await a.write('A');
    await b.write('B');
    await a.commit();
    await b.commit();
    expect(await readFile(target, 'utf8')).toBe('B');
    expect(await readdir(dir)).toEqual(['result.csv']);
  });
});
